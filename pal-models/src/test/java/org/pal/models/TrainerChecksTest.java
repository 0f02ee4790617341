package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Table;
import org.pal.core.model.Batch;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Tape;
import org.pal.core.testing.TinyData;
import org.pal.core.train.Checkpoints;
import org.pal.core.train.ProgressListener;
import org.pal.core.train.TrainResult;
import org.pal.core.train.Trainer;

/**
 * What the trainer reports and refuses: a seeded run against recorded values (so removing the
 * shuffle or the seed mix fails even though it would still be run-to-run identical), the epoch loss
 * against an independent mean, the pair count, and every check that stops a run.
 */
class TrainerChecksTest {
  private static final SplitDataset SPLIT = TinyData.make(6, 0, 20, 4, 3, 7);

  private static PalModel model(String json, SplitDataset split, DataType dtype) {
    return PalModel.build(Pal.load().registry(), PalConfig.parse(json), split.data().items().dim(), split.data().promptDim(),
        split.ids(split.seenUsers()), dtype);
  }

  // one worker: a recorded run must not depend on the machine's core count (results are bit-identical per worker count)
  private static final String RECORDED = "{\"model\":{\"type\":\"pal-b\",\"k\":2,\"dim\":3,\"itemProjector\":{\"type\":\"mlp\",\"layers\":2,\"dropout\":0.2}},"
      + "\"simplex\":{\"type\":\"gumbel-softmax\"},\"trainer\":{\"threads\":1,\"epochs\":3,\"batchSize\":10,\"seed\":4,"
      + "\"groups\":{\"mapping\":{\"lr\":0.02},\"prototypes\":{\"lr\":0.02},\"users\":{\"lr\":0.05}}}}";

  /**
   * Recorded from this run at the commit that added the test (float64, so BLAS rounding differences
   * between machines stay far below the tolerance). A change of any random stream (shuffle, dropout,
   * Gumbel noise, initialisation) moves these by far more than the tolerance.
   */
  private static final double[] RECORDED_VALUES = {0.3688129863423794, -0.05110806468726599, 0.09709861862214418, -1.3275631625098612, -0.8357502299681673,
      4.883928055921959, 1.0, 0.6666666666666666};
  private static final double RECORDED_LOSS = 0.7317558021922226;

  @Test
  void aSeededRunReproducesRecordedValues() {
    PalModel m = model(RECORDED, SPLIT, DataType.DOUBLE);
    TrainResult r = new Trainer(m.config().trainer(), null).fit(m, SPLIT, null, false);
    double[] p = m.params().flatValue().toDoubleArray();
    int n = p.length;
    double[] got = {p[0], p[1], p[n / 2], p[n - 2], p[n - 1], java.util.Arrays.stream(p).sum(), r.bestEpoch(), r.bestValidationAccuracy()};
    assertThat(got).containsExactly(RECORDED_VALUES, offset(1e-9));
    assertThat(r.finalTrainLoss()).isCloseTo(RECORDED_LOSS, offset(1e-9));
  }

  /**
   * The same run on 2 and 3 data-parallel workers (float64), recorded the same way: pins the shard
   * boundaries, the per-shard noise streams of (seed, epoch, step, shard), the n_s / n weighting of
   * each shard's loss and gradient, and the folding of the workers' gradients into the step, none of
   * which a comparison of two runs with the same worker count sees.
   */
  private static final double[][] RECORDED_PARALLEL = {
      {0.2325295315000411, -0.05939459993622187, 0.10376535714970284, -1.4694912768876744, -0.6938221155903542, 4.701456199995273, 1.0, 0.5833333333333334},
      {0.2626587818971906, -0.11916919125331715, 0.14904783395267285, -1.4625836172996851, -0.7007297751783433, 4.932237143102374, 2.0, 0.75},
  };
  private static final double[] RECORDED_PARALLEL_LOSS = {0.9968153487261578, 0.9845063078356402};

