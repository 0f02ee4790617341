package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;
import org.pal.core.config.PalConfig;
import org.pal.core.model.PalModel;
import org.pal.core.spi.FactorizedVariant;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Param;

/**
 * Scoring a plugin variant that does not factorize ("test-unfactorized": PAL-A seen only as a
 * ModelVariant) goes row by row through its utilities. Its rewards equal PAL-A's factorized ones for
 * the same parameters, and both equal PAL-A's utility computed here in double precision from the
 * parameter values, -||([x; c] - w P) W||^2 (the linear map's bias cancels in the difference),
 * over more rows than one scoring chunk.
 */
class RowwiseScoringTest {
  static final PalApi API = PalApi.create(new ApiTestPlugin());
  static final int K = 3, D = 5, P = 3, LATENT = 4;
  static final int N = 4096 + 7; // one full chunk and a part of the next

  static RewardModel build(String type, int promptDim) {
    PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"" + type + "\", \"k\": " + K + ", \"dim\": " + LATENT + "}, \"trainer\": {\"seed\": 5}}");
    return API.wrap(PalModel.build(API.registry(), cfg, D, promptDim, List.of("a", "b", "c"), DataType.FLOAT), null);
  }

  static double[] simplex(Random r) {
    double[] w = new double[K];
    double s = 0;
    for (int j = 0; j < K; j++) s += w[j] = -Math.log(1 - r.nextDouble()); // Dirichlet(1, ..., 1)
    for (int j = 0; j < K; j++) w[j] /= s;
    return w;
  }

  static float[] vec(Random r, int d) {
    float[] v = new float[d];
    for (int i = 0; i < d; i++) v[i] = (float) r.nextGaussian();
    return v;
  }

  static double[][] param(PalModel m, String suffix) {
    for (Param p : m.params().params()) {
      if (p.name().endsWith(suffix)) {
        Mat v = p.value();
        double[][] out = new double[p.rows()][p.cols()];
        for (int i = 0; i < p.rows(); i++) for (int j = 0; j < p.cols(); j++) out[i][j] = v.get(i * p.cols() + j);
        return out;
      }
    }
    throw new AssertionError("no parameter ending in " + suffix + " in " + m.params().params().stream().map(Param::name).toList());
  }

  /** PAL-A with a linear map, in double: -||(z - w P) W||^2 with z = [x; c]. */
  static double reference(PalModel m, double[] w, float[] p, float[] x) {
    double[][] protos = param(m, "prototypes"), weight = param(m, "weight");
    int in = protos[0].length;
    double[] d = new double[in];
    for (int i = 0; i < in; i++) {
      double a = 0;
      for (int j = 0; j < K; j++) a += w[j] * protos[j][i];
      d[i] = (i < x.length ? x[i] : p[i - x.length]) - a;
    }
    double u = 0;
    for (int o = 0; o < weight[0].length; o++) {
      double v = 0;
      for (int i = 0; i < in; i++) v += d[i] * weight[i][o];
      u -= v * v;
    }
    return u;
  }

  @Test
  void rowByRowEqualsTheFactorizedAnswerAndTheReferenceWithPrompts() {
    check(P);
  }

  @Test
  void rowByRowEqualsTheFactorizedAnswerAndTheReferenceWithoutPrompts() {
    check(0);
  }

  private static void check(int promptDim) {
    RewardModel rows = build("test-unfactorized", promptDim), fact = build("pal-a", promptDim);
    assertThat(rows.engine().variant()).isNotInstanceOf(FactorizedVariant.class);
    assertThat(fact.engine().variant()).isInstanceOf(FactorizedVariant.class);
    // the premise: both hold the same parameters (same names, same seed)
    for (Param p : fact.engine().params().params()) {
      assertThat(param(rows.engine(), p.name())).as(p.name()).isEqualTo(param(fact.engine(), p.name()));
    }
    Random r = new Random(11);
    double[][] w = new double[N][];
    float[][] p = promptDim == 0 ? null : new float[N][], x = new float[N][];
    double[][] users = {simplex(r), simplex(r), simplex(r), {1, 0, 0}};
    float[][] prompts = {vec(r, Math.max(promptDim, 1)), vec(r, Math.max(promptDim, 1))};
    for (int i = 0; i < N; i++) {
      w[i] = users[i % users.length];
      if (p != null) p[i] = prompts[(i / 5) % 2];
      x[i] = vec(r, D);
    }
    double[] byRow = rows.rewards(w, p, x), factorized = fact.rewards(w, p, x);
    double spread = 0;
    for (int i = 0; i < N; i++) {
      double ref = reference(rows.engine(), w[i], p == null ? null : p[i], x[i]);
      double tol = 1e-4 * (1 + Math.abs(ref));
      assertThat(byRow[i]).as("row " + i).isCloseTo(ref, within(tol));
      assertThat(factorized[i]).as("row " + i).isCloseTo(ref, within(tol));
      spread = Math.max(spread, Math.abs(byRow[i] - byRow[0]));
    }
    assertThat(spread).as("rewards differ across rows").isGreaterThan(1e-2);
    // the request path: one user's weights for every response, and the link of the difference
    Input prompt = p == null ? null : Input.vector(prompts[1]);
    double[] two = rows.rewards(User.id("b"), prompt, Input.vector(x[0]), Input.vector(x[1]));
    double[] wb = rows.weights(User.id("b"));
    for (int i = 0; i < 2; i++) assertThat(two[i]).isCloseTo(reference(rows.engine(), wb, prompts[1], x[i]), within(1e-4 * (1 + Math.abs(two[i]))));
    assertThat(rows.preference(User.id("b"), prompt, Input.vector(x[0]), Input.vector(x[1])))
        .isCloseTo(1 / (1 + Math.exp(-(two[0] - two[1]))), within(1e-6));
  }

  @Test
  void rowsThatDoNotFitAreNamedByTheirIndexInTheWholeCall() {
    RewardModel rows = build("test-unfactorized", P);
    Random r = new Random(2);
    double[][] w = new double[N][];
    float[][] p = new float[N][], x = new float[N][];
    for (int i = 0; i < N; i++) { w[i] = simplex(r); p[i] = vec(r, P); x[i] = vec(r, D); }
    int bad = 4096 + 3; // in the second chunk, at its fourth row
    float[] xi = x[bad];
    x[bad] = vec(r, D + 1);
    expect(() -> rows.rewards(w, p, x), "items[" + bad + "] length = " + (D + 1));
    x[bad] = xi;
    float[] pi = p[bad];
    p[bad] = null;
    expect(() -> rows.rewards(w, p, x), "prompts[" + bad + "] length = null");
    p[bad] = pi;
    double[] wi = w[bad];
    w[bad] = new double[] {0.5, 0.5};
    expect(() -> rows.rewards(w, p, x), "weights[" + bad + "] = 2 values");
    w[bad] = wi;
    assertThat(rows.rewards(w, p, x)).hasSize(N);
    // the vector path does not ask for the simplex: weights that overflow the utility are caught after scoring
    w[bad] = new double[] {1e200, 0, 0};
    assertThatThrownBy(() -> rows.rewards(w, p, x)).isInstanceOf(PalException.class)
        .hasMessageContaining("reward of row " + bad + " is not finite");
  }

  private static void expect(Runnable r, String text) {
    RewardModelTest.assertUserError(r, text);
  }
}
