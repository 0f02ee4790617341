package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.eval.Adapter;
import org.pal.core.eval.Evaluator;
import org.pal.core.model.Batch;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Tape;
import org.pal.core.testing.TinyData;
import org.pal.core.train.Adam;
import org.pal.core.train.DataParallel;
import org.pal.core.train.TrainResult;
import org.pal.core.train.Trainer;
import org.pal.core.train.TrainerSpec;

/** Data-parallel training: bit-identical for a given number of threads, and 1 thread is the sequential loop. */
class ParallelTrainingTest {
  private final ComponentRegistry registry = Pal.load().registry();
  /** Dropout and Gumbel noise: every random draw of a step must come from the right stream. */
  private static final String PAL_B = "{\"model\":{\"type\":\"pal-b\",\"k\":2,\"dim\":6,\"itemProjector\":{\"type\":\"mlp\",\"layers\":2,\"dropout\":0.1}},"
      + "\"simplex\":{\"type\":\"gumbel-softmax\"},\"trainer\":{\"epochs\":6,\"batchSize\":32,\"seed\":4}}";

  private PalModel model(String json, SplitDataset split, DataType dtype) {
    return PalModel.build(registry, PalConfig.parse(json), split.data().items().dim(), split.data().promptDim(),
        split.ids(split.seenUsers()), dtype);
  }

  private static TrainResult fit(PalModel m, SplitDataset s, int threads) {
    return new Trainer(m.config().trainer().withThreads(threads), null).fit(m, s, null, false);
  }

  @Test
  void aGivenNumberOfThreadsGivesBitIdenticalRuns() {
    SplitDataset split = TinyData.make(10, 0, 40, 5, 3, 2);
    for (int threads : new int[] {2, 3, 5}) {
      PalModel a = model(PAL_B, split, DataType.FLOAT), b = model(PAL_B, split, DataType.FLOAT);
      TrainResult ra = fit(a, split, threads), rb = fit(b, split, threads);
      assertThat(ra.threads()).isEqualTo(threads);
      assertThat(b.params().flatValue().toFloatArray()).as("%d threads", threads).containsExactly(a.params().flatValue().toFloatArray());
      assertThat(rb.finalTrainLoss()).isEqualTo(ra.finalTrainLoss());
    }
  }

  @Test
  void oneThreadIsTheSequentialLoop() {
    SplitDataset split = TinyData.make(10, 0, 40, 5, 3, 2);
    // the trainer's loop as it was before data parallelism, written out: parameters after every epoch
    PalModel ref = model(PAL_B, split, DataType.FLOAT);
    TrainerSpec spec = ref.config().trainer();
    int[] userRow = split.rowIndex(split.seenUsers());
    Adam adam = new Adam(ref.params(), spec::group);
    Tape tape = new Tape(DataType.FLOAT);
    ref.params().zeroGrad();
    int n = split.train().length;
    int[] train = new int[n];
    List<float[]> afterEpoch = new ArrayList<>();
    double lastLoss = 0;
    for (int epoch = 0; epoch < spec.epochs(); epoch++) {
      Random shuffle = new Random(Trainer.mix(spec.seed(), epoch, 1)), noise = new Random(Trainer.mix(spec.seed(), epoch, 2));
      System.arraycopy(split.train(), 0, train, 0, n);
      Trainer.shuffle(train, shuffle);
      double sum = 0;
      int batches = 0;
      for (int from = 0; from < n; from += spec.batchSize()) {
        tape.reset();
        Batch b = Batch.gather(tape, split.data(), train, from, Math.min(n, from + spec.batchSize()), userRow);
        var loss = ref.loss(tape, ref.margins(tape, b, ref.users(), noise), b);
        sum += loss.scalar();
        batches++;
        tape.backward(loss);
        adam.step();
      }
      lastLoss = sum / batches;
      afterEpoch.add(ref.params().flatValue().toFloatArray());
    }
    PalModel m = model(PAL_B, split, DataType.FLOAT);
    TrainResult r = fit(m, split, 1);
    assertThat(r.threads()).isEqualTo(1);
    assertThat(r.finalTrainLoss()).isEqualTo(lastLoss);
    assertThat(m.params().flatValue().toFloatArray()).containsExactly(afterEpoch.get(r.bestEpoch() - 1));
  }

