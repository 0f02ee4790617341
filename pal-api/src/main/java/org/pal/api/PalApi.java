package org.pal.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.DatasetDirectory;
import org.pal.core.data.SplitDataset;
import org.pal.core.eval.Evaluator;
import org.pal.core.experiment.RunResult;
import org.pal.core.experiment.Sweep;
import org.pal.core.model.PalModel;
import org.pal.core.spi.DatasetSource;
import org.pal.core.spi.PalPlugin;
import org.pal.core.train.ProgressListener;
import org.pal.core.train.TrainResult;
import org.pal.core.train.Trainer;

/**
 * Where a Java user starts: every plugin on the class path (plus any given) behind one object that
 * builds datasets from JSON specs, trains, evaluates, sweeps, and loads {@link RewardModel}s. The
 * CLI, the server and the Spark jobs are shells over these methods.
 *
 * <pre>{@code
 * PalApi pal = PalApi.create();
 * Dataset data = pal.dataset(Json.parse("{\"type\": \"records\", \"path\": \"prefs.jsonl\"}"), 0);
 * RewardModel model = pal.train(PalConfig.parse(config), data).model();
 * }</pre>
 */
public final class PalApi {
  private final Pal pal;
  private final ComponentRegistry registry;

  private PalApi(Pal pal) {
    this.pal = pal;
    this.registry = pal.registry();
  }

  /** Every plugin found on the class path by ServiceLoader, plus {@code extra} (tests, applications). */
  public static PalApi create(PalPlugin... extra) {
    return new PalApi(Pal.load(extra));
  }

  public ComponentRegistry registry() {
    return registry;
  }

  /** Plugin class names, in load order. */
  public List<String> plugins() {
    return pal.plugins();
  }

  /**
   * Data-parallel workers for training, evaluation and enrolment in this process (null: the machine's
   * cores, at most 8), with BLAS single-threaded when there is more than one.
   */
  public static void useThreads(Integer workers) {
    org.pal.core.tensor.Threads.configure(workers);
  }

  // ---- models

  /** Loads a model archive and opens the encoders it records, checking their fingerprints. */
  public RewardModel load(Path dir) {
    return load(dir, LoadOptions.DEFAULT);
  }

  /**
   * How to open a model's encoders: {@code encoder} replaces the recorded one (the caller accepts a
   * different fingerprint explicitly; the dimension must still match); {@code vectorsOnly} opens
   * none (scoring then takes vectors only).
   */
  public record LoadOptions(JsonNode encoder, boolean vectorsOnly) {
    public static final LoadOptions DEFAULT = new LoadOptions(null, false);

    public static LoadOptions acceptEncoder(JsonNode encoder) {
      return new LoadOptions(encoder, false);
    }

    public static LoadOptions vectors() {
      return new LoadOptions(null, true);
    }
  }

  public RewardModel load(Path dir, LoadOptions options) {
    PalModel m = ModelArchive.load(registry, dir);
    JsonNode manifest = ModelArchive.manifest(dir);
    ModelArchive.Provenance prov = manifest.hasNonNull("provenance")
        ? Json.mapper().convertValue(manifest.get("provenance"), ModelArchive.Provenance.class) : null;
    Encoders enc = options.vectorsOnly() ? Encoders.none(m.itemDim(), m.promptDim())
        : Encoders.forArchive(registry, dir, ModelArchive.inputs(dir), options.encoder(), m.itemDim(), m.promptDim());
    return new RewardModel(registry, m, enc, prov, manifest.get("dataset"));
  }

  /** A freshly initialised (untrained) model of {@code config}, for benchmarks and custom loops. */
  public RewardModel initialise(PalConfig config, int itemDim, int promptDim, List<String> users, JsonNode encoder) {
    return wrap(PalModel.build(registry, config, itemDim, promptDim, users, DataType.FLOAT), encoder);
  }

  /**
   * A reward model around an engine model built in code (benchmarks, custom training loops); with
   * {@code encoder} (null for vectors only) it also scores raw inputs through that embedder config.
   */
  public RewardModel wrap(PalModel model, JsonNode encoder) {
    return new RewardModel(registry, model, Encoders.forTraining(registry, encoder, model.itemDim(), model.promptDim()), null, null);
  }

