package org.pal.cli;

import java.nio.file.Path;
import org.pal.core.data.DatasetDirectory;
import org.pal.core.data.SplitDataset;
import org.pal.datasets.SyntheticDataset;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "generate", description = "Write a dataset directory (items.npy, pairs.npy, splits) for 'pal train'.",
    subcommands = {GenerateCommand.Synthetic.class})
final class GenerateCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "synthetic", description = "The Section 4.1 synthetic study as a dataset directory.")
  static final class Synthetic implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin SyntheticOptions options = new SyntheticOptions();
    @Option(names = "--seed", defaultValue = "0", description = "data seed (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--out", required = true, description = "output directory") Path out;

    @Override
    public void run() {
      SplitDataset s = new SyntheticDataset(options.spec()).load(seed);
      DatasetDirectory.write(s, out);
      spec.commandLine().getOut().printf("wrote %s: %d users (%d seen), %d pairs, %d items of dim %d%n", out,
          s.data().userIds().size(), s.seenUsers().length, s.data().pairs().size(), s.data().items().rows(), s.data().items().dim());
    }
  }
}
