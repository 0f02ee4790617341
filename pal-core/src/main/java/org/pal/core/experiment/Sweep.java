package org.pal.core.experiment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.eval.Evaluator;
import org.pal.core.model.PalModel;
import org.pal.core.spi.DatasetSource;
import org.pal.core.train.ProgressListener;
import org.pal.core.train.TrainResult;
import org.pal.core.train.Trainer;

/**
 * Trains and evaluates one model per (K, seed): the dataset is drawn with the seed, the model is
 * initialised and trained with the same seed, seen / few-shot / zero-shot accuracies come from
 * pairs never used in training or model selection.
 */
public final class Sweep {
  private final ComponentRegistry registry;

  public Sweep(ComponentRegistry registry) {
    this.registry = registry;
  }

  /** Every option is checked before the first split is drawn or written (no half-made output). */
  static void validate(List<Integer> ks, List<Long> seeds, int shots, List<Integer> curveShots) {
    if (ks == null || ks.isEmpty()) throw PalException.badInput("k", "[]", "give at least one K");
    for (int k : ks) if (k < 1) throw PalException.badInput("k", k, "K, the number of prototypes, must be at least 1");
    if (seeds == null || seeds.isEmpty()) throw PalException.badInput("seeds", "[]", "give at least one seed");
    if (shots < 1) throw PalException.badInput("shots", shots, "each unseen user needs at least 1 enrolment comparison");
    for (int n : curveShots) if (n < 1) throw PalException.badInput("shots curve", n, "every point of the curve needs at least 1 comparison");
  }

  public List<RunResult> run(DatasetSource source, PalConfig base, List<Integer> ks, List<Long> seeds, int shots,
                             Consumer<RunResult> onRun, java.util.function.Function<String, ProgressListener> progress) {
    return run(source, base, ks, seeds, shots, List.of(), onRun, progress, null, null);
  }

  /**
   * @param curveShots enrolment sizes for the unseen-accuracy curve (empty for none)
   * @param onSplit receives each seed's split once (to write it next to the results), may be null
   * @param onModel receives each trained model with its result (for plots and archives), may be null
   */
  public List<RunResult> run(DatasetSource source, PalConfig base, List<Integer> ks, List<Long> seeds, int shots, List<Integer> curveShots,
                             Consumer<RunResult> onRun, java.util.function.Function<String, ProgressListener> progress,
                             java.util.function.BiConsumer<Long, SplitDataset> onSplit, java.util.function.BiConsumer<RunResult, PalModel> onModel) {
    validate(ks, seeds, shots, curveShots);
    List<RunResult> out = new ArrayList<>();
    Map<Long, SplitDataset> data = new TreeMap<>();
    for (long seed : seeds) {
      data.put(seed, source.load(seed));
      Evaluator.requireTestPairs(data.get(seed), shots); // before hours of training, not after
      if (onSplit != null) onSplit.accept(seed, data.get(seed));
    }
    for (int k : ks) {
      for (long seed : seeds) {
        SplitDataset split = data.get(seed);
        ObjectNode model = base.model().deepCopy();
        model.put("k", k);
        PalConfig cfg = base.withModel(model).withTrainer(base.trainer().withSeed(seed));
        PalModel m = PalModel.build(registry, cfg, split.data().items().dim(), split.data().promptDim(),
            split.ids(split.seenUsers()), DataType.FLOAT);
        TrainResult tr = new Trainer(cfg.trainer(), progress.apply("K=" + k + " seed=" + seed)).fit(m, split, null, false);
        Evaluator.Accuracies acc = Evaluator.evaluate(m, split, shots, cfg.trainer().adapt(), seed);
        java.util.Map<Integer, Double> curve = curveShots.isEmpty() || split.unseen().length == 0
            ? java.util.Map.of() : Evaluator.fewShotCurve(m, split, curveShots, cfg.trainer().adapt(), seed);
        RunResult r = new RunResult(model.path("type").asText(), k, seed, acc.seen(), acc.unseenFewShot(), acc.zeroShot(),
            tr.trainSeconds(), tr.pairsPerSecond(), tr.epochsRun(), tr.bestEpoch(), tr.bestValidationAccuracy(),
            split.train().length, acc.seenPairs(), acc.unseenTestPairs(), curve);
        out.add(r);
        if (onRun != null) onRun.accept(r);
        if (onModel != null) onModel.accept(r, m);
      }
    }
    return out;
  }
}
