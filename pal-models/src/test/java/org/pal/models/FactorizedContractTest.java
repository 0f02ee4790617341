package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.model.PalModel;
import org.pal.core.spi.FactorizedVariant;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * The factorized form of each built-in variant (what best-of-n scoring uses) against its utilities
 * at evaluation time, row by row, for PAL-A with and without prompts and PAL-B with a learned and a
 * fixed logit scale and with K = 1: {@link FactorizedVariant}'s contract.
 */
class FactorizedContractTest {
  private static final int ITEM_DIM = 5, PROMPT_DIM = 3, N = 7;

  private static Var random(Tape t, Random r, int rows, int cols) {
    Mat m = t.alloc(rows, cols);
    for (int i = 0; i < rows * cols; i++) m.set(i, r.nextGaussian());
    return t.constant(m);
  }

  /** Rows on the simplex, none uniform. */
  private static Var weights(Tape t, Random r, int k) {
    Mat m = t.alloc(N, k);
    for (int i = 0; i < N; i++) {
      double[] e = new double[k];
      double s = 0;
      for (int j = 0; j < k; j++) s += e[j] = Math.exp(2 * r.nextGaussian());
      for (int j = 0; j < k; j++) m.set(i * k + j, e[j] / s);
    }
    return t.constant(m);
  }

  @Test
  void factorizedUtilitiesEqualTheVariantsUtilities() {
    String[][] cases = {
        {"{\"model\":{\"type\":\"pal-a\",\"k\":3,\"dim\":4}}", "0"},
        {"{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":4}}", "3"},
        {"{\"model\":{\"type\":\"pal-b\",\"k\":3,\"dim\":4}}", "3"},
        {"{\"model\":{\"type\":\"pal-b\",\"k\":2,\"dim\":4,\"logitScaleInit\":1.5,\"learnScale\":false}}", "3"},
        {"{\"model\":{\"type\":\"pal-b\",\"k\":1,\"dim\":4,\"logitScaleInit\":0.5}}", "3"}};
    for (String[] c : cases) {
      int promptDim = Integer.parseInt(c[1]);
      PalModel m = PalModel.build(Pal.load().registry(), PalConfig.parse(c[0]), ITEM_DIM, promptDim, List.of("a", "b"), DataType.DOUBLE);
      FactorizedVariant f = (FactorizedVariant) m.variant();
      assertThat(f.itemsUsePrompts()).as(c[0]).isEqualTo(c[0].contains("pal-a"));
      Random r = new Random(11);
      Tape t = new Tape(DataType.DOUBLE).noGrad(true);
      Var items = random(t, r, N, ITEM_DIM), prompts = promptDim == 0 ? null : random(t, r, N, promptDim);
      Var w = weights(t, r, m.k());
      Var expected = m.variant().utilities(t, w, prompts, null, items)[0];
      Var got = f.utility(t, f.itemLatents(t, items, f.itemsUsePrompts() ? prompts : null), f.idealLatents(t, w, prompts));
      assertThat(got.rows()).isEqualTo(N);
      double spread = 0;
      for (int i = 0; i < N; i++) {
        assertThat(got.value().get(i)).as(c[0] + " row " + i).isCloseTo(expected.value().get(i), offset(1e-12));
        spread = Math.max(spread, Math.abs(expected.value().get(i) - expected.value().get(0)));
      }
      assertThat(spread).as(c[0] + ": the rows differ, so a constant would not pass").isGreaterThan(1e-3);
    }
  }
}