  @Test
  void shardGradientsAddUpToTheBatchGradient() {
    SplitDataset split = TinyData.make(10, 0, 40, 5, 3, 2);
    String json = "{\"model\":{\"type\":\"pal-b\",\"k\":3,\"dim\":5},\"trainer\":{\"seed\":1}}";
    PalModel m = model(json, split, DataType.DOUBLE);
    int[] userRow = split.rowIndex(split.seenUsers());
    int[] idx = split.train();
    int from = 3, to = 53; // 50 pairs: shards of 16, 17 and 17
    m.params().zeroGrad();
    double whole = new DataParallel(m.params(), 1).lossAndGradient(m, split.data(), idx, from, to, userRow, m.users(), s -> new Random(0));
    double[] expected = m.params().flatGrad().toDoubleArray();
    m.params().zeroGrad();
    DataParallel three = new DataParallel(m.params(), 3);
    double sharded = three.lossAndGradient(m, split.data(), idx, from, to, userRow, m.users(), s -> new Random(0));
    double[] got = m.params().flatGrad().toDoubleArray();
    for (Mat a : three.addends()) {
      assertThat(a.toDoubleArray()).as("a worker's own gradient").isNotEqualTo(new double[a.size()]);
      for (int i = 0; i < got.length; i++) got[i] += a.get(i);
    }
    assertThat(sharded).isCloseTo(whole, within(1e-12));
    double scale = 0;
    for (double e : expected) scale = Math.max(scale, Math.abs(e));
    assertThat(scale).isGreaterThan(1e-3);
    for (int i = 0; i < got.length; i++) assertThat(got[i]).as("gradient %d", i).isCloseTo(expected[i], within(1e-12 * scale));
  }

  /** PAL-B with a 1024 x 1024 layer in its item projector: past DataParallel.MIN_BRANCH_PARAMS. */
  private static final String LARGE = "{\"model\":{\"type\":\"pal-b\",\"k\":2,\"dim\":6,\"itemProjector\":{\"type\":\"mlp\",\"layers\":3,\"hidden\":1024}},"
      + "\"trainer\":{\"epochs\":2,\"batchSize\":32,\"seed\":4}}";

  /**
   * A large PAL-B on two threads runs its two branches (prompt functions, item mapping) side by side
   * instead of splitting the batch: without noise, the parameters are those of one thread bit for bit;
   * with dropout, a run repeats bit for bit. A small one still splits the batch.
   */
  @Test
  void aLargeModelWithTwoBranchesTrainsThemSideBySide() {
    SplitDataset split = TinyData.make(10, 0, 40, 5, 3, 2);
    PalModel one = model(LARGE, split, DataType.FLOAT), two = model(LARGE, split, DataType.FLOAT);
    assertThat(one.branches()).isEqualTo(2);
    assertThat(one.params().size()).isGreaterThanOrEqualTo(DataParallel.MIN_BRANCH_PARAMS);
    try (DataParallel dp = new DataParallel(one.params(), 2, one.branches())) {
      assertThat(dp.parallelism()).isEqualTo("branches");
      assertThat(dp.shards()).isEqualTo(1);
    }
    try (DataParallel dp = new DataParallel(one.params(), 3, one.branches())) {
      assertThat(dp.parallelism()).as("3 threads, 2 branches").isEqualTo("batch");
    }
    PalModel small = model(PAL_B, split, DataType.FLOAT);
    try (DataParallel dp = new DataParallel(small.params(), 2, small.branches())) {
      assertThat(dp.parallelism()).isEqualTo("batch");
      assertThat(dp.shards()).isEqualTo(2);
    }
    float[] start = one.params().flatValue().toFloatArray();
    TrainResult r1;
    // one thread with single-threaded kernels, as each branch has (a BLAS on several threads may round otherwise)
    try (var kernels = org.pal.core.tensor.Threads.singleThreadedKernels()) {
      r1 = fit(one, split, 1);
    }
    TrainResult r2 = fit(two, split, 2);
    assertThat(r2.threads()).isEqualTo(2);
    assertThat(java.util.Arrays.mismatch(two.params().flatValue().toFloatArray(), one.params().flatValue().toFloatArray()))
        .as("first parameter that differs").isEqualTo(-1);
    assertThat(r2.finalTrainLoss()).isEqualTo(r1.finalTrainLoss());
    assertThat(java.util.Arrays.mismatch(one.params().flatValue().toFloatArray(), start)).as("training moved the parameters").isNotEqualTo(-1);
    String noisy = LARGE.replace("\"hidden\":1024}", "\"hidden\":1024,\"dropout\":0.1}");
    PalModel a = model(noisy, split, DataType.FLOAT), b = model(noisy, split, DataType.FLOAT);
    fit(a, split, 2);
    fit(b, split, 2);
    assertThat(java.util.Arrays.mismatch(b.params().flatValue().toFloatArray(), a.params().flatValue().toFloatArray())).isEqualTo(-1);
  }

