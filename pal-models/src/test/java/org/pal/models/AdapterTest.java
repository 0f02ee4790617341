package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.eval.Adapter;
import org.pal.core.eval.Evaluator;
import org.pal.core.model.Batch;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;
import org.pal.core.tensor.Tape;
import org.pal.core.testing.TinyData;
import org.pal.core.train.AdaptSpec;

/**
 * Few-shot enrolment against what it must compute: one epoch of one batch is one Adam step from
 * uniform logits, which moves every logit by the learning rate against the sign of its gradient; a
 * seeded multi-batch enrolment against recorded values; the frozen model is left untouched.
 */
class AdapterTest {
  private static final SplitDataset SPLIT = TinyData.make(6, 3, 24, 4, 0, 12);
  private static final Evaluator.FewShotSplit FS = Evaluator.fewShotSplit(SPLIT, 10, 0.2);
  private static final int[] ROW = SPLIT.rowIndex(FS.users());

  private static PalModel model() {
    return PalModel.build(Pal.load().registry(), PalConfig.parse("{\"model\":{\"type\":\"pal-a\",\"k\":3,\"dim\":3}}"), 4, 0,
        SPLIT.ids(SPLIT.seenUsers()), DataType.DOUBLE);
  }

  @Test
  void oneEpochOfOneBatchIsOneSignStepFromUniform() {
    PalModel m = model();
    // the gradient of the training loss at uniform logits, on a separate table
    ParamStore probe = m.newUserTable(FS.users().length);
    Tape t = new Tape(DataType.DOUBLE);
    Batch b = Batch.gather(t, SPLIT.data(), FS.adaptTrain(), 0, FS.adaptTrain().length, ROW);
    t.backward(m.loss(t, m.margins(t, b, probe.get(PalModel.USERS), null), b));
    double[] g = probe.flatGrad().toDoubleArray();
    m.params().zeroGrad(); // the probe's backward pass reached the (unfrozen) model too
    for (int[] validation : new int[][] {FS.adaptValidation(), new int[0]}) {
      ParamStore table = Adapter.enrol(m, SPLIT.data(), FS.adaptTrain(), validation, ROW, FS.users().length,
          new AdaptSpec(1, 0.05, 0.2, 10, 1000), 1);
      double[] got = table.flatValue().toDoubleArray();
      assertThat(got).hasSize(3 * 3);
      for (int i = 0; i < g.length; i++) {
        assertThat(Math.abs(g[i])).as("gradient " + i).isGreaterThan(1e-6);
        assertThat(got[i]).as("logit " + i + " (validation pairs: " + validation.length + ")").isCloseTo(-0.05 * Math.signum(g[i]), offset(1e-6));
      }
    }
    assertThat(m.params().flatGrad().toDoubleArray()).as("the frozen model gets no gradient").containsOnly(0.0);
  }

  private static final double[] RECORDED = {-0.9422158697825291, -0.23877491454849437, 0.8602860581137187, 1.5399837310768136};

  @Test
  void aSeededEnrolmentInSeveralBatchesReproducesRecordedValues() {
    PalModel m = model();
    ParamStore table = Adapter.enrol(m, SPLIT.data(), FS.adaptTrain(), FS.adaptValidation(), ROW, FS.users().length,
        new AdaptSpec(6, 0.05, 0.2, 3, 5), 7);
    double[] v = table.flatValue().toDoubleArray();
    double[] got = {v[0], v[4], v[8], java.util.Arrays.stream(v).sum()};
    assertThat(got).containsExactly(RECORDED, offset(1e-9));
    Param users = table.get(PalModel.USERS);
    assertThat(users.rows()).isEqualTo(3);
  }

  @Test
  void noUnseenUserToTestMeansNoFewShotOrZeroShotAccuracy() {
    PalModel m = model();
    // an accuracy over no pairs would be NaN: the evaluation refuses, naming the setting
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Evaluator.evaluate(m, SPLIT, 24, new AdaptSpec(2, null, null, null, null), 1))
        .isInstanceOf(org.pal.core.PalException.class).hasMessageContaining("shots = 24").hasMessageContaining("at most 24");
    assertThat(Evaluator.fewShotSplit(SPLIT, 1, 0.5).adaptTrain()).hasSize(3);
  }

  private static double[] enrolled(PalModel m, int epochs, double lr, int batchSize) {
    return Adapter.enrol(m, SPLIT.data(), FS.adaptTrain(), FS.adaptValidation(), ROW, FS.users().length,
        new AdaptSpec(epochs, lr, 0.2, 1000, batchSize), 5).flatValue().toDoubleArray();
  }

  @Test
  void theEpochWithTheLowestValidationLossIsKeptAndTinyGainsDoNotCount() {
    PalModel m = model();
    // lr 1 in batches of 4 overshoots: only the first epoch lowers the validation loss (recorded while writing
    // this test), so five epochs end on other logits but must return the first epoch's exactly
    double[] first = enrolled(m, 1, 1.0, 4);
    assertThat(first).as("the first epoch moved the logits").isNotEqualTo(new double[first.length]);
    assertThat(enrolled(m, 5, 1.0, 4)).containsExactly(first);
    // a rate of 1e-12 lowers the validation loss by far less than the 1e-9 that counts as an improvement:
    // the first epoch (any loss beats none) is kept, though every later one moves every logit a little further
    double[] tinyFirst = enrolled(m, 1, 1e-12, 4);
    assertThat(Math.abs(tinyFirst[0])).isGreaterThan(1e-13);
    assertThat(enrolled(m, 4, 1e-12, 4)).containsExactly(tinyFirst);
    // while a real improvement is kept (a small rate lowers the loss every epoch)
    assertThat(enrolled(m, 4, 1e-3, 30)).isNotEqualTo(enrolled(m, 1, 1e-3, 30));
    // one more shot than an unseen user has: the evaluation has pairs to test on
    Evaluator.requireTestPairs(SPLIT, 23);
  }
}