  // ---- datasets

  /** A dataset source from its JSON spec ({@code {"type": "records", ...}}), through the registry. */
  public DatasetSource datasetSource(JsonNode spec) {
    return registry.dataset(spec);
  }

  /** The dataset of a JSON spec, split with {@code seed}. */
  public Dataset dataset(JsonNode spec, long seed) {
    return dataset(datasetSource(spec), spec, seed);
  }

  /** The dataset of a source built from {@code spec}, split with {@code seed}. */
  public Dataset dataset(DatasetSource source, JsonNode spec, long seed) {
    ObjectNode prov = Json.mapper().createObjectNode();
    prov.set("spec", spec);
    prov.put("seed", seed);
    return new Dataset(source.load(seed), source.encoder(), prov);
  }

  /** A dataset directory written by {@link #writeDataset} or 'pal generate'. */
  public Dataset dataset(Path dir) {
    ObjectNode prov = Json.mapper().createObjectNode();
    prov.put("directory", dir.toAbsolutePath().toString());
    return new Dataset(DatasetDirectory.read(dir), DatasetDirectory.encoder(dir), prov);
  }

  /**
   * The dataset {@code model} was trained on, reopened from what its archive records (the spec and
   * split seed, or the directory): the same users, pairs and splits, so held-out pairs are held out.
   */
  public Dataset trainingData(RewardModel model) {
    JsonNode d = model.dataset();
    if (d == null || d.isNull()) throw PalException.badInput("dataset", "not recorded", "the model archive does not name the data it was trained on");
    if (d.hasNonNull("directory")) return dataset(Path.of(d.get("directory").asText()));
    if (!d.hasNonNull("spec") || !d.path("seed").isIntegralNumber()) throw PalException.badInput("dataset", d, "records neither a directory nor a spec with its seed");
    return dataset(d.get("spec"), d.get("seed").asLong());
  }

  /** Writes a dataset as a directory (tables as .npy, splits, its encoder), atomically. */
  public void writeDataset(Dataset data, Path dir) {
    DatasetDirectory.write(data.split(), dir, data.encoder());
  }

  // ---- training and evaluation

  /** Checkpoints (null for none), resume, and a per-epoch listener. */
  public record TrainOptions(Path checkpointDir, boolean resume, ProgressListener progress) {
    public static final TrainOptions DEFAULT = new TrainOptions(null, false, ProgressListener.NONE);

    public TrainOptions {
      if (progress == null) progress = ProgressListener.NONE;
      if (resume && checkpointDir == null) throw PalException.badInput("resume", true, "resuming needs the checkpoint directory");
    }
  }

  public record Trained(RewardModel model, TrainResult result) {}

  public Trained train(PalConfig config, Dataset data) {
    return train(config, data, TrainOptions.DEFAULT);
  }

  /** Trains on the dataset's seen users; the model records the dataset's encoder and provenance. */
  public Trained train(PalConfig config, Dataset data, TrainOptions options) {
    SplitDataset split = data.split();
    PalModel model = PalModel.build(registry, config, split.data().items().dim(), split.data().promptDim(),
        split.ids(split.seenUsers()), DataType.FLOAT);
    Encoders enc = Encoders.forTraining(registry, data.encoder(), model.itemDim(), model.promptDim());
    try {
      TrainResult r = new Trainer(config.trainer(), options.progress()).fit(model, split, options.checkpointDir(), options.resume());
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("train", r);
      ModelArchive.Provenance prov = new ModelArchive.Provenance(config.trainer().seed(), split.data().hash(), ModelArchive.VERSION,
          Instant.now().toString(), extra);
      return new Trained(new RewardModel(registry, model, enc, prov, data.provenance()), r);
    } catch (RuntimeException e) {
      enc.close();
      throw e;
    }
  }

  static void requireCompatible(PalModel m, SplitDataset split) {
    if (split.data().items().dim() != m.itemDim()) {
      throw PalException.badInput("items.dim", split.data().items().dim(), "the model was trained on item dimension " + m.itemDim());
    }
    if (split.data().promptDim() != m.promptDim()) {
      throw PalException.badInput("prompts.dim", split.data().promptDim(), "the model was trained on prompt dimension " + m.promptDim());
    }
  }