  /**
   * One pair per step on two workers: the first shard is empty, so the store's own gradients are
   * untouched and hold only what the optimizer folded in. The next step must not add to that sum:
   * the run equals the one-worker run bit for bit (one pair's gradient is the same either way).
   */
  @Test
  void anEmptyFirstShardLeavesNoStaleGradientForTheNextStep() {
    SplitDataset split = TinyData.make(10, 0, 40, 5, 3, 2);
    String json = "{\"model\":{\"type\":\"pal-b\",\"k\":3,\"dim\":5},\"trainer\":{\"seed\":1}}";
    // float32: the fused update folds the workers' gradients into the store's own buffer
    PalModel one = model(json, split, DataType.FLOAT), two = model(json, split, DataType.FLOAT);
    int[] userRow = split.rowIndex(split.seenUsers());
    int[] idx = split.train();
    java.util.function.Function<String, org.pal.core.train.GroupSpec> groups = g -> new org.pal.core.train.GroupSpec(0.05, 0.0);
    Adam adamOne = new Adam(one.params(), groups), adamTwo = new Adam(two.params(), groups);
    DataParallel dpOne = new DataParallel(one.params(), 1), dpTwo = new DataParallel(two.params(), 2);
    one.params().zeroGrad();
    two.params().zeroGrad();
    for (int step = 0; step < 4; step++) {
      dpOne.lossAndGradient(one, split.data(), idx, step, step + 1, userRow, one.users(), s -> new Random(0));
      dpOne.step(adamOne);
      dpTwo.lossAndGradient(two, split.data(), idx, step, step + 1, userRow, two.users(), s -> new Random(0));
      dpTwo.step(adamTwo);
      assertThat(two.params().flatValue().toFloatArray()).as("after step %d", step).containsExactly(one.params().flatValue().toFloatArray());
    }
    dpOne.close();
    dpTwo.close();
  }

  @Test
  void accuracyIsTheSameOnAnyNumberOfWorkers() {
    SplitDataset split = TinyData.make(40, 0, 300, 5, 3, 2);
    PalModel m = model(PAL_B, split, DataType.FLOAT);
    int[] userRow = split.rowIndex(split.seenUsers());
    int[] idx = split.train(); // 7,200 pairs: two chunks of the evaluator's 4,096
    assertThat(idx.length).isGreaterThan(4096);
    double one = Evaluator.accuracy(m, split.data(), idx, userRow, m.users(), new Tape(DataType.FLOAT));
    Tape[] three = {new Tape(DataType.FLOAT), new Tape(DataType.FLOAT), new Tape(DataType.FLOAT)};
    assertThat(Evaluator.accuracy(m, split.data(), idx, userRow, m.users(), three)).isEqualTo(one);
    assertThat(Evaluator.accuracy(m, split.data(), idx, userRow, m.users())).isEqualTo(one);
    // a validation-sized set is cut across the workers too (it was one chunk for one worker)
    int[] few = java.util.Arrays.copyOf(idx, 256);
    double fewOne = Evaluator.accuracy(m, split.data(), few, userRow, m.users(), new Tape(DataType.FLOAT));
    assertThat(Evaluator.accuracy(m, split.data(), few, userRow, m.users(), new Tape[] {new Tape(DataType.FLOAT), new Tape(DataType.FLOAT)}))
        .isEqualTo(fewOne);
  }

