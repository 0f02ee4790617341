package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;
import org.pal.core.spi.LinkFunction;
import org.pal.core.spi.Loss;
import org.pal.core.spi.SimplexMap;
import org.pal.core.tensor.Init;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * The built-in links, losses and simplex maps against numbers computed independently in numpy
 * (pal-core/src/test/reference/reference_values.py, sections "ReferenceMathTest"), values and
 * gradients, in float64 and float32.
 */
class ReferenceMathTest {
  static final double[] Z = {-800, -30, -3, -0.5, 0, 0.69999999999999996, 4, 35, 800};
  static final double[] LOGISTIC_LOG = {-800, -30.000000000000092, -3.0485873515737421, -0.97407698418010669, -0.69314718055994529, -0.40318604888545789, -0.018149927917809738, -6.3051167601469872e-16, -0};
  static final double[] LOGISTIC_DLOG = {1, 0.99999999999990641, 0.95257412682243325, 0.62245933120185459, 0.5, 0.33181222783183389, 0.017986209962091562, 6.3051167601469892e-16, 0};
  static final double[] ZC = {-30, -3, -0.5, 0, 0.69999999999999996, 4, 35};
  static final double[] CAUCHIT_P = {0.010606402405535453, 0.10241638234956674, 0.35241638234956674, 0.5, 0.69440011221421472, 0.92202086962263075, 0.99090790532435158};
  static final double[] CAUCHIT_LOG = {-4.5462974596768015, -2.2787085952902983, -1.0429418980620317, -0.69314718055994529, -0.36470695403719816, -0.081187420516171616, -0.009133680025651833};
  static final double[] CAUCHIT_DLOG = {0.033308665727907513, 0.31079977527163383, 0.72257682020708025, 0.63661977236758138, 0.30764798613771116, 0.020307686700899927, 0.00026201512619004484};
  static final double[] MARGINS = {0.29999999999999999, -1.2, 2.5, -0.10000000000000001, 1, -4};
  static final double[] LABELS = {1, 1, -1, -1, 1, -1};
  static final double[] LOGLIK_LOGISTIC = {0.92872262026811858};
  static final double[] LOGLIK_LOGISTIC_GRAD = {-0.070926247198056833, -0.12808746391650291, 0.1540236366631261, 0.07917013542017666, -0.04482357022833252, 0.0029977016603485933};
  static final double[] LOGLIK_CAUCHIT = {0.85722872253077587};
  static final double[] LOGLIK_CAUCHIT_GRAD = {-0.082107634579908662, -0.098319055202915104, 0.060415559711730793, 0.098784771723075315, -0.035367765131532301, 0.0033846144501499882};
  static final double[] HINGE = {1.2166666666666668};
  static final double[] HINGE_GRAD = {-0.16666666666666666, -0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0, 0};
  static final double[] THETA = {0.20000000000000001, -1, 1.5, 3, 3, -2};
  static final double[] SOFTMAX_T1 = {0.2011873724822662, 0.060596472101482828, 0.73821615541625107, 0.49832116918674868, 0.49832116918674868, 0.0033576616265026146};
  static final double[] SOFTMAX_T07 = {0.13183043570560221, 0.023741647977693885, 0.84442791631670389, 0.49980245549772867, 0.49980245549772867, 0.00039508900454255242};
  static final double[] SOFTMAX_T25 = {0.3029558455257842, 0.18746404566194205, 0.50958010881227378, 0.46831053083348118, 0.46831053083348118, 0.063378938333037621};
  static final double[] GUMBEL_NOISE_SEED17 = {1.1661977188281112, 1.020433998024316, -0.91205922717136823, 1.594297127399148, -1.1361754052403614, -0.35642499576539555};
  static final double[] GUMBEL_T07_SEED17 = {0.67787153986717152, 0.099130602669932136, 0.22299785746289624, 0.98012602098453028, 0.019826235970457202, 4.7743045012447423e-05};
  static final double[] PARTITION_EVAL = {0, 0, 1, 1, 0, 0};

  private static final DataType[] DTYPES = {DataType.DOUBLE, DataType.FLOAT};

  /** A 1 x n parameter holding xs, on a fresh store. */
  private static Param row(DataType dtype, double[] xs) {
    ParamStore s = new ParamStore(dtype);
    Param p = s.create("x", "g", 1, xs.length, Init.constant(0));
    s.seal(0);
    for (int i = 0; i < xs.length; i++) p.value().set(i, xs[i]);
    return p;
  }

  private static double tol(DataType dtype, double scale) {
    return (dtype == DataType.DOUBLE ? 1e-12 : 2e-6) * Math.max(1, Math.abs(scale));
  }

  private static void close(double[] got, double[] expected, DataType dtype, String what) {
    assertThat(got).as(what).hasSize(expected.length);
    for (int i = 0; i < expected.length; i++) {
      assertThat(got[i]).as(what + " [" + i + "] (" + dtype + ")").isCloseTo(expected[i], offset(tol(dtype, expected[i])));
    }
  }

