package org.pal.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.experiment.RunResult;
import org.pal.core.experiment.Sweep;
import org.pal.core.spi.DatasetSource;
import org.pal.core.train.TrainerSpec;
import org.pal.datasets.PersonaDataset;
import org.pal.datasets.RecordsDataset;
import org.pal.datasets.SyntheticDataset;
import org.pal.models.PalB;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "experiment", description = "Sweep K and seeds on one of the paper's studies or on your records; write results, plots and a report.",
    subcommands = {ExperimentCommand.Synthetic.class, ExperimentCommand.Persona.class, ExperimentCommand.Tldr.class, ExperimentCommand.PickAFilter.class, ExperimentCommand.Records.class})
final class ExperimentCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every experiment shares. */
  static final class SweepOptions {
    @Option(names = "--k", split = ",", description = "values of K") List<Integer> ks;
    @Option(names = "--seeds", split = ",", defaultValue = "0", description = "seeds: each draws the data split and initialises the model (default ${DEFAULT-VALUE})") List<Long> seeds;
    @Option(names = "--epochs", description = "epochs per run") Integer epochs;
    @Option(names = "--batch-size", description = "mini-batch size") Integer batchSize;
    @Option(names = "--config", description = "JSON config to start from instead of the experiment's default (its model.k is swept)") Path config;
    @Option(names = "--shots", description = "enrolment comparisons per unseen user") Integer shots;
    @Option(names = "--shots-curve", split = ",", description = "also measure unseen accuracy after these many enrolment comparisons") List<Integer> curve;
    @Option(names = "--out", required = true, description = "output directory") Path out;
    @Option(names = "--threads", description = PalCommand.THREADS) Integer threads;
  }

  static List<RunResult> sweep(CommandLine.Model.CommandSpec spec, SweepOptions o, String title, DatasetSource source, Object datasetSpec,
                               PalConfig defaults, List<Integer> defaultKs, int defaultEpochs, int defaultBatch, int defaultShots) {
    PalCommand.configureThreads(o.threads);
    PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
    PalConfig base = o.config != null ? PalConfig.read(o.config) : defaults;
    TrainerSpec t = base.trainer();
    if (o.config == null || o.epochs != null) t = t.withEpochs(o.epochs != null ? o.epochs : defaultEpochs);
    if (o.config == null || o.batchSize != null) t = t.withBatchSize(o.batchSize != null ? o.batchSize : defaultBatch);
    if (o.threads != null) t = t.withThreads(o.threads);
    base = base.withTrainer(t);
    List<Integer> ks = o.ks != null ? o.ks : defaultKs;
    int shots = o.shots != null ? o.shots : defaultShots;
    List<RunResult> runs = new Sweep(Pal.load().registry()).run(source, base, ks, o.seeds, shots, o.curve == null ? List.of() : o.curve,
        r -> err.printf(Locale.ROOT, "done %s K=%d seed=%d: seen %.4f unseen %.4f zero-shot %.4f (%.1fs, %.0f pairs/s)%n",
            r.model(), r.k(), r.seed(), r.seenAccuracy(), r.unseenAccuracy(), r.zeroShotAccuracy(), r.trainSeconds(), r.pairsPerSecond()),
        name -> new Progress(err, name + "  "), (seed, split) -> Reports.writeSplit(o.out, seed, split),
        (r, model) -> {
          if (r.seed() == o.seeds.get(0)) {
            org.pal.core.archive.AtomicFiles.writeString(o.out.resolve("users-K" + r.k() + ".svg"), Reports.simplexView(model, title + ", K = " + r.k() + ", seed " + r.seed()));
          }
        });
    String command = "pal " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    Reports.write(o.out, title, command, runs, Map.of("dataset", datasetSpec, "shots", shots), base);
    out.print(Reports.table(runs));
    out.println("wrote " + o.out.resolve("report.md"));
    return runs;
  }

  /** One dataset setting of a knob sweep: its label (a folder name), source and default model. */
  record Setting(String label, DatasetSource source, Object datasetSpec, PalConfig defaults, List<Integer> ks) {}

  /**
   * Sweeps K and seeds for each setting; with several settings each goes to its own folder under
   * --out and a summary (summary.csv, settings.svg, report.md) compares them, as Figure 4's panels.
   */
  static void sweepSettings(CommandLine.Model.CommandSpec spec, SweepOptions o, String title, List<Setting> settings,
                            int epochs, int batch, int shots) {
    if (settings.size() == 1) {
      Setting st = settings.get(0);
      sweep(spec, o, title, st.source(), st.datasetSpec(), st.defaults(), st.ks(), epochs, batch, shots);
      return;
    }
    Path root = o.out;
    Map<String, List<RunResult>> all = new LinkedHashMap<>();
    for (Setting st : settings) {
      o.out = root.resolve(st.label());
      all.put(st.label(), sweep(spec, o, title + ", " + st.label(), st.source(), st.datasetSpec(), st.defaults(), st.ks(), epochs, batch, shots));
    }
    o.out = root;
    Reports.writeSettings(root, title, "pal " + String.join(" ", spec.commandLine().getParseResult().originalArgs()), all);
    spec.commandLine().getOut().println("wrote " + root.resolve("report.md"));
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
      "one model per K and seed; the seed draws the data and initialises the model."})
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
        settings.add(new Setting("d-" + dim + "_kstar-" + trueK + "_n-" + pairs, new SyntheticDataset(ds), ds, c1, List.of(1, 2, 3, 4, 5)));
      }
      sweepSettings(spec, o, "Synthetic study (Section 4.1)", settings, 1000, 128, data.unseenPairs);
    }
  }

  @Command(name = "persona", description = {"Section 4.2.1: users with one of K* Anthropic personas answer yes/no to persona statements;",
      "PAL-B with logistic loss on MiniLM embeddings (the persona list sets K*)."})
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
      ComponentRegistry registry = Pal.load().registry();
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
          settings.add(new Setting("kstar-" + ks + "_np-" + q + "_d-" + d, new PersonaDataset(ds, registry), ds,
              palB(d, "logistic", groups(1e-3, 1e-3, 2e-2)), ks == 1 ? List.of(1) : List.of(1, ks)));
        }
      }
      sweepSettings(spec, o, "Persona (Section 4.2.1)", settings, 30, 256, 50);
    }
  }

  @Command(name = "tldr", description = {"Sections 4.3.1 and C.3: Reddit TL;DR comparisons with worker ids; the reference's semi-synthetic",
      "variant (minority workers prefer shorter summaries) or the workers' real choices. PAL-B, logistic loss, MiniLM."})
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
      sweep(spec, o, "TL;DR (" + variant + ")", new org.pal.datasets.TldrDataset(ds, Pal.load().registry()), ds,
          palB(dim, "logistic", groups(1e-3, 1e-3, 2e-2)), List.of(1, 2), 60, 64, 10);
    }
  }

  @Command(name = "pick-a-filter", description = {"Sections 4.2.2 and Appendix B: Pick-a-Pic comparisons from local parquet files with CLIP embeddings;",
      "--beta > 0 applies the blue/red filters of Pick-a-Filter (two user groups), --beta 0 is plain Pick-a-Pic."})
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
      ComponentRegistry registry = Pal.load().registry();
      for (double beta : betas) {
        org.pal.datasets.PickAPicDataset.Spec ds = new org.pal.datasets.PickAPicDataset.Spec(files.stream().map(Path::toString).toList(),
            Json.readTree(encoder), min, exclude == null ? null : exclude.toString(), beta, null, null, null, seenUsers);
        settings.add(new Setting("beta-" + beta, new org.pal.datasets.PickAPicDataset(ds, registry), ds, palB(dim, "logistic", groups(1e-3, 1e-3, 2e-2)), List.of(1, 2)));
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
      "seeded user and pair splits, PAL-B when there are prompts, else PAL-A with an MLP."})
  static final class Records implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin SweepOptions o = new SweepOptions();
    @Option(names = "--data", required = true, description = "a .jsonl, .csv or .parquet file of records") Path data;
    @Option(names = "--encoder", description = "JSON embedder config for text and image: values (default: MiniLM, cached)") Path encoder;
    @Option(names = "--unseen-share", defaultValue = "0.2", description = "share of users held out as unseen (default ${DEFAULT-VALUE})") double unseen;
    @Option(names = "--skip-invalid", description = "skip and count invalid records instead of failing on the first") boolean skipInvalid;
    @Option(names = "--dim", defaultValue = "16", description = "latent dimension d (default ${DEFAULT-VALUE})") int dim;

    @Override
    public void run() {
      var enc = encoder != null ? Json.readTree(encoder) : defaultEncoder();
      RecordsDataset.Spec ds = new RecordsDataset.Spec(data.toString(), enc, unseen, null, null, skipInvalid);
      RecordsDataset source = new RecordsDataset(ds, Pal.load().registry());
      boolean prompts = source.data().prompts() != null;
      if (source.report().skipped() > 0) {
        spec.commandLine().getErr().printf("skipped %d of %d records; first problems: %s%n", source.report().skipped(), source.report().rows(), source.report().problems());
      }
      PalConfig def;
      if (prompts) {
        def = palB(dim, "logistic", groups(1e-3, 1e-3, 2e-2));
      } else {
        ObjectNode m = PalConfig.typed("pal-a");
        m.put("dim", dim);
        m.putObject("projector").put("type", "mlp").put("layers", 2);
        def = new PalConfig(m, null, null, PalConfig.typed("logistic"), trainer(groups(1e-3, 1e-3, 2e-2)));
      }
      sweep(spec, o, "Records: " + data.getFileName(), source, Map.of("spec", ds, "records", source.report().rows(), "skipped", source.report().skipped()),
          def, List.of(1, 2), 30, 256, 10);
    }
  }
}