  @Test
  void fitsOnPooledTapesAndSharedWeightsRepeatExactly() {
    SplitDataset split = TinyData.make(10, 0, 40, 5, 3, 2);
    // the first fit leaves its tapes in the pool, dirty; later fits borrow them and must not see it
    for (int threads : new int[] {1, 2}) {
      PalModel a = model(PAL_B, split, DataType.FLOAT);
      fit(a, split, threads);
      PalModel other = model(PAL_B.replace("\"dim\":6", "\"dim\":7"), split, DataType.FLOAT);
      fit(other, split, threads);
      PalModel b = model(PAL_B, split, DataType.FLOAT);
      fit(b, split, threads);
      assertThat(b.params().flatValue().toFloatArray()).as("%d threads", threads).containsExactly(a.params().flatValue().toFloatArray());
    }
  }

  @Test
  void enrolmentIsBitIdenticalForAGivenNumberOfThreads() {
    SplitDataset split = TinyData.make(20, 8, 60, 6, 0, 5);
    PalModel m = model("{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":6},\"trainer\":{\"epochs\":30,\"batchSize\":64}}", split, DataType.FLOAT);
    fit(m, split, 2);
    var fs = Evaluator.fewShotSplit(split, 20, 0.2);
    int[] row = split.rowIndex(fs.users());
    var spec = new org.pal.core.train.AdaptSpec(40, null, null, null, 50);
    float[] one = Adapter.enrol(m, split.data(), fs.adaptTrain(), fs.adaptValidation(), row, fs.users().length, spec, 3, 1).flatValue().toFloatArray();
    float[] a = Adapter.enrol(m, split.data(), fs.adaptTrain(), fs.adaptValidation(), row, fs.users().length, spec, 3, 3).flatValue().toFloatArray();
    float[] b = Adapter.enrol(m, split.data(), fs.adaptTrain(), fs.adaptValidation(), row, fs.users().length, spec, 3, 3).flatValue().toFloatArray();
    assertThat(b).containsExactly(a);
    // the same arithmetic up to the order of additions
    for (int i = 0; i < a.length; i++) assertThat(a[i]).isCloseTo(one[i], within(1e-3f));
  }

  @Test
  void theLossWithoutGradientsIsTheSameOnAnyNumberOfWorkersAndSeesTheCurrentWeights() {
    SplitDataset split = TinyData.make(10, 0, 40, 5, 3, 2);
    PalModel m = model("{\"model\":{\"type\":\"pal-b\",\"k\":3,\"dim\":5},\"trainer\":{\"seed\":1}}", split, DataType.DOUBLE);
    int[] userRow = split.rowIndex(split.seenUsers());
    int[] idx = split.train();
    try (DataParallel one = new DataParallel(m.params(), 1); DataParallel three = new DataParallel(m.params(), 3)) {
      assertThat(three.shards()).isEqualTo(3);
      double previous = Double.NaN;
      for (int round = 0; round < 2; round++) {
        // the mean loss over pairs 3..52 on one fresh tape (shards of 16, 17 and 17 pairs)
        Tape t = new Tape(DataType.DOUBLE).noGrad(true);
        Batch b = Batch.gather(t, split.data(), idx, 3, 53, userRow);
        double expected = m.loss(t, m.margins(t, b, m.users(), null), b).scalar();
        assertThat(expected).isNotEqualTo(previous);
        assertThat(three.loss(idx, 3, 53, DataParallel.gathered(m, split.data(), userRow, m.users(), s -> null))).as("round %d", round).isCloseTo(expected, within(1e-12));
        assertThat(one.loss(idx, 3, 53, DataParallel.gathered(m, split.data(), userRow, m.users(), s -> null))).as("round %d", round).isCloseTo(expected, within(1e-12));
        // the tapes are left reset and recording: a gradient step still works on them
        three.lossAndGradient(m, split.data(), idx, 3, 53, userRow, m.users(), s -> new Random(s));
        m.params().zeroGrad();
        for (Mat a : three.addends()) for (int i = 0; i < a.size(); i++) a.set(i, 0);
        // other weights for the next round: the workers' shared copy must be refreshed
        Mat flat = m.params().flatValue();
        for (int i = 0; i < flat.size(); i++) flat.set(i, flat.get(i) * 1.5 + 0.01);
        previous = expected;
      }
    }
  }
}
