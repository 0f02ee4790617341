package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.PalConfig;
import org.pal.core.model.PalModel;
import org.pal.core.spi.FactorizedVariant;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * Scoring through the factorized path (each context's ideal point once) gives the rewards of the
 * variant's row-by-row utilities, for PAL-A with and without prompts and PAL-B, with several users
 * and prompts mixed in one batch.
 */
class FactorizedScoringTest {
  static final PalApi API = PalApi.create();

  @Test
  void palBWithPrompts() {
    check("{\"type\": \"pal-b\", \"k\": 3, \"dim\": 6}", 10, 7);
  }

  @Test
  void palAWithPrompts() {
    check("{\"type\": \"pal-a\", \"k\": 3, \"dim\": 5, \"projector\": {\"type\": \"mlp\", \"layers\": 2}}", 9, 4);
  }

  @Test
  void palAWithoutPrompts() {
    check("{\"type\": \"pal-a\", \"k\": 2, \"dim\": 5}", 9, 0);
  }

  private static void check(String modelJson, int itemDim, int promptDim) {
    PalConfig cfg = PalConfig.parse("{\"model\": " + modelJson + ", \"trainer\": {\"seed\": 5}}");
    PalModel engine = PalModel.build(API.registry(), cfg, itemDim, promptDim, List.of("a", "b", "c"), DataType.FLOAT);
    assertThat(engine.variant()).isInstanceOf(FactorizedVariant.class);
    RewardModel m = API.wrap(engine, null);
    Random r = new Random(1);
    int n = 40;
    double[][] w = new double[n][];
    float[][] p = promptDim == 0 ? null : new float[n][], x = new float[n][];
    double[][] users = {m.weights(User.id("a")), m.weights(User.id("b")), {0.2, 0.3, 0.5}};
    float[][] prompts = {vec(r, promptDim), vec(r, promptDim)};
    for (int i = 0; i < n; i++) {
      w[i] = users[i % 3].length == m.k() ? users[i % 3] : users[0];
      if (p != null) p[i] = prompts[(i / 3) % 2];
      x[i] = vec(r, itemDim);
    }
    double[] fast = m.rewards(w, p, x);
    // the reference: the variant's utilities, one row per item
    Tape t = new Tape(engine.params().dtype()).noGrad(true);
    Mat wm = t.alloc(n, m.k()), xm = t.alloc(n, itemDim), pm = p == null ? null : t.alloc(n, promptDim);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m.k(); j++) wm.set(i, j, w[i][j]);
      xm.putRow(i, 0, x[i], 0, itemDim);
      if (pm != null) pm.putRow(i, 0, p[i], 0, promptDim);
    }
    Var u = engine.variant().utilities(t, t.constant(wm), pm == null ? null : t.constant(pm), null, t.constant(xm))[0];
    double spread = 0;
    for (int i = 0; i < n; i++) {
      assertThat(fast[i]).as("row " + i).isCloseTo(u.value().get(i), within(1e-4 * (1 + Math.abs(u.value().get(i)))));
      spread = Math.max(spread, Math.abs(fast[i] - fast[0]));
    }
    assertThat(spread).as("rewards differ across rows").isGreaterThan(1e-3);
    if (promptDim == 0) { // a prompt for a model trained without prompts is a user error naming it
      RewardModelTest.assertUserError(() -> m.rewards(User.id("a"), Input.vector(vec(r, 3)), Input.vector(x[0])), "trained without prompts");
    }
  }

  private static float[] vec(Random r, int d) {
    float[] v = new float[d];
    for (int i = 0; i < d; i++) v[i] = (float) r.nextGaussian();
    return v;
  }
}
