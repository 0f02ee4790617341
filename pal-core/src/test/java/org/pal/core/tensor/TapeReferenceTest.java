package org.pal.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Forward values of the tape's ops against numbers computed independently (numpy, in
 * src/test/reference/reference_values.py, section "TapeReferenceTest", or by hand), in float64 and
 * float32. The finite-difference tests only prove that gradients match values; these pin the values.
 */
class TapeReferenceTest {
  static final double[] X = {-3, -1, -0.20000000000000001, 0, 0.5, 1, 2.5, 6};
  static final double[] GELU = {-0.0036373920817729943, -0.15880800939172329, -0.084148570217893737, 0, 0.34571400982514394, 0.84119199060827676, 2.4849157339100012, 5.9999999999156035};
  static final double[] GELU_D = {-0.011584166630969516, -0.082964083845782577, 0.3425418508043005, 0.5, 0.86736990353464238, 1.0829640838457826, 1.0379515762126661, 1.0000000007709977};
  static final double[] RELU = {0, 0, 0, 0, 0.5, 1, 2.5, 6};
  static final double[] SOFTMAX_ROWS_T07 = {0.006865100930614541, 0.11953313322913936, 0.3748218106023708, 0.49877995523787533, 0.00038393890874405056, 0.00078428240221991425, 0.006685032193204001, 0.99214674649583212};
  static final double[] L2_ROWS = {-0.94679160464670487, -0.31559720154890158, -0.063119440309780325, 0, 0.075809804357890337, 0.15161960871578067, 0.37904902178945171, 0.90971765229468404};
  static final double[] TANH_X = {-9, -7, -2, -0.29999999999999999, 0, 0.01, 1.2, 4, 7.5, 12};
  static final double[] TANH = {-0.99999996954004089, -0.99999833694394469, -0.9640275800758169, -0.2913126124515909, 0, 0.0099996666799994603, 0.83365460701215521, 0.99932929973906703, 0.99999938819554612, 0.99999999992449728};

  private static final DataType[] DTYPES = {DataType.DOUBLE, DataType.FLOAT};

  /** Runs op on a 2 x 4 parameter holding X; returns the output values and the gradient of their plain sum. */
  private static double[][] run(DataType dtype, BiFunction<Tape, Var, Var> op) {
    ParamStore s = new ParamStore(dtype);
    Param x = s.create("x", "g", 2, 4, Init.constant(0));
    s.seal(0);
    for (int i = 0; i < X.length; i++) x.value().set(i, X[i]);
    Tape t = new Tape(dtype);
    Var y = op.apply(t, t.param(x));
    double[] values = y.value().toDoubleArray();
    t.backward(t.mean(t.sumRows(y)));
    double[] grad = x.grad().toDoubleArray();
    for (int i = 0; i < grad.length; i++) grad[i] *= y.rows(); // mean over rows of the row sums
    return new double[][] {values, grad};
  }

  private static void close(double[] got, double[] expected, DataType dtype, String what) {
    double tol = dtype == DataType.DOUBLE ? 1e-12 : 3e-6;
    assertThat(got).as(what).hasSize(expected.length);
    for (int i = 0; i < expected.length; i++) assertThat(got[i]).as(what + " [" + i + "] " + dtype).isCloseTo(expected[i], offset(tol * Math.max(1, Math.abs(expected[i]))));
  }

  @Test
  void geluIsTheTanhFormAndItsDerivative() {
    for (DataType dtype : DTYPES) {
      double[][] r = run(dtype, Tape::gelu);
      close(r[0], GELU, dtype, "gelu");
      close(r[1], GELU_D, dtype, "gelu'");
    }
  }

  @Test
  void reluAndItsDerivative() {
    for (DataType dtype : DTYPES) {
      double[][] r = run(dtype, Tape::relu);
      close(r[0], RELU, dtype, "relu");
      double[] d = new double[X.length];
      for (int i = 0; i < d.length; i++) d[i] = X[i] > 0 ? 1 : 0; // 0 at the kink
      close(r[1], d, dtype, "relu'");
    }
  }

