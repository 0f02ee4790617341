package org.pal.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import org.pal.api.PalApi;
import org.pal.api.Reports;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.experiment.RunResult;
import org.pal.core.model.PalModel;
import org.pal.core.spi.DatasetSource;
import org.pal.core.train.ProgressListener;
import org.pal.core.train.TrainerSpec;
import org.pal.datasets.PersonaDataset;
import org.pal.datasets.RecordsDataset;
import org.pal.datasets.SyntheticDataset;
import org.pal.models.PalB;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "experiment", description = {"Sweep K and seeds on one of the paper's studies, on your records, or on any dataset plugin; write results, plots and a report.",
    "  pal experiment --dataset SPEC.json --out DIR [SWEEP]   any dataset plugin from its JSON spec (PAL-B with prompts, else PAL-A with an MLP)",
    "  pal experiment synthetic|persona|tldr|pick-a-filter|records ...   the paper's studies: presets over the same path",
    "With --dataset: --epochs 30, --batch-size 256, --shots 10, --k 1,2 unless given."},
    subcommands = {ExperimentCommand.Synthetic.class, ExperimentCommand.Persona.class, ExperimentCommand.Tldr.class, ExperimentCommand.PickAFilter.class, ExperimentCommand.Records.class})
final class ExperimentCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--dataset", description = "JSON dataset spec with \"type\" (any registered dataset plugin; see 'pal plugins')") Path datasetSpec;
  @Option(names = "--dim", defaultValue = "16", description = "with --dataset: latent dimension d (default ${DEFAULT-VALUE})") int dim;
  @CommandLine.Mixin SweepOptions o = new SweepOptions();

  @Override
  public void run() {
    if (datasetSpec == null) {
      spec.commandLine().usage(spec.commandLine().getOut());
      return;
    }
    JsonNode ds = Json.readTree(datasetSpec);
    o.defaultDim = dim;
    sweepSettings(spec, o, "Dataset: " + ds.path("type").asText(), List.of(new Setting(ds.path("type").asText(), ds, null, List.of(1, 2))), 30, 256, 10);
  }

  /** Without a config: PAL-B (reference MLPs) when the data has prompts, else PAL-A with a 2-layer MLP. */
  static PalConfig defaultFor(boolean prompts, int dim) {
    if (prompts) return palB(dim, "logistic", groups(1e-3, 1e-3, 2e-2));
    ObjectNode m = PalConfig.typed("pal-a");
    m.put("dim", dim);
    m.putObject("projector").put("type", "mlp").put("layers", 2);
    Map<String, Object> g = groups(1e-3, 1e-3, 2e-2);
    g.remove("scale"); // PAL-A has no logit scale
    return new PalConfig(m, null, null, PalConfig.typed("logistic"), trainer(g));
  }

  /** Options every experiment shares. */
  static final class SweepOptions {
    @Option(names = "--k", split = ",", description = "values of K") List<Integer> ks;
    @Option(names = "--seeds", split = ",", defaultValue = "0", description = "seeds: each draws the data split and initialises the model (default ${DEFAULT-VALUE})") List<Long> seeds;
    @Option(names = "--epochs", description = "epochs per run") Integer epochs;
    @Option(names = "--batch-size", description = "mini-batch size") Integer batchSize;
    @Option(names = "--config", description = "JSON config to start from instead of the experiment's default (its model.k is swept)") Path config;
    @Option(names = "--shots", description = "enrolment comparisons per unseen user (default: the study's; see the subcommand's help)") Integer shots;
    @Option(names = "--shots-curve", split = ",", description = "also measure unseen accuracy after these many enrolment comparisons") List<Integer> curve;
    @Option(names = "--out", description = "output directory (required)") Path out;
    @CommandLine.Mixin OutputOptions output = new OutputOptions();
    @Option(names = "--threads", description = PalCommand.THREADS) Integer threads;
    @CommandLine.Mixin ActiveOptions active = new ActiveOptions();
    /** Latent dimension of the model chosen by the data (no --config and no preset model). */
    int defaultDim = 16;
    /** While a run fills its staging directory: that directory, which {@link #out} points into; null otherwise. */
    Path staging;
    Path target;

    /** The path as the user will find it once the staging directory is swapped in (for messages). */
    Path shown(Path p) {
      return staging == null ? p : target.resolve(staging.relativize(p));
    }
  }

  /**
   * Runs a whole experiment inside a staging directory that is swapped in at the end: --out gets a
   * complete result or stays as it was (a failed or killed run leaves nothing half-made there).
   */
  static void staged(SweepOptions o, Runnable body) {
    Path target = o.out;
    org.pal.core.archive.AtomicFiles.writeDirectory(target, tmp -> {
      o.out = tmp;
      o.staging = tmp;
      o.target = target;
      try {
        body.run();
      } finally {
        o.out = target;
        o.staging = null;
      }
    });
  }

  /**
   * The one experiment path: options checked first (nothing is read or written before), the dataset
   * built from its spec through the registry, the sweep run by the API, the report written.
   *
   * @param defaults the model config without --config, or null to choose by the data (see {@link #defaultFor})
   */
  static List<RunResult> sweep(CommandLine.Model.CommandSpec spec, SweepOptions o, String title, JsonNode datasetSpec,
                               PalConfig defaults, List<Integer> defaultKs, int defaultEpochs, int defaultBatch, int defaultShots) {
    if (o.out == null) throw PalException.userInput("--out DIR is required");
    PalApi.SweepPlan plan = new PalApi.SweepPlan(o.ks != null ? o.ks : defaultKs, o.seeds, o.shots != null ? o.shots : defaultShots,
        o.curve == null ? List.of() : o.curve);
    if (o.epochs != null && o.epochs < 1) throw PalException.badInput("--epochs", o.epochs, "must be at least 1");
    if (o.batchSize != null && o.batchSize < 1) throw PalException.badInput("--batch-size", o.batchSize, "must be at least 1");
    PalConfig fromFile = o.config != null ? PalConfig.read(o.config) : null;
    PalCommand.configureThreads(o.threads);
    PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
    PalApi api = PalApi.create();
    DatasetSource source = api.datasetSource(datasetSpec);
    PalConfig base = fromFile != null ? fromFile : defaults != null ? defaults
        : defaultFor(source.load(plan.seeds().get(0)).data().prompts() != null, o.defaultDim);
    TrainerSpec t = base.trainer();
    if (fromFile == null || o.epochs != null) t = t.withEpochs(o.epochs != null ? o.epochs : defaultEpochs);
    if (fromFile == null || o.batchSize != null) t = t.withBatchSize(o.batchSize != null ? o.batchSize : defaultBatch);
    if (o.threads != null) t = t.withThreads(o.threads);
    base = base.withTrainer(t);
    Path dir = o.out;
    long firstSeed = plan.seeds().get(0);
    PalApi.SweepResult result = api.sweep(source, base, plan, new PalApi.SweepListener() {
      @Override public ProgressListener progress(String run) { return new Progress(err, run + "  "); }
      @Override public void onSplit(long seed, org.pal.core.data.SplitDataset split) {
        Reports.writeSplit(dir, seed, split);
        o.active.onSplit(seed, split);
      }
      @Override public void onRun(RunResult r, PalModel model) {
        o.active.onRun(r, model, err);
        err.printf(Locale.ROOT, "done %s K=%d seed=%d: seen %.4f unseen %s zero-shot %s (%.1fs, %.0f pairs/s)%n", r.model(), r.k(), r.seed(),
            r.seenAccuracy(), fmt(r.unseenAccuracy()), fmt(r.zeroShotAccuracy()), r.trainSeconds(), r.pairsPerSecond());
        if (r.seed() == firstSeed) {
          org.pal.core.archive.AtomicFiles.writeString(dir.resolve("users-K" + r.k() + ".svg"), Reports.simplexView(model, title + ", K = " + r.k() + ", seed " + r.seed()));
        }
      }
    });
    if (!source.report().isEmpty()) err.println("dataset: " + Json.write(source.report()).replaceAll("\\s+", " "));
    String command = "pal " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    Reports.write(dir, title, command, result.runs(), Map.of("dataset", datasetSpec, "shots", plan.shots()), base);
    out.print(Reports.table(result.runs()));
    o.active.write(dir, title, command, out);
    out.println("wrote " + o.shown(dir.resolve("report.md")));
    return result.runs();
  }

  private static String fmt(Double v) {
    return v == null ? "absent" : String.format(Locale.ROOT, "%.4f", v);
  }

  /** One dataset setting of a knob sweep: its label (a folder name), source and default model. */
  record Setting(String label, JsonNode datasetSpec, PalConfig defaults, List<Integer> ks) {}

  /**
   * Sweeps K and seeds for each setting; with several settings each goes to its own folder under
   * --out and a summary (summary.csv, settings.svg, report.md) compares them, as Figure 4's panels.
   */
  static void sweepSettings(CommandLine.Model.CommandSpec spec, SweepOptions o, String title, List<Setting> settings,
                            int epochs, int batch, int shots) {
    if (o.out == null) throw PalException.userInput("--out DIR is required");
    // every option checked before the staging directory exists
    new PalApi.SweepPlan(o.ks != null ? o.ks : settings.get(0).ks(), o.seeds, o.shots != null ? o.shots : shots, o.curve == null ? List.of() : o.curve);
    staged(o, () -> sweepStaged(spec, o, title, settings, epochs, batch, shots));
  }

  private static void sweepStaged(CommandLine.Model.CommandSpec spec, SweepOptions o, String title, List<Setting> settings,
                                  int epochs, int batch, int shots) {
    if (settings.size() == 1) {
      Setting st = settings.get(0);
      sweep(spec, o, title, st.datasetSpec(), st.defaults(), st.ks(), epochs, batch, shots);
      return;
    }
    Path root = o.out;
    Map<String, List<RunResult>> all = new LinkedHashMap<>();
    for (Setting st : settings) {
      o.out = root.resolve(st.label());
      all.put(st.label(), sweep(spec, o, title + ", " + st.label(), st.datasetSpec(), st.defaults(), st.ks(), epochs, batch, shots));
    }
    o.out = root;
    Reports.writeSettings(root, title, "pal " + String.join(" ", spec.commandLine().getParseResult().originalArgs()), all);
    spec.commandLine().getOut().println("wrote " + o.shown(root.resolve("report.md")));
  }

  static PalConfig palB(int dim, String loss, Map<String, Object> groups) {
    ObjectNode m = PalConfig.typed("pal-b");
    m.put("dim", dim);
    m.set("itemProjector", PalB.Spec.referenceMlp());
    return new PalConfig(m, null, null, PalConfig.typed(loss), trainer(groups));
  }

  /** The experiments' trainer: the given learning rates, early stopping after 10 epochs without progress. */
  static TrainerSpec trainer(Map<String, Object> groups) {
    ObjectNode trainer = Json.mapper().createObjectNode();
    trainer.put("patience", 10);
    trainer.set("groups", Json.mapper().valueToTree(groups));
    return Json.bind(Json.mapper(), trainer, TrainerSpec.class, "trainer");
  }

  static Map<String, Object> groups(double mapping, double prototypes, double users) {
    Map<String, Object> g = new LinkedHashMap<>();
    g.put("mapping", Map.of("lr", mapping, "weightDecay", 1e-4));
    g.put("prototypes", Map.of("lr", prototypes, "weightDecay", 1e-4));
    g.put("users", Map.of("lr", users, "weightDecay", 0.0));
    g.put("scale", Map.of("lr", mapping, "weightDecay", 0.0));
    return g;
  }

  @Command(name = "synthetic", description = {"Section 4.1: PAL-A with a linear map without bias and hinge loss (Appendix C.1),",
      "one model per K and seed; the seed draws the data and initialises the model.",
      "Defaults: --epochs 1000, --batch-size 128, --shots = --unseen-pairs (20), --k 1,2,3,4,5, --seeds 0,1,2."})
  static final class Synthetic implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin SyntheticOptions data = new SyntheticOptions();
    @CommandLine.Mixin SweepOptions o = new SweepOptions();
    @Option(names = "--model", defaultValue = "pal-a", description = "model type (default ${DEFAULT-VALUE})") String model;

    @Override
    public void run() {
      if (!spec.commandLine().getParseResult().hasMatchedOption("--seeds")) o.seeds = List.of(0L, 1L, 2L); // the paper's three seeds
      List<Setting> settings = new java.util.ArrayList<>();
      for (int dim : data.dims) for (int trueK : data.trueKs) for (int pairs : data.pairsList) {
        ObjectNode m = PalConfig.typed(model);
        m.put("dim", dim);
        m.putObject("projector").put("type", "linear").put("bias", false);
        PalConfig c1 = new PalConfig(m, null, null, PalConfig.typed("hinge"), null);
        SyntheticDataset.Spec ds = data.spec(dim, trueK, pairs);
        settings.add(new Setting("d-" + dim + "_kstar-" + trueK + "_n-" + pairs, GenerateCommand.typed("synthetic", ds), c1, List.of(1, 2, 3, 4, 5)));
      }
      sweepSettings(spec, o, "Synthetic study (Section 4.1)", settings, 1000, 128, data.unseenPairs);
    }
  }

  @Command(name = "persona", description = {"Section 4.2.1: users with one of K* Anthropic personas answer yes/no to persona statements;",
      "PAL-B with logistic loss on MiniLM embeddings (the persona list sets K*).",
      "Defaults: --epochs 30, --batch-size 256, --shots 50 (below --unseen-queries), --k 1,K*."})
  static final class Persona implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin SweepOptions o = new SweepOptions();
    @Option(names = "--persona-dir", defaultValue = "../shared/data/anthropic-persona", description = "folder of persona .jsonl files (default ${DEFAULT-VALUE})") Path dir;
    @Option(names = "--personas", split = ",", defaultValue = "interest-in-art,interest-in-literature,interest-in-math,interest-in-music",
        description = "persona file names without .jsonl (default: the paper's K* = 4 set)") List<String> personas;
    @Option(names = "--users-per-persona", defaultValue = "100", description = "seen users per persona N (default ${DEFAULT-VALUE})") int users;
    @Option(names = "--queries", split = ",", defaultValue = "200", description = "queries per seen user n_p; several values sweep it (default ${DEFAULT-VALUE})") List<Integer> queries;
    @Option(names = "--unseen-users-per-persona", defaultValue = "25", description = "unseen users per persona (default ${DEFAULT-VALUE})") int unseenUsers;
    @Option(names = "--unseen-queries", defaultValue = "150", description = "queries per unseen user (default ${DEFAULT-VALUE})") int unseenQueries;
    @Option(names = "--dim", split = ",", defaultValue = "16", description = "latent dimension d; several values sweep it (default ${DEFAULT-VALUE})") List<Integer> dims;
    @Option(names = "--k-star", split = ",", description = "sweep K*: the first K* personas of --personas (then defaulting to Table 1's six)") List<Integer> kStars;
    @Option(names = "--encoder", description = "JSON embedder config (default: the embedded all-MiniLM-L6-v2, cached)") Path encoder;
    @Option(names = "--download", description = "fetch persona files missing from --persona-dir from the public original (needs network)") boolean download;

    @Override
    public void run() {
      var enc = encoder != null ? Json.readTree(encoder) : defaultEncoder();
      List<String> pool = personas;
      if (kStars != null && !spec.commandLine().getParseResult().hasMatchedOption("--personas")) {
        pool = List.of("interest-in-art", "interest-in-literature", "interest-in-math", "interest-in-music", "interest-in-science", "interest-in-sports");
      }
      List<Setting> settings = new java.util.ArrayList<>();
      for (int ks : kStars == null ? List.of(pool.size()) : kStars) {
        if (ks < 1 || ks > pool.size()) throw org.pal.core.PalException.badInput("--k-star", ks, "must be between 1 and the " + pool.size() + " personas given");
        for (int q : queries) for (int d : dims) {
          PersonaDataset.Spec ds = new PersonaDataset.Spec(dir.toString(), pool.subList(0, ks), users, q, unseenUsers, unseenQueries, null, null, enc,
              download ? org.pal.datasets.Downloads.PERSONA : null);
          settings.add(new Setting("kstar-" + ks + "_np-" + q + "_d-" + d, GenerateCommand.typed("persona", ds),
              palB(d, "logistic", groups(1e-3, 1e-3, 2e-2)), ks == 1 ? List.of(1) : List.of(1, ks)));
        }
      }
      sweepSettings(spec, o, "Persona (Section 4.2.1)", settings, 30, 256, 50);
    }
  }

  @Command(name = "tldr", description = {"Sections 4.3.1 and C.3: Reddit TL;DR comparisons with worker ids; the reference's semi-synthetic",
      "variant (minority workers prefer shorter summaries) or the workers' real choices. PAL-B, logistic loss, MiniLM.",
      "Defaults: --epochs 60, --batch-size 64, --shots 10, --k 1,2."})
  static final class Tldr implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin SweepOptions o = new SweepOptions();
    @Option(names = "--tldr-dir", defaultValue = "../shared/data/tldr-comparisons", description = "folder of comparison batch files (default ${DEFAULT-VALUE})") Path dir;
    @Option(names = "--files", split = ",", defaultValue = "batch13.json,batch18.json", description = "batch files (default ${DEFAULT-VALUE})") List<String> files;
    @Option(names = "--variant", defaultValue = "semi-synthetic", description = "semi-synthetic | real (default ${DEFAULT-VALUE})") String variant;
    @Option(names = "--seen-workers", defaultValue = "6", description = "semi-synthetic: top workers by comparisons that are seen (default ${DEFAULT-VALUE})") int seen;
    @Option(names = "--dim", defaultValue = "16", description = "latent dimension d (default ${DEFAULT-VALUE})") int dim;
    @Option(names = "--encoder", description = "JSON embedder config (default: the embedded all-MiniLM-L6-v2, cached)") Path encoder;
    @Option(names = "--download", description = "fetch batch files missing from --tldr-dir from OpenAI's public original (needs network)") boolean download;

    @Override
    public void run() {
      var enc = encoder != null ? Json.readTree(encoder) : defaultEncoder();
      org.pal.datasets.TldrDataset.Spec ds = new org.pal.datasets.TldrDataset.Spec(dir.toString(), files, variant, seen, null, null, null, enc,
          download ? org.pal.datasets.Downloads.TLDR : null);
      sweepSettings(spec, o, "TL;DR (" + variant + ")", List.of(new Setting("tldr", GenerateCommand.typed("tldr", ds),
          palB(dim, "logistic", groups(1e-3, 1e-3, 2e-2)), List.of(1, 2))), 60, 64, 10);
    }
  }

  @Command(name = "pick-a-filter", description = {"Sections 4.2.2 and Appendix B: Pick-a-Pic comparisons from local parquet files with CLIP embeddings;",
      "--beta > 0 applies the blue/red filters of Pick-a-Filter (two user groups), --beta 0 is plain Pick-a-Pic.",
      "Defaults: --epochs 30, --batch-size 256, --shots 10, --k 1,2."})
  static final class PickAFilter implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin SweepOptions o = new SweepOptions();
    @Option(names = "--parquet", split = ",", required = true, description = "Pick-a-Pic parquet files (user_id, ranking_id, caption, jpg_0, jpg_1, label_0, label_1)") List<Path> files;
    @Option(names = "--encoder", required = true, description = "JSON onnx-clip config: {\"type\": \"onnx-clip\", \"model\": DIR}") Path encoder;
    @Option(names = "--beta", split = ",", defaultValue = "1.0", description = "share of each user's comparisons that get a filter; several values sweep it (default ${DEFAULT-VALUE})") List<Double> betas;
    @Option(names = "--seen-users", description = "the N users with the most comparisons are seen, the rest unseen (the paper: 50); default a seeded 80/20 split") Integer seenUsers;
    @Option(names = "--min-comparisons", defaultValue = "50", description = "users with fewer decisive comparisons are dropped (default ${DEFAULT-VALUE})") int min;
    @Option(names = "--exclude-ranking-ids", description = "ranking ids to drop, one per line (e.g. v2_leakage_ranking_ids.txt for the no-leakage split)") Path exclude;
    @Option(names = "--dim", defaultValue = "32", description = "latent dimension d (default ${DEFAULT-VALUE})") int dim;

    @Override
    public void run() {
      List<Setting> settings = new java.util.ArrayList<>();
      for (double beta : betas) {
        org.pal.datasets.PickAPicDataset.Spec ds = new org.pal.datasets.PickAPicDataset.Spec(files.stream().map(Path::toString).toList(),
            Json.readTree(encoder), min, exclude == null ? null : exclude.toString(), beta, null, null, null, seenUsers);
        settings.add(new Setting("beta-" + beta, GenerateCommand.typed("pick-a-pic", ds), palB(dim, "logistic", groups(1e-3, 1e-3, 2e-2)), List.of(1, 2)));
      }
      sweepSettings(spec, o, "Pick-a-Filter", settings, 30, 256, 10);
    }
  }

  static ObjectNode defaultEncoder() {
    ObjectNode e = PalConfig.typed("onnx-sentence");
    e.put("cache", System.getProperty("user.home") + "/.cache/pal/embeddings");
    return e;
  }

  @Command(name = "records", description = {"Any file of the generic record format (user_id, prompt, left/right/label or chosen/rejected):",
      "seeded user and pair splits, PAL-B when there are prompts, else PAL-A with an MLP.",
      "Defaults: --epochs 30, --batch-size 256, --shots 10, --k 1,2."})
  static final class Records implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin SweepOptions o = new SweepOptions();
    @Option(names = "--data", required = true, description = "a .jsonl, .csv or .parquet file of records") Path data;
    @Option(names = "--encoder", description = "JSON embedder config for text and image: values (default: MiniLM, cached)") Path encoder;
    @Option(names = "--unseen-share", defaultValue = "0.2", description = "share of users held out as unseen (default ${DEFAULT-VALUE})") double unseen;
    @Option(names = "--skip-invalid", description = "skip and count invalid records instead of failing on the first") boolean skipInvalid;
    @Option(names = "--data-root", description = "folder that npy: and image: paths may point into (default: the record file's folder)") Path dataRoot;
    @Option(names = "--dim", defaultValue = "16", description = "latent dimension d (default ${DEFAULT-VALUE})") int dim;

    @Override
    public void run() {
      var enc = encoder != null ? Json.readTree(encoder) : defaultEncoder();
      RecordsDataset.Spec ds = new RecordsDataset.Spec(data.toAbsolutePath().toString(), enc, unseen, null, null, skipInvalid,
          dataRoot == null ? null : dataRoot.toAbsolutePath().toString());
      o.defaultDim = dim;
      sweepSettings(spec, o, "Records: " + data.getFileName(), List.of(new Setting("records", GenerateCommand.typed("records", ds), null, List.of(1, 2))),
          30, 256, 10);
    }
  }
}
