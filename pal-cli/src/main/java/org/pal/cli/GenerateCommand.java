package org.pal.cli;

import java.nio.file.Path;
import org.pal.core.data.DatasetDirectory;
import org.pal.core.data.SplitDataset;
import org.pal.datasets.SyntheticDataset;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "generate", description = "Write a dataset directory (items.npy, pairs.npy, splits) for 'pal train'.",
    subcommands = {GenerateCommand.Synthetic.class, GenerateCommand.Records.class})
final class GenerateCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "records", description = {"A file of the generic record format, embedded and split (seeded), as a dataset directory",
      "for train / evaluate / adapt / score."})
  static final class Records implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Option(names = "--data", required = true, description = "a .jsonl, .csv or .parquet file of records") Path data;
    @Option(names = "--encoder", description = "JSON embedder config for text and image: values (default: MiniLM, cached)") Path encoder;
    @Option(names = "--unseen-share", defaultValue = "0.2", description = "share of users held out as unseen (default ${DEFAULT-VALUE})") double unseen;
    @Option(names = "--validation-share", defaultValue = "0.1", description = "share of each seen user's pairs for validation (default ${DEFAULT-VALUE})") double validation;
    @Option(names = "--test-share", defaultValue = "0.2", description = "share of each seen user's pairs for test (default ${DEFAULT-VALUE})") double test;
    @Option(names = "--skip-invalid", description = "skip and count invalid records instead of failing on the first") boolean skipInvalid;
    @Option(names = "--data-root", description = "folder that npy: and image: paths may point into (default: the record file's folder)") Path dataRoot;
    @Option(names = "--seed", defaultValue = "0", description = "split seed (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--out", required = true, description = "output directory") Path out;
    @CommandLine.Mixin OutputOptions output = new OutputOptions();

    @Override
    public void run() {
      var enc = encoder != null ? org.pal.core.config.Json.readTree(encoder) : ExperimentCommand.defaultEncoder();
      org.pal.datasets.RecordsDataset ds = new org.pal.datasets.RecordsDataset(
          new org.pal.datasets.RecordsDataset.Spec(data.toString(), enc, unseen, validation, test, skipInvalid,
              dataRoot == null ? null : dataRoot.toString()), org.pal.core.config.Pal.load().registry());
      SplitDataset s = ds.load(seed);
      DatasetDirectory.write(s, out);
      spec.commandLine().getOut().printf("wrote %s: %d records (%d skipped), %d users (%d seen), %d items and %s prompts%n", out,
          ds.report().rows() - ds.report().skipped(), ds.report().skipped(), s.data().userIds().size(), s.seenUsers().length,
          s.data().items().rows(), s.data().prompts() == null ? "no" : String.valueOf(s.data().prompts().rows()));
    }
  }

  @Command(name = "synthetic", description = "The Section 4.1 synthetic study as a dataset directory.")
  static final class Synthetic implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin SyntheticOptions options = new SyntheticOptions();
    @Option(names = "--seed", defaultValue = "0", description = "data seed (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--out", required = true, description = "output directory") Path out;
    @CommandLine.Mixin OutputOptions output = new OutputOptions();

    @Override
    public void run() {
      SplitDataset s = new SyntheticDataset(options.spec()).load(seed);
      DatasetDirectory.write(s, out);
      spec.commandLine().getOut().printf("wrote %s: %d users (%d seen), %d pairs, %d items of dim %d%n", out,
          s.data().userIds().size(), s.seenUsers().length, s.data().pairs().size(), s.data().items().rows(), s.data().items().dim());
    }
  }
}
