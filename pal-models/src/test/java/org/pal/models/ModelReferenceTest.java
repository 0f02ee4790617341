package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.model.Batch;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Tape;
import org.pal.core.testing.TinyData;

/**
 * PAL-A and PAL-B margins against the paper's equations written out with plain loops over the
 * models' parameters (no tape): eq. 8, -||f(x; c) - f(w P)||^2, and eq. 9, exp(s) cos(f(x), sum_k w_k
 * g_k(c)), with linear and MLP projectors (activation, bias, residual, dropout with its 1/(1-p)).
 */
class ModelReferenceTest {
  private static final SplitDataset DATA = TinyData.make(4, 0, 10, 4, 3, 11);

  private static PalModel build(String json, int promptDim) {
    SplitDataset d = promptDim > 0 ? DATA : NO_PROMPTS;
    return PalModel.build(Pal.load().registry(), PalConfig.parse(json), 4, promptDim, d.ids(d.seenUsers()), DataType.DOUBLE);
  }

  private static final SplitDataset NO_PROMPTS = TinyData.make(4, 0, 10, 4, 0, 11);

  /** The model's margins on every training pair, evaluation mode (random null) or training mode. */
  private static double[] margins(PalModel m, SplitDataset d, Random random, Batch[] out) {
    Tape t = new Tape(DataType.DOUBLE);
    Batch b = Batch.gather(t, d.data(), d.train(), 0, d.train().length, d.rowIndex(d.seenUsers()));
    out[0] = b;
    return m.margins(t, b, m.users(), random).value().toDoubleArray();
  }

  // ------------------------------------------------------------------ plain matrix helpers

  static double[][] mat(Mat m) {
    double[][] a = new double[m.rows][m.cols];
    for (int i = 0; i < m.rows; i++) for (int j = 0; j < m.cols; j++) a[i][j] = m.get(i, j);
    return a;
  }

  static double[][] param(PalModel m, String name) {
    return mat(m.params().get(name).value());
  }

  static double[][] times(double[][] a, double[][] b) {
    double[][] c = new double[a.length][b[0].length];
    for (int i = 0; i < a.length; i++) for (int j = 0; j < b[0].length; j++) for (int k = 0; k < b.length; k++) c[i][j] += a[i][k] * b[k][j];
    return c;
  }

  static double[][] plusRow(double[][] a, double[][] row) {
    double[][] c = new double[a.length][];
    for (int i = 0; i < a.length; i++) { c[i] = a[i].clone(); for (int j = 0; j < row[0].length; j++) c[i][j] += row[0][j]; }
    return c;
  }

  static double[][] plus(double[][] a, double[][] b) {
    double[][] c = new double[a.length][];
    for (int i = 0; i < a.length; i++) { c[i] = a[i].clone(); for (int j = 0; j < c[i].length; j++) c[i][j] += b[i][j]; }
    return c;
  }

  static double[][] map(double[][] a, java.util.function.DoubleUnaryOperator f) {
    double[][] c = new double[a.length][];
    for (int i = 0; i < a.length; i++) { c[i] = a[i].clone(); for (int j = 0; j < c[i].length; j++) c[i][j] = f.applyAsDouble(c[i][j]); }
    return c;
  }

  static double gelu(double v) {
    return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
  }

