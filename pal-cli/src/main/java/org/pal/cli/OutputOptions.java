package org.pal.cli;

import picocli.CommandLine.Option;

/**
 * {@code --force} for every command that writes {@code --out}. {@link PalCommand} checks the
 * output path with {@link org.pal.core.archive.OutputDir#claim} before the command runs, so a bad
 * path fails in a second, not after hours of training.
 */
final class OutputOptions {
  @Option(names = "--force", description = "replace an earlier PAL output at --out (never a file or a folder PAL did not write)")
  boolean force;
}
