package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Table;
import org.pal.core.eval.Adapter;
import org.pal.core.eval.Evaluator;
import org.pal.core.model.Batch;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;
import org.pal.core.tensor.Tape;
import org.pal.core.testing.TinyData;
import org.pal.core.train.AdaptSpec;
import org.pal.core.train.Trainer;

/**
 * Every number the evaluator reports against an independent computation on a small case: margins
 * taken one pair at a time and counted here, mean weights from the logits by hand, a case whose
 * accuracy is known exactly (ties count as wrong).
 */
class EvaluatorNumbersTest {
  private static final SplitDataset SPLIT = TinyData.make(6, 4, 30, 4, 0, 9);
  private static final AdaptSpec ADAPT = new AdaptSpec(40, 0.1, 0.25, 10, 8);

  private static PalModel trained() {
    PalModel m = PalModel.build(Pal.load().registry(), PalConfig.parse("{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":4},"
        + "\"trainer\":{\"epochs\":8,\"batchSize\":16,\"groups\":{\"mapping\":{\"lr\":0.05},\"prototypes\":{\"lr\":0.05},\"users\":{\"lr\":0.1}}}}"),
        4, 0, SPLIT.ids(SPLIT.seenUsers()), DataType.DOUBLE);
    new Trainer(m.config().trainer(), null).fit(m, SPLIT, null, false);
    return m;
  }

  /** Correct predictions among pairs idx, each pair scored on its own. */
  private static double oneByOne(PalModel m, PreferenceDataset data, int[] idx, int[] row, Param table, double[] weights) {
    int correct = 0;
    for (int p : idx) {
      Tape t = new Tape(DataType.DOUBLE).noGrad(true);
      Batch b = Batch.gather(t, data, new int[] {p}, 0, 1, weights == null ? row : new int[data.userIds().size()]);
      double z = weights == null ? m.margins(t, b, table, null).scalar()
          : m.marginsWithWeights(t, b, m.constantWeights(t, new double[][] {weights}), null).scalar();
      int y = data.pairs().label[p];
      if (z * y > 0) correct++;
    }
    return correct / (double) idx.length;
  }

  @Test
  void accuraciesMeanWeightsAndCountsMatchAnIndependentCount() {
    PalModel m = trained();
    int[] seenRow = SPLIT.rowIndex(SPLIT.seenUsers());
    // mean weights: softmax of each seen user's logits, averaged
    double[] mean = new double[2];
    Param users = m.users();
    for (int u = 0; u < users.rows(); u++) {
      double a = users.value().get(u, 0), b = users.value().get(u, 1), s = Math.exp(a) + Math.exp(b);
      mean[0] += Math.exp(a) / s / users.rows();
      mean[1] += Math.exp(b) / s / users.rows();
    }
    assertThat(Evaluator.meanWeights(m)).containsExactly(new double[] {mean[0], mean[1]}, offset(1e-12));
    assertThat(mean[0]).as("the case is not trivially uniform").isNotCloseTo(0.5, offset(1e-3));

    Evaluator.Accuracies acc = Evaluator.evaluate(m, SPLIT, 10, ADAPT, 3);
    assertThat(acc.seen()).isEqualTo(oneByOne(m, SPLIT.data(), SPLIT.test(), seenRow, m.users(), null));
    assertThat(acc.seenPairs()).isEqualTo(SPLIT.test().length).isEqualTo(6 * 6);
    Evaluator.FewShotSplit fs = Evaluator.fewShotSplit(SPLIT, 10, 0.25);
    assertThat(acc.unseenTestPairs()).isEqualTo(fs.test().length).isEqualTo(4 * 20);
    assertThat(acc.zeroShot()).isEqualTo(oneByOne(m, SPLIT.data(), fs.test(), null, null, mean));
    int[] row = SPLIT.rowIndex(fs.users());
    ParamStore table = Adapter.enrol(m, SPLIT.data(), fs.adaptTrain(), fs.adaptValidation(), row, fs.users().length, ADAPT, 3);
    assertThat(acc.unseenFewShot()).isEqualTo(oneByOne(m, SPLIT.data(), fs.test(), row, table.get(PalModel.USERS), null));
    assertThat(Evaluator.fewShotAccuracy(m, SPLIT, 10, ADAPT, 3)).isEqualTo(acc.unseenFewShot());
    assertThat(acc.seen()).as("trained: better than chance").isGreaterThan(0.6);
    // every accuracy is a fraction of its pairs, not a count or its complement
    assertThat(List.of(acc.seen(), acc.unseenFewShot(), acc.zeroShot())).allSatisfy(a -> assertThat(a).isBetween(0.0, 1.0));
  }

  @Test
  void theFewShotSplitTakesEachUsersFirstPairs() {
    Evaluator.FewShotSplit fs = Evaluator.fewShotSplit(SPLIT, 10, 0.25);
    assertThat(fs.users()).containsExactly(SPLIT.unseenUsers());
    assertThat(fs.adaptTrain()).hasSize(4 * 7); // round(10 * 0.25) = 3 of the first 10 validate
    assertThat(fs.adaptValidation()).hasSize(4 * 3);
    Map<Integer, List<Integer>> byUser = SPLIT.byUser(SPLIT.unseen());
    List<Integer> first = byUser.get(SPLIT.unseenUsers()[0]);
    assertThat(fs.adaptTrain()).startsWith(first.subList(0, 7).stream().mapToInt(Integer::intValue).toArray());
    assertThat(fs.adaptValidation()).startsWith(first.subList(7, 10).stream().mapToInt(Integer::intValue).toArray());
    assertThat(fs.test()).startsWith(first.subList(10, 30).stream().mapToInt(Integer::intValue).toArray());
    // below 5 shots every shot trains (Adapter.validationCount); a share that would take every shot leaves one to train on
    Evaluator.FewShotSplit two = Evaluator.fewShotSplit(SPLIT, 2, 0.9);
    assertThat(two.adaptTrain()).hasSize(8);
    assertThat(two.adaptValidation()).isEmpty();
    Evaluator.FewShotSplit five = Evaluator.fewShotSplit(SPLIT, 5, 0.99);
    assertThat(five.adaptTrain()).hasSize(4);
    assertThat(five.adaptValidation()).hasSize(16);
    // users with no pair left to test on are skipped
    assertThat(Evaluator.fewShotSplit(SPLIT, 30, 0.2).users()).isEmpty();
    assertThat(Evaluator.fewShotSplit(SPLIT, 29, 0.2).users()).hasSize(4);
    assertThatThrownBy(() -> Evaluator.fewShotSplit(SPLIT, 0, 0.2)).hasMessageContaining("shots").hasMessageContaining("0");
  }

  @Test
  void theFewShotCurveIsMeasuredOnTheSamePairsForEveryN() {
    PalModel m = trained();
    Map<Integer, Double> curve = Evaluator.fewShotCurve(m, SPLIT, List.of(8, 2), ADAPT, 3);
    assertThat(curve.keySet()).containsExactly(2, 8);
    Evaluator.FewShotSplit outer = Evaluator.fewShotSplit(SPLIT, 8, 0);
    int[] row = SPLIT.rowIndex(outer.users());
    Map<Integer, List<Integer>> byUser = SPLIT.byUser(SPLIT.unseen());
    for (int n : new int[] {2, 8}) {
      int nVal = n >= 5 ? (int) Math.round(n * ADAPT.validationShare()) : 0;
      java.util.List<Integer> tr = new java.util.ArrayList<>(), va = new java.util.ArrayList<>();
      for (int u : outer.users()) for (int i = 0; i < n; i++) (i < n - nVal ? tr : va).add(byUser.get(u).get(i));
      ParamStore table = Adapter.enrol(m, SPLIT.data(), tr.stream().mapToInt(Integer::intValue).toArray(),
          va.stream().mapToInt(Integer::intValue).toArray(), row, outer.users().length, ADAPT, 3);
      assertThat(curve.get(n)).as("n = " + n).isEqualTo(oneByOne(m, SPLIT.data(), outer.test(), row, table.get(PalModel.USERS), null));
    }
    assertThat(Evaluator.fewShotCurve(m, SPLIT, List.of(30), ADAPT, 3)).as("no unseen user has more than 30 pairs").isEmpty();
  }

  @Test
  void tiesAreWrongAndAccuracyIsAShareOfPairs() {
    // items 0 and 1 are the same vector: their margin is exactly 0, wrong for either label; pairs (0,2) and
    // (2,0) with the same label have opposite margins, so exactly one of them is right: 1 of 4
    Table items = new Table("items", new float[] {1, 2, 3, 4, 1, 2, 3, 4, -1, 0, 1, 0.5f}, 3, 4);
    PreferenceDataset data = new PreferenceDataset(items, null, List.of("u"),
        new Pairs(new int[] {0, 0, 0, 0}, new int[] {-1, -1, -1, -1}, new int[] {0, 0, 0, 2}, new int[] {1, 1, 2, 0}, new byte[] {1, -1, 1, 1}));
    for (String model : new String[] {"pal-a", "test-bilinear"}) {
      PalModel m = PalModel.build(Pal.load().registry(), PalConfig.parse("{\"model\":{\"type\":\"" + model + "\",\"k\":2}}"), 4, 0, List.of("u"), DataType.DOUBLE);
      int[] all = {0, 1, 2, 3};
      assertThat(Evaluator.accuracy(m, data, all, new int[] {0}, m.users())).as(model).isEqualTo(0.25);
      assertThat(Evaluator.accuracyWithWeights(m, data, all, new double[] {0.3, 0.7})).as(model).isEqualTo(0.25);
      assertThat(Evaluator.accuracy(m, data, new int[0], new int[] {0}, m.users())).isNaN();
      assertThat(Evaluator.accuracyWithWeights(m, data, new int[0], new double[] {0.3, 0.7})).isNaN();
    }
  }

  @Test
  void accuracyOverMoreThanOneEvaluationBatch() {
    SplitDataset big = TinyData.make(20, 0, 230, 4, 0, 4); // 4,600 pairs: two batches of at most 4,096
    PalModel m = PalModel.build(Pal.load().registry(), PalConfig.parse("{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":3}}"),
        4, 0, big.ids(big.seenUsers()), DataType.DOUBLE);
    int[] all = new int[big.data().pairs().size()];
    for (int i = 0; i < all.length; i++) all[i] = i;
    int[] row = big.rowIndex(big.seenUsers());
    double expected = oneByOne(m, big.data(), all, row, m.users(), null);
    assertThat(Evaluator.accuracy(m, big.data(), all, row, m.users())).isEqualTo(expected);
    double[] w = {0.8, 0.2};
    assertThat(Evaluator.accuracyWithWeights(m, big.data(), all, w)).isEqualTo(oneByOne(m, big.data(), all, null, null, w));
  }

  @Test
  void enrolmentLearnsOnlyTheNewUsersAndKeepsItsBestEpoch() {
    PalModel m = trained();
    double[] shared = m.params().flatValue().toDoubleArray();
    Evaluator.FewShotSplit fs = Evaluator.fewShotSplit(SPLIT, 10, 0.25);
    int[] row = SPLIT.rowIndex(fs.users());
    for (double lr : new double[] {0.3, 2.0}) { // 2.0: a rate so large that the validation loss goes up again
      double previous = Double.POSITIVE_INFINITY;
      boolean improved = false;
      for (int epochs = 1; epochs <= 10; epochs++) {
        AdaptSpec spec = new AdaptSpec(epochs, lr, 0.25, 100, 8);
        ParamStore table = Adapter.enrol(m, SPLIT.data(), fs.adaptTrain(), fs.adaptValidation(), row, fs.users().length, spec, 3);
        double loss = validationLoss(m, fs.adaptValidation(), row, table.get(PalModel.USERS));
        assertThat(loss).as("lr " + lr + ": the kept epoch is the best so far (" + epochs + " epochs)").isLessThanOrEqualTo(previous + 1e-12);
        improved |= loss < previous - 1e-6 && epochs > 1;
        previous = loss;
      }
      assertThat(improved || lr > 1).as("lr " + lr + " improves after the first epoch").isTrue();
    }
    assertThat(m.params().flatValue().toDoubleArray()).as("the model is frozen during enrolment").containsExactly(shared);
    assertThat(m.params().params()).noneMatch(Param::frozen);
    assertThatThrownBy(() -> Adapter.enrol(m, SPLIT.data(), new int[0], fs.adaptValidation(), row, 4, ADAPT, 3))
        .hasMessageContaining("at least one comparison");
  }

  private static double validationLoss(PalModel m, int[] idx, int[] row, Param table) {
    Tape t = new Tape(DataType.DOUBLE).noGrad(true);
    Batch b = Batch.gather(t, SPLIT.data(), idx, 0, idx.length, row);
    return m.loss(t, m.margins(t, b, table, null), b).scalar();
  }
}