  @Test
  void aSeededDataParallelRunReproducesRecordedValues() {
    for (int threads = 2; threads <= 3; threads++) {
      PalModel m = model(RECORDED, SPLIT, DataType.DOUBLE);
      TrainResult r = new Trainer(m.config().trainer().withThreads(threads), null).fit(m, SPLIT, null, false);
      assertThat(r.threads()).isEqualTo(threads);
      double[] p = m.params().flatValue().toDoubleArray();
      int n = p.length;
      double[] got = {p[0], p[1], p[n / 2], p[n - 2], p[n - 1], java.util.Arrays.stream(p).sum(), r.bestEpoch(), r.bestValidationAccuracy()};
      assertThat(got).as("%d threads", threads).containsExactly(RECORDED_PARALLEL[threads - 2], offset(1e-9));
      assertThat(r.finalTrainLoss()).as("%d threads", threads).isCloseTo(RECORDED_PARALLEL_LOSS[threads - 2], offset(1e-9));
    }
  }

  @Test
  void theEpochLossIsTheMeanOfTheBatchLosses() {
    // a learning rate so small that the parameters do not move measurably: every batch sees the initial
    // model, so the epoch loss is the loss over all training pairs (batches of equal size)
    String json = "{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":3},\"trainer\":{\"epochs\":1,\"batchSize\":12,"
        + "\"groups\":{\"mapping\":{\"lr\":1e-12},\"prototypes\":{\"lr\":1e-12},\"users\":{\"lr\":1e-12}}}}";
    assertThat(SPLIT.train().length).isEqualTo(72);
    PalModel m = model(json, SPLIT, DataType.DOUBLE);
    Tape t = new Tape(DataType.DOUBLE).noGrad(true);
    Batch all = Batch.gather(t, SPLIT.data(), SPLIT.train(), 0, SPLIT.train().length, SPLIT.rowIndex(SPLIT.seenUsers()));
    double expected = m.loss(t, m.margins(t, all, m.users(), null), all).scalar();
    List<ProgressListener.EpochReport> reports = new ArrayList<>();
    TrainResult r = new Trainer(m.config().trainer(), reports::add).fit(m, SPLIT, null, false);
    assertThat(r.finalTrainLoss()).isCloseTo(expected, offset(1e-9));
    assertThat(reports).hasSize(1);
    assertThat(reports.get(0).trainLoss()).isEqualTo(r.finalTrainLoss());
    assertThat(reports.get(0).epoch()).isEqualTo(1);
    assertThat(reports.get(0).epochs()).isEqualTo(1);
    assertThat(r.pairsPerSecond() * r.trainSeconds()).as("pairs seen").isCloseTo(72, offset(1e-6));
  }

  @Test
  void stepsPerEpochCapsThePairsSeen() {
    String json = "{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":3},\"trainer\":{\"epochs\":3,\"batchSize\":10,\"stepsPerEpoch\":2}}";
    PalModel m = model(json, SPLIT, DataType.FLOAT);
    TrainResult r = new Trainer(m.config().trainer(), null).fit(m, SPLIT, null, false);
    assertThat(r.pairsPerSecond() * r.trainSeconds()).as("3 epochs of 2 batches of 10").isCloseTo(60, offset(1e-3));
    assertThat(r.epochsRun()).isEqualTo(3);
    assertThat(r.resumed()).isFalse();
  }

  @Test
  void epochReportLine() {
    var rep = new ProgressListener.EpochReport(2, 10, 0.51234, 0.75, 0.8, 1, 1234.4, 6.0);
    assertThat(rep.line()).isEqualTo("epoch 2/10  loss 0.5123  val-acc 0.7500  best 0.8000@1  1234 pairs/s  eta 24s");
    assertThat(new ProgressListener.EpochReport(0, 10, 0, 0, 0, 0, 0, 5).line()).endsWith("eta 0s");
  }

  @Test
  void aCheckpointResumesOnlyWithTheWorkerCountThatWroteIt(@TempDir Path dir) {
    String json = "{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":3},\"trainer\":{\"epochs\":2,\"batchSize\":16,\"seed\":1}}";
    PalModel m = model(json, SPLIT, DataType.FLOAT);
    new Trainer(m.config().trainer().withThreads(2), null).fit(m, SPLIT, dir, false);
    assertThat(Checkpoints.load(dir).identity().get("threads").asInt()).isEqualTo(2);
    PalModel three = model(json, SPLIT, DataType.FLOAT);
    assertThatThrownBy(() -> new Trainer(three.config().trainer().withThreads(3).withEpochs(3), null).fit(three, SPLIT, dir, true))
        .isInstanceOf(PalException.class).hasMessageContaining("trainer.threads = 3").hasMessageContaining("resume with --threads 2");
    PalModel two = model(json, SPLIT, DataType.FLOAT);
    assertThat(new Trainer(two.config().trainer().withThreads(2).withEpochs(3), null).fit(two, SPLIT, dir, true).resumed()).isTrue();
  }

  @Test
  void aCheckpointOfAnotherSizeOrRunIsRefused(@TempDir Path dir) throws Exception {
    String json = "{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":3},\"trainer\":{\"epochs\":2,\"batchSize\":16,\"seed\":1}}";
    PalModel m = model(json, SPLIT, DataType.FLOAT);
    new Trainer(m.config().trainer(), null).fit(m, SPLIT, dir, false);
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).as("older epochs pruned").containsExactlyInAnyOrder("LATEST", "epoch-000002");
    }
    PalModel bigger = model(json.replace("\"dim\":3", "\"dim\":4"), SPLIT, DataType.FLOAT);
    assertThatThrownBy(() -> new Trainer(bigger.config().trainer(), null).fit(bigger, SPLIT, dir, true))
        .isInstanceOf(PalException.class).hasMessageContaining("belongs to another run").hasMessageContaining("parameters was 50, now 58");
    PalModel otherSeed = model(json.replace("\"seed\":1", "\"seed\":2"), SPLIT, DataType.FLOAT);
    assertThatThrownBy(() -> new Trainer(otherSeed.config().trainer(), null).fit(otherSeed, SPLIT, dir, true))
        .isInstanceOf(PalException.class).hasMessageContaining("belongs to another run").hasMessageContaining("seed was 1, now 2");
    PalModel otherBatch = model(json.replace("\"batchSize\":16", "\"batchSize\":8"), SPLIT, DataType.FLOAT);
    assertThatThrownBy(() -> new Trainer(otherBatch.config().trainer(), null).fit(otherBatch, SPLIT, dir, true))
        .hasMessageContaining("belongs to another run").hasMessageContaining("batchSize was 16, now 8");
    // the same run resumes; without resume the checkpoint is ignored and overwritten
    PalModel same = model(json, SPLIT, DataType.FLOAT);
    assertThat(new Trainer(same.config().trainer().withEpochs(3), null).fit(same, SPLIT, dir, true).resumed()).isTrue();
    PalModel fresh = model(json, SPLIT, DataType.FLOAT);
    assertThat(new Trainer(fresh.config().trainer(), null).fit(fresh, SPLIT, dir, false).resumed()).isFalse();
    assertThat(Checkpoints.load(dir).epochsDone()).isEqualTo(2);
  }

  @Test
  void aResumedEarlyStoppedRunStaysStopped(@TempDir Path dir) {
    String json = "{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":3},\"trainer\":{\"epochs\":60,\"patience\":2,\"batchSize\":16,"
        + "\"groups\":{\"mapping\":{\"lr\":0.05},\"prototypes\":{\"lr\":0.05},\"users\":{\"lr\":0.05}}}}";
    PalModel m = model(json, SPLIT, DataType.FLOAT);
    TrainResult first = new Trainer(m.config().trainer(), null).fit(m, SPLIT, dir, false);
    assertThat(first.epochsRun()).isLessThan(60).isEqualTo(first.bestEpoch() + 2);
    PalModel again = model(json, SPLIT, DataType.FLOAT);
    TrainResult second = new Trainer(again.config().trainer(), null).fit(again, SPLIT, dir, true);
    assertThat(second.resumed()).isTrue();
    assertThat(second.epochsRun()).isEqualTo(first.epochsRun());
    assertThat(second.bestEpoch()).isEqualTo(first.bestEpoch());
    assertThat(second.bestValidationAccuracy()).isEqualTo(first.bestValidationAccuracy());
    assertThat(second.finalTrainLoss()).isEqualTo(first.finalTrainLoss());
    assertThat(again.params().flatValue().toFloatArray()).as("the best epoch's parameters").containsExactly(m.params().flatValue().toFloatArray());
  }

  @Test
  void corruptCheckpointsFailClearly(@TempDir Path dir) throws Exception {
    assertThat(Checkpoints.load(dir)).as("no LATEST, no checkpoint").isNull();
    String json = "{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":3},\"trainer\":{\"epochs\":1,\"batchSize\":16}}";
    PalModel m = model(json, SPLIT, DataType.FLOAT);
    new Trainer(m.config().trainer(), null).fit(m, SPLIT, dir, false);
    Checkpoints.State s = Checkpoints.load(dir);
    assertThat(s.epochsDone()).isEqualTo(1);
    assertThat(s.adamSteps()).isEqualTo(5); // 72 pairs in batches of 16
    assertThat(s.params()).hasSize(m.params().size());
    Path npy = dir.resolve("epoch-000001/adam_v.npy");
    byte[] bytes = Files.readAllBytes(npy);
    Files.write(npy, java.util.Arrays.copyOf(bytes, bytes.length - 8));
    assertThatThrownBy(() -> Checkpoints.load(dir)).isInstanceOf(PalException.class)
        .hasMessageContaining("corrupt").extracting(e -> ((PalException) e).kind()).isEqualTo(PalException.Kind.USER_INPUT);
    Files.writeString(dir.resolve("epoch-000001/state.json"), "{\"epochsDone\": 1");
    assertThatThrownBy(() -> Checkpoints.load(dir)).isInstanceOf(PalException.class).hasMessageContaining("checkpoint");
  }

  @Test
  void divergenceAndMismatchedDataStopTheRun() {
    // a huge embedding: squared distances overflow, the loss is not finite
    SplitDataset split = TinyData.make(4, 0, 20, 4, 0, 2);
    float[] items = split.data().items().data().clone();
    items[0] = 3e38f;
    items[5] = -3e38f;
    PreferenceDataset data = new PreferenceDataset(new Table("items", items, split.data().items().rows(), 4), null,
        split.data().userIds(), split.data().pairs());
    SplitDataset huge = new SplitDataset(data, split.seenUsers(), split.unseenUsers(), split.train(), split.validation(), split.test(), split.unseen());
    PalModel m = model("{\"model\":{\"type\":\"pal-a\",\"k\":2},\"trainer\":{\"epochs\":1}}", huge, DataType.FLOAT);
    assertThatThrownBy(() -> new Trainer(m.config().trainer(), null).fit(m, huge, null, false))
        .isInstanceOf(PalException.class).hasMessageContaining("diverged at epoch 1");
    PalModel prompts = model("{\"model\":{\"type\":\"pal-a\",\"k\":2}}", SPLIT, DataType.FLOAT);
    SplitDataset noPrompts = TinyData.make(6, 0, 20, 4, 0, 7);
    assertThatThrownBy(() -> new Trainer(prompts.config().trainer(), null).fit(prompts, noPrompts, null, false))
        .hasMessageContaining("prompts.dim = 0");
    SplitDataset more = TinyData.make(5, 0, 20, 4, 3, 7);
    assertThatThrownBy(() -> new Trainer(prompts.config().trainer(), null).fit(prompts, more, null, false))
        .hasMessageContaining("user rows");
  }
}
