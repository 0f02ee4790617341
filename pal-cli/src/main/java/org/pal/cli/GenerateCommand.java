package org.pal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.pal.api.Dataset;
import org.pal.api.PalApi;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import org.pal.core.spi.DatasetSource;
import org.pal.datasets.RecordsDataset;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "generate", description = {"Write a dataset directory (items.npy, pairs.npy, splits, encoder) for 'pal train'.",
    "  pal generate --dataset SPEC.json --out DIR     any dataset plugin from its JSON spec ({\"type\": \"persona\", ...}; see 'pal plugins')",
    "  pal generate synthetic|records ...              presets over the same path"},
    subcommands = {GenerateCommand.Synthetic.class, GenerateCommand.Records.class})
final class GenerateCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--dataset", description = "JSON dataset spec with \"type\" (any registered dataset plugin)") Path datasetSpec;
  @Option(names = "--seed", defaultValue = "0", description = "split seed (default ${DEFAULT-VALUE})") long seed;
  @Option(names = "--out", description = "output directory") Path out;
  @CommandLine.Mixin OutputOptions output = new OutputOptions();

  @Override
  public void run() {
    if (datasetSpec == null) {
      spec.commandLine().usage(spec.commandLine().getOut());
      return;
    }
    if (out == null) throw PalException.userInput("--out DIR is required");
    write(spec, Json.readTree(datasetSpec), seed, out);
  }

  /** The one path every generate takes: spec -> registry -> dataset -> directory. */
  static void write(CommandLine.Model.CommandSpec spec, JsonNode datasetSpec, long seed, Path out) {
    PalApi api = PalApi.create();
    DatasetSource source = api.datasetSource(datasetSpec);
    Dataset d = api.dataset(source, datasetSpec, seed);
    api.writeDataset(d, out);
    var s = d.split();
    spec.commandLine().getOut().printf("wrote %s: %d users (%d seen), %d pairs, %d items of dim %d, %s prompts%s%n", out,
        s.data().userIds().size(), s.seenUsers().length, s.data().pairs().size(), s.data().items().rows(), s.data().items().dim(),
        s.data().prompts() == null ? "no" : String.valueOf(s.data().prompts().rows()),
        source.report().isEmpty() ? "" : "; " + Json.write(source.report()).replaceAll("\\s+", " "));
  }

  /** A preset's spec object: the plugin's spec record as JSON plus its type. */
  static ObjectNode typed(String type, Object specRecord) {
    ObjectNode n = Json.mapper().createObjectNode();
    n.put("type", type);
    // absent settings stay absent (the plugin's defaults apply), never an explicit null
    n.setAll((ObjectNode) Json.mapper().copy().setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        .valueToTree(specRecord));
    return n;
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
      var enc = encoder != null ? Json.readTree(encoder) : ExperimentCommand.defaultEncoder();
      write(spec, typed("records", new RecordsDataset.Spec(data.toAbsolutePath().toString(), enc, unseen, validation, test, skipInvalid,
          dataRoot == null ? null : dataRoot.toAbsolutePath().toString())), seed, out);
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
      write(spec, typed("synthetic", options.spec()), seed, out);
    }
  }
}
