package org.pal.cli;

import java.io.PrintWriter;
import org.pal.core.PalException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code pal} command. Exit codes: 0 ok, 2 bad input (arguments, config, data, archive), 1 anything else. */
@Command(name = "pal", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "pal 0.1.0",
    description = "Personalized reward models from heterogeneous pairwise preferences (PAL, ICLR 2025).",
    subcommands = {PluginsCommand.class, GenerateCommand.class, TrainCommand.class, EvaluateCommand.class,
        AdaptCommand.class, ScoreCommand.class, EmbedCommand.class, ExperimentCommand.class, InspectCommand.class, BenchCommand.class,
        ServeCommand.class, CommandLine.HelpCommand.class})
public final class PalCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams and returns the exit code (used by tests too). */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    quietNd4j();
    CommandLine cl = new CommandLine(new PalCommand());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionStrategy(parseResult -> {
      claimOutput(parseResult);
      return new CommandLine.RunLast().execute(parseResult);
    });
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      Throwable t = ex;
      while (!(t instanceof PalException) && t.getCause() != null && t.getCause() != t) t = t.getCause();
      if (t instanceof PalException pe) {
        err.println("pal: error: " + pe.getMessage());
        return pe.kind() == PalException.Kind.USER_INPUT ? 2 : 1;
      }
      err.println("pal: internal error: " + ex);
      ex.printStackTrace(err);
      return 1;
    });
    return cl.execute(args);
  }

  /** The one output check for every command with {@code --out}: before any work, see {@link org.pal.core.archive.OutputDir}. */
  private static void claimOutput(CommandLine.ParseResult parseResult) {
    CommandLine.ParseResult leaf = parseResult;
    while (leaf.hasSubcommand()) leaf = leaf.subcommand();
    if (leaf.isUsageHelpRequested() || leaf.isVersionHelpRequested() || !leaf.hasMatchedOption("--out")) return;
    Object out = leaf.matchedOptionValue("--out", null);
    if (!(out instanceof java.nio.file.Path path)) return;
    boolean force = leaf.commandSpec().findOption("--force") != null && Boolean.TRUE.equals(leaf.matchedOptionValue("--force", false));
    try {
      org.pal.core.archive.OutputDir.claim(path, force);
    } catch (PalException e) {
      throw new CommandLine.ExecutionException(leaf.commandSpec().commandLine(), e.getMessage(), e);
    }
  }

  /** What {@code --threads} means in every command. */
  static final String THREADS = "workers: each training mini-batch, evaluation and enrolment is split across them "
      + "(default: the machine's cores, at most 8); with more than 1, BLAS runs single-threaded";

  /** {@code --threads}: the library's worker setting ({@link org.pal.api.PalApi#useThreads}), named as the flag in errors. */
  static void configureThreads(Integer threads) {
    if (threads != null && threads < 1) throw PalException.badInput("--threads", threads, "must be at least 1");
    org.pal.api.PalApi.useThreads(threads);
  }

  private static void quietNd4j() {
    // ND4J logs its backend banner at INFO through SLF4J (bound to slf4j-simple): keep warnings only
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    // DJL probes for CUDA on load and warns when there is none: not news for a CPU run
    if (System.getProperty("org.slf4j.simpleLogger.log.ai.djl") == null) {
      System.setProperty("org.slf4j.simpleLogger.log.ai.djl", "error");
    }
    if (System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") == null) {
      System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
    }
  }
}