  @Test
  void rowSoftmaxAndRowNormalisation() {
    for (DataType dtype : DTYPES) {
      double[][] sm = run(dtype, (t, x) -> t.softmaxRows(x, 0.7));
      close(sm[0], SOFTMAX_ROWS_T07, dtype, "softmax rows");
      close(sm[1], new double[8], dtype, "softmax rows: the sum of each row is constant, so no gradient");
      double[][] l2 = run(dtype, Tape::l2NormalizeRows);
      close(l2[0], L2_ROWS, dtype, "l2 rows");
    }
  }

  @Test
  void softmaxSubtractsTheRowMaximumSoLargeLogitsDoNotOverflow() {
    for (DataType dtype : DTYPES) {
      Tape t = new Tape(dtype);
      Mat m = t.alloc(1, 3);
      m.set(0, 1000);
      m.set(1, 999.5);
      m.set(2, -1000);
      double e = Math.exp(-1); // (999.5 - 1000) / 0.5
      close(t.softmaxRows(t.constant(m), 0.5).value().toDoubleArray(), new double[] {1 / (1 + e), e / (1 + e), 0}, dtype, "softmax of 1000, 999.5, -1000 at T = 0.5");
    }
  }

  @Test
  void tanhKernelsAgreeWithNumpy() {
    for (int i = 0; i < TANH_X.length; i++) {
      assertThat(Tape.tanh(TANH_X[i])).as("tanh " + TANH_X[i]).isCloseTo(TANH[i], offset(1e-15));
      assertThat((double) Tape.tanhFloat((float) TANH_X[i])).as("tanhFloat " + TANH_X[i]).isCloseTo(TANH[i], offset(4e-7));
    }
  }

  @Test
  void reductionsScalingAndShapesByHand() {
    for (DataType dtype : DTYPES) {
      // X rows sum to -4.2 and 10; the mean of all 8 is 0.725
      close(run(dtype, Tape::sumRows)[0], new double[] {-4.2, 10}, dtype, "sumRows");
      close(run(dtype, Tape::mean)[0], new double[] {0.725}, dtype, "mean");
      close(run(dtype, (t, x) -> t.column(x, 2))[0], new double[] {-0.2, 2.5}, dtype, "column 2");
      double[][] slice = run(dtype, (t, x) -> t.sliceRows(x, 1, 2));
      close(slice[0], new double[] {0.5, 1, 2.5, 6}, dtype, "slice row 1");
      close(slice[1], new double[] {0, 0, 0, 0, 1, 1, 1, 1}, dtype, "d slice row 1");
      close(run(dtype, (t, x) -> t.gatherRows(x, new int[] {1, 0, 1}))[0], new double[] {0.5, 1, 2.5, 6, -3, -1, -0.2, 0, 0.5, 1, 2.5, 6}, dtype, "gather 1,0,1");
      close(run(dtype, (t, x) -> t.concatCols(t.sliceRows(x, 0, 1), t.sliceRows(x, 1, 2)))[0], X, dtype, "concat of the two rows");
      close(run(dtype, (t, x) -> t.stackRows(t.sliceRows(x, 1, 2), t.sliceRows(x, 0, 1)))[0], new double[] {0.5, 1, 2.5, 6, -3, -1, -0.2, 0}, dtype, "rows swapped");
      double[][] sub = run(dtype, (t, x) -> t.sub(x, t.add(x, x)));
      close(sub[0], negate(X), dtype, "x - (x + x)");
      close(sub[1], new double[] {-1, -1, -1, -1, -1, -1, -1, -1}, dtype, "d(x - 2x)");
      double[][] sq = run(dtype, (t, x) -> t.mul(x, x));
      close(sq[1], times(X, 2), dtype, "d x^2");
    }
  }

  private static double[] negate(double[] a) {
    return times(a, -1);
  }

  private static double[] times(double[] a, double c) {
    double[] b = a.clone();
    for (int i = 0; i < b.length; i++) b[i] *= c;
    return b;
  }