  static Evaluation evaluate(PalModel model, SplitDataset split, int shots) {
    Evaluator.requireTestPairs(split, shots);
    Evaluator.Accuracies a = Evaluator.evaluate(model, split, shots, model.config().trainer().adapt(), model.config().trainer().seed());
    boolean unseen = split.unseen().length > 0;
    return new Evaluation(a.seen(), unseen ? a.unseenFewShot() : null, unseen ? a.zeroShot() : null, a.seenPairs(),
        split.unseenUsers().length, a.unseenTestPairs(), shots);
  }

  // ---- sweeps

  /** Which models a sweep trains: every K with every seed; {@code shotsCurve} may be empty. */
  public record SweepPlan(List<Integer> ks, List<Long> seeds, int shots, List<Integer> shotsCurve) {
    public SweepPlan {
      if (shotsCurve == null) shotsCurve = List.of();
      Sweep.validate(ks, seeds, shots, shotsCurve);
      ks = List.copyOf(ks);
      seeds = List.copyOf(seeds);
      shotsCurve = List.copyOf(shotsCurve);
    }
  }

  /** What a sweep reports as it goes; every method has a no-op default. */
  public interface SweepListener {
    default ProgressListener progress(String run) { return ProgressListener.NONE; }
    default void onSplit(long seed, SplitDataset split) {}
    default void onRun(RunResult result, PalModel model) {}
  }

  public record SweepResult(List<RunResult> runs, List<Summary> summary) {}

  /**
   * Trains and evaluates one model per (K, seed) on the spec's dataset; results come with their
   * aggregate over seeds. Every option is checked before any data is read or written.
   */
  public SweepResult sweep(JsonNode datasetSpec, PalConfig base, SweepPlan plan, SweepListener listener) {
    return sweep(datasetSource(datasetSpec), base, plan, listener);
  }

  public SweepResult sweep(DatasetSource source, PalConfig base, SweepPlan plan, SweepListener listener) {
    SweepListener l = listener == null ? new SweepListener() {} : listener;
    List<RunResult> runs = new Sweep(registry).run(source, base, plan.ks(), plan.seeds(), plan.shots(), plan.shotsCurve(),
        r -> {}, l::progress, l::onSplit, l::onRun);
    return new SweepResult(runs, Summary.of(runs));
  }

  /** Mean and sample standard deviation over seeds of one (model, K) group; null fields when absent. */
  public record Summary(String model, int k, int runs, Stat seen, Stat unseen, Stat zeroShot, double trainSeconds, double pairsPerSecond) {
    public record Stat(double mean, double std) {}

    public static List<Summary> of(List<RunResult> runs) {
      Map<String, List<RunResult>> groups = new LinkedHashMap<>();
      for (RunResult r : runs) groups.computeIfAbsent(r.model() + "|" + r.k(), x -> new ArrayList<>()).add(r);
      List<Summary> out = new ArrayList<>();
      for (List<RunResult> g : groups.values()) {
        out.add(new Summary(g.get(0).model(), g.get(0).k(), g.size(),
            stat(g.stream().map(RunResult::seenAccuracy).toList()),
            stat(g.stream().map(RunResult::unseenAccuracy).toList()),
            stat(g.stream().map(RunResult::zeroShotAccuracy).toList()),
            g.stream().mapToDouble(RunResult::trainSeconds).average().orElseThrow(),
            g.stream().mapToDouble(RunResult::pairsPerSecond).average().orElseThrow()));
      }
      return out;
    }

    /** Mean and sample std (n - 1) of the present values; null when none is present. */
    public static Stat stat(List<Double> values) {
      List<Double> v = values.stream().filter(x -> x != null && !x.isNaN()).toList();
      if (v.isEmpty()) return null;
      double m = v.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
      double ss = v.stream().mapToDouble(x -> (x - m) * (x - m)).sum();
      return new Stat(m, Math.sqrt(ss / Math.max(1, v.size() - 1)));
    }
  }
}