  /** log h(z) element-wise and, through backward of their sum, d/dz log h(z). */
  private static void checkLink(LinkFunction link, double[] z, double[] log, double[] dlog) {
    for (DataType dtype : DTYPES) {
      Param x = row(dtype, z);
      Tape t = new Tape(dtype);
      Var out = link.logProbability(t, t.param(x));
      close(out.value().toDoubleArray(), log, dtype, link.getClass().getSimpleName() + " log h");
      t.backward(t.sumRows(out));
      close(x.grad().toDoubleArray(), dlog, dtype, link.getClass().getSimpleName() + " d log h");
    }
  }

  @Test
  void logisticLinkIsStableInBothTails() {
    checkLink(new Links.Logistic(), Z, LOGISTIC_LOG, LOGISTIC_DLOG);
    for (int i = 0; i < Z.length; i++) assertThat(new Links.Logistic().probability(Z[i])).isCloseTo(Math.exp(LOGISTIC_LOG[i]), offset(1e-15));
  }

  @Test
  void cauchitLink() {
    checkLink(new Links.Cauchit(), ZC, CAUCHIT_LOG, CAUCHIT_DLOG);
    for (int i = 0; i < ZC.length; i++) assertThat(new Links.Cauchit().probability(ZC[i])).isCloseTo(CAUCHIT_P[i], offset(1e-15));
  }

  private static void checkLoss(Loss loss, LinkFunction link, double[] value, double[] grad) {
    for (DataType dtype : DTYPES) {
      Param z = row(dtype, MARGINS);
      Tape t = new Tape(dtype);
      Mat y = t.alloc(1, LABELS.length);
      for (int i = 0; i < LABELS.length; i++) y.set(i, LABELS[i]);
      Var l = loss.loss(t, t.param(z), t.constant(y), link);
      String name = loss.getClass().getSimpleName() + (link == null ? "" : " with " + link.getClass().getSimpleName());
      close(new double[] {l.scalar()}, value, dtype, name + " value");
      t.backward(l);
      close(z.grad().toDoubleArray(), grad, dtype, name + " gradient");
    }
  }

  @Test
  void lossesAndTheirGradients() {
    checkLoss(new Losses.LogLikelihood(), new Links.Logistic(), LOGLIK_LOGISTIC, LOGLIK_LOGISTIC_GRAD);
    checkLoss(new Losses.LogLikelihood(), new Links.Cauchit(), LOGLIK_CAUCHIT, LOGLIK_CAUCHIT_GRAD);
    checkLoss(new Losses.Hinge(), new Links.Cauchit(), HINGE, HINGE_GRAD);
  }

  private static double[] weights(SimplexMap map, DataType dtype, Random random) {
    ParamStore s = new ParamStore(dtype);
    Param p = s.create("theta", "g", 2, 3, Init.constant(0));
    s.seal(0);
    for (int i = 0; i < THETA.length; i++) p.value().set(i, THETA[i]);
    Tape t = new Tape(dtype);
    Var w = map.weights(t, t.param(p), random);
    assertThat(w.rows()).isEqualTo(2);
    assertThat(w.cols()).isEqualTo(3);
    return w.value().toDoubleArray();
  }

  private static SimplexMaps.TemperatureSpec temperature(Double t) {
    return new SimplexMaps.TemperatureSpec(t);
  }

  @Test
  void softmaxWithTemperature() {
    for (DataType dtype : DTYPES) {
      close(weights(new SimplexMaps.Softmax(temperature(null)), dtype, null), SOFTMAX_T1, dtype, "softmax T=1 (default)");
      close(weights(new SimplexMaps.Softmax(temperature(0.7)), dtype, new Random(1)), SOFTMAX_T07, dtype, "softmax T=0.7, training");
      close(weights(new SimplexMaps.Softmax(temperature(2.5)), dtype, null), SOFTMAX_T25, dtype, "softmax T=2.5, evaluation");
    }
  }

  @Test
  void gumbelSoftmaxSamplesInTrainingAndIsSoftmaxInEvaluation() {
    for (DataType dtype : DTYPES) {
      close(weights(new SimplexMaps.GumbelSoftmax(temperature(0.7)), dtype, new Random(17)), GUMBEL_T07_SEED17, dtype, "gumbel-softmax, Random(17)");
      close(weights(new SimplexMaps.GumbelSoftmax(temperature(0.7)), dtype, null), SOFTMAX_T07, dtype, "gumbel-softmax, evaluation");
    }
  }

  @Test
  void partitionIsSoftmaxInTrainingAndTheFirstArgmaxInEvaluation() {
    for (DataType dtype : DTYPES) {
      close(weights(new SimplexMaps.Partition(temperature(2.5)), dtype, new Random(1)), SOFTMAX_T25, dtype, "partition, training");
      assertThat(weights(new SimplexMaps.Partition(temperature(2.5)), dtype, null)).containsExactly(PARTITION_EVAL);
    }
  }

  @Test
  void temperatureMustBePositive() {
    assertThat(temperature(null).temperature()).isEqualTo(1.0);
    for (double bad : new double[] {0, -1, Double.NaN}) {
      assertThatThrownBy(() -> temperature(bad)).isInstanceOf(PalException.class).hasMessageContaining("temperature");
    }
  }
}