  static double[][] softmaxRows(double[][] a) {
    double[][] c = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      c[i] = new double[a[i].length];
      double s = 0;
      for (int j = 0; j < a[i].length; j++) s += Math.exp(a[i][j]);
      for (int j = 0; j < a[i].length; j++) c[i][j] = Math.exp(a[i][j]) / s;
    }
    return c;
  }

  static double[][] concat(double[][] a, double[][] b) {
    double[][] c = new double[a.length][a[0].length + b[0].length];
    for (int i = 0; i < a.length; i++) {
      System.arraycopy(a[i], 0, c[i], 0, a[i].length);
      System.arraycopy(b[i], 0, c[i], a[i].length, b[i].length);
    }
    return c;
  }

  static double[][] stack(double[][]... parts) {
    return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(double[][]::new);
  }

  static double[][] rows(double[][] a, int from, int to) {
    return java.util.Arrays.copyOfRange(a, from, to);
  }

  static double[][] userWeights(PalModel m, Batch b) {
    double[][] logits = param(m, "users");
    double[][] w = new double[b.size()][];
    for (int i = 0; i < b.size(); i++) w[i] = softmaxRows(new double[][] {logits[b.userRows()[i]]})[0];
    return w;
  }

  /** An MLP as documented: linear, then (between layers) dropout and the activation, then the residual where widths match. */
  static double[][] mlp(PalModel m, String prefix, int layers, boolean bias, boolean gelu, boolean residual, double p, Random random, double[][] x) {
    double[][] h = x;
    for (int i = 0; i < layers; i++) {
      double[][] w = param(m, prefix + "layer" + i + ".weight");
      double[][] y = times(h, w);
      if (bias) y = plusRow(y, param(m, prefix + "layer" + i + ".bias"));
      if (i < layers - 1) {
        if (random != null && p > 0) y = map(y, v -> v * (random.nextDouble() < p ? 0 : 1 / (1 - p)));
        y = map(y, gelu ? ModelReferenceTest::gelu : v -> Math.max(v, 0));
      }
      if (residual && w.length == w[0].length) y = plus(y, h);
      h = y;
    }
    return h;
  }

  static void close(double[] got, double[] expected, String what) {
    assertThat(got).hasSize(expected.length);
    double scale = 0;
    for (double e : expected) scale = Math.max(scale, Math.abs(e));
    assertThat(scale).as(what + ": margins are not all zero").isGreaterThan(1e-3);
    for (int i = 0; i < expected.length; i++) assertThat(got[i]).as(what + " pair " + i).isCloseTo(expected[i], offset(1e-10 * Math.max(1, scale)));
  }

  // ------------------------------------------------------------------ PAL-A

  private interface Projector {
    double[][] apply(PalModel m, double[][] x, Random random);
  }

  private static double[] palA(PalModel m, Batch b, Projector f) {
    double[][] w = userWeights(m, b), ideal = times(w, param(m, "prototypes"));
    double[][] left = mat(b.left()), right = mat(b.right());
    if (b.prompts() != null) { left = concat(left, mat(b.prompts())); right = concat(right, mat(b.prompts())); }
    int n = b.size();
    double[][] mapped = f.apply(m, stack(left, right, ideal), null);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double ul = 0, ur = 0;
      for (int j = 0; j < mapped[0].length; j++) {
        double dl = mapped[i][j] - mapped[2 * n + i][j], dr = mapped[n + i][j] - mapped[2 * n + i][j];
        ul -= dl * dl;
        ur -= dr * dr;
      }
      out[i] = ul - ur;
    }
    return out;
  }

  @Test
  void palALinearIsEquation8() {
    for (int promptDim : new int[] {0, 3}) {
      for (boolean bias : new boolean[] {true, false}) {
        PalModel m = build("{\"model\":{\"type\":\"pal-a\",\"k\":3,\"dim\":5,\"projector\":{\"type\":\"linear\",\"bias\":" + bias + "}}}", promptDim);
        Batch[] b = new Batch[1];
        double[] got = margins(m, promptDim > 0 ? DATA : NO_PROMPTS, null, b);
        double[] expected = palA(m, b[0], (mm, x, r) -> bias ? plusRow(times(x, param(mm, "f.weight")), param(mm, "f.bias")) : times(x, param(mm, "f.weight")));
        close(got, expected, "pal-a linear, bias " + bias + ", prompts " + promptDim);
      }
    }
  }

  @Test
  void palAMlpIsEquation8WithTheDocumentedLayers() {
    for (String act : new String[] {"gelu", "relu"}) {
      for (boolean residual : new boolean[] {false, true}) {
        for (boolean bias : new boolean[] {true, false}) {
          String json = "{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":5,\"projector\":{\"type\":\"mlp\",\"layers\":3,\"hidden\":5,\"activation\":\"" + act
              + "\",\"residual\":" + residual + ",\"bias\":" + bias + ",\"dropout\":0.4}}}";
          PalModel m = build(json, 3);
          Batch[] b = new Batch[1];
          double[] got = margins(m, DATA, null, b);
          double[] expected = palA(m, b[0], (mm, x, r) -> mlp(mm, "f.", 3, bias, act.equals("gelu"), residual, 0.4, null, x));
          close(got, expected, json);
        }
      }
    }
  }

  @Test
  void dropoutInTrainingComesBeforeTheActivationAndScalesByOneOverOneMinusP() {
    String json = "{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":5,\"projector\":{\"type\":\"mlp\",\"layers\":3,\"activation\":\"relu\",\"dropout\":0.4}}}";
    PalModel m = build(json, 3);
    Batch[] b = new Batch[1];
    double[] got = margins(m, DATA, new Random(8), b);
    Random r = new Random(8);
    double[] expected = palA(m, b[0], (mm, x, unused) -> mlp(mm, "f.", 3, true, false, false, 0.4, r, x));
    close(got, expected, "pal-a mlp dropout 0.4, training");
    double[] eval = margins(m, DATA, null, b);
    assertThat(eval).as("evaluation has no dropout").isNotEqualTo(got);
  }

  // ------------------------------------------------------------------ PAL-B

  private static double[][] normalizeRows(double[][] a) {
    double[][] c = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      double s = 0;
      for (double v : a[i]) s += v * v;
      double n = Math.sqrt(s);
      c[i] = a[i].clone();
      for (int j = 0; j < c[i].length; j++) c[i][j] /= n;
    }
    return c;
  }

  private static double[] palB(PalModel m, Batch b, int k, double scale, Projector f, java.util.function.IntFunction<Projector> g) {
    double[][] w = userWeights(m, b), prompts = mat(b.prompts());
    int n = b.size();
    double[][] z = new double[n][];
    for (int kk = 0; kk < k; kk++) {
      double[][] gk = g.apply(kk).apply(m, prompts, null);
      for (int i = 0; i < n; i++) {
        if (z[i] == null) z[i] = new double[gk[0].length];
        for (int j = 0; j < gk[0].length; j++) z[i][j] += w[i][kk] * gk[i][j];
      }
    }
    z = normalizeRows(z);
    double[][] fx = normalizeRows(f.apply(m, stack(mat(b.left()), mat(b.right())), null));
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double cl = 0, cr = 0;
      for (int j = 0; j < z[0].length; j++) { cl += fx[i][j] * z[i][j]; cr += fx[n + i][j] * z[i][j]; }
      out[i] = scale * (cl - cr);
    }
    return out;
  }

  private static Projector linear(String prefix) {
    return (m, x, r) -> plusRow(times(x, param(m, prefix + "weight")), param(m, prefix + "bias"));
  }

  @Test
  void palBLinearIsEquation9WithTheLogitScale() {
    for (int k : new int[] {1, 3}) {
      for (String scale : new String[] {"", ",\"logitScaleInit\":0.6931471805599453", ",\"logitScaleInit\":5.0,\"logitScaleMax\":20.0",
          ",\"logitScaleInit\":1.0,\"learnScale\":false", ",\"logitScaleInit\":4.0,\"logitScaleMax\":7.5,\"learnScale\":false"}) {
        String json = "{\"model\":{\"type\":\"pal-b\",\"k\":" + k + ",\"dim\":4,\"itemProjector\":{\"type\":\"linear\"}" + scale + "}}";
        PalModel m = build(json, 3);
        double s = scale.isEmpty() ? 1 / 0.07 : scale.contains("0.693") ? 2 : scale.contains("20.0") ? 20 : scale.contains("7.5") ? 7.5 : Math.E;
        Batch[] b = new Batch[1];
        double[] got = margins(m, DATA, null, b);
        close(got, palB(m, b[0], k, s, linear("f."), kk -> linear("g" + kk + ".")), json);
        assertThat(m.params().params().stream().anyMatch(p -> p.name().equals("logitScale"))).as("learned scale").isEqualTo(!scale.contains("learnScale"));
      }
    }
  }

  @Test
  void palBReferenceMlpIsEquation9() {
    PalModel m = build("{\"model\":{\"type\":\"pal-b\",\"k\":2,\"dim\":4}}", 3);
    Batch[] b = new Batch[1];
    double[] got = margins(m, DATA, null, b);
    double[] expected = palB(m, b[0], 2, 1 / 0.07, (mm, x, r) -> mlp(mm, "f.", 3, true, true, false, 0, null, x),
        kk -> (mm, x, r) -> mlp(mm, "g" + kk + ".", 3, true, true, false, 0, null, x));
    close(got, expected, "pal-b with the reference projector");
  }
}