  @Test
  void matrixProductsByHand() {
    for (DataType dtype : DTYPES) {
      ParamStore s = new ParamStore(dtype);
      Param a = s.create("a", "g", 2, 3, Init.constant(0)), b = s.create("b", "g", 3, 2, Init.constant(0)), c = s.create("c", "g", 1, 2, Init.constant(0));
      s.seal(0);
      double[] av = {1, 2, 3, 4, 5, 6}, bv = {7, 8, 9, 10, 11, 12}, cv = {0.5, -1};
      for (int i = 0; i < 6; i++) { a.value().set(i, av[i]); b.value().set(i, bv[i]); }
      c.value().set(0, cv[0]);
      c.value().set(1, cv[1]);
      Tape t = new Tape(dtype);
      // [1 2 3; 4 5 6] [7 8; 9 10; 11 12] = [58 64; 139 154]
      close(t.matmul(t.param(a), t.param(b)).value().toDoubleArray(), new double[] {58, 64, 139, 154}, dtype, "matmul");
      close(t.affine(t.param(a), t.param(b), t.param(c)).value().toDoubleArray(), new double[] {58.5, 63, 139.5, 153}, dtype, "affine");
      close(t.addRow(t.param(a), t.sliceRows(t.param(a), 0, 1)).value().toDoubleArray(), new double[] {2, 4, 6, 5, 7, 9}, dtype, "addRow");
      Var scaled = t.scaleRows(t.param(a), t.sliceRows(t.column(t.param(b), 0), 0, 2)); // rows times 7 and 9
      close(scaled.value().toDoubleArray(), new double[] {7, 14, 21, 36, 45, 54}, dtype, "scaleRows by 7, 9");
      Var sc = t.scale(t.param(a), t.column(t.param(c), 1)); // times c[1] = -1
      close(sc.value().toDoubleArray(), new double[] {-1, -2, -3, -4, -5, -6}, dtype, "scale by -1");
      // d/da of sum(a b) is the row sums of b on every row; d/db the column sums of a on every column
      t.backward(t.mean(t.sumRows(t.matmul(t.param(a), t.param(b)))));
      close(a.grad().toDoubleArray(), new double[] {7.5, 9.5, 11.5, 7.5, 9.5, 11.5}, dtype, "d sum(ab)/2 / da");
      close(b.grad().toDoubleArray(), new double[] {2.5, 2.5, 3.5, 3.5, 4.5, 4.5}, dtype, "d sum(ab)/2 / db");
    }
  }

  @Test
  void expClampedAndItsGradient() {
    for (DataType dtype : DTYPES) {
      for (double[] c : new double[][] {{Math.log(3), 100, 3, 3}, {Math.log(300), 100, 100, 0}}) {
        ParamStore s = new ParamStore(dtype);
        Param p = s.create("s", "g", 1, 1, Init.constant(c[0]));
        s.seal(0);
        Tape t = new Tape(dtype);
        Var y = t.expClamped(t.param(p), c[1]);
        assertThat(y.scalar()).isCloseTo(c[2], offset(1e-5));
        t.backward(y);
        assertThat(p.grad().get(0)).as("gradient of the clamped exp").isCloseTo(c[3], offset(1e-5));
      }
    }
  }

  @Test
  void invertedDropoutZeroesAboutPAndScalesTheRestByOneOverOneMinusP() {
    for (DataType dtype : DTYPES) {
      for (double p : new double[] {0.25, 0.5}) {
        Tape t = new Tape(dtype);
        Mat ones = t.alloc(100, 100);
        ones.fill(1);
        double[] y = t.dropout(t.constant(ones), p, new Random(3)).value().toDoubleArray();
        int zeros = 0;
        for (double v : y) {
          if (v == 0) zeros++;
          else assertThat(v).isCloseTo(1 / (1 - p), offset(1e-6));
        }
        assertThat(zeros / 10000.0).as("share dropped at p = " + p).isCloseTo(p, offset(0.02));
      }
      Tape t = new Tape(dtype);
      Mat ones = t.alloc(2, 2);
      ones.fill(1);
      Var x = t.constant(ones);
      assertThat(t.dropout(x, 0, new Random(1))).as("p = 0 is the identity, no copy").isSameAs(x);
    }
  }
}
