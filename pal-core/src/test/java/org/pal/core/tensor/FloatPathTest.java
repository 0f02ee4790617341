package org.pal.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The float32 fast paths (raw-array loops, rational tanh, BLAS staging) compute what the float64
 * paths compute, which the finite-difference tests check: values and gradients agree to float
 * precision on the same inputs.
 */
class FloatPathTest {
  private static double[] run(DataType dtype, int ar, int ac, int br, int bc, BiFunction<Tape, Var[], Var> op, boolean grads) {
    ParamStore s = new ParamStore(dtype);
    Param a = s.create("a", "g", ar, ac, Init.normal(1));
    Param b = s.create("b", "g", br, bc, Init.normal(1));
    s.seal(3);
    Tape t = new Tape(dtype);
    Var out = op.apply(t, new Var[] {t.param(a), t.param(b)});
    Mat w = t.alloc(out.rows(), out.cols());
    Random r = new Random(9);
    for (int i = 0; i < w.size(); i++) w.set(i, r.nextGaussian());
    Var loss = t.mean(t.sumRows(t.mul(out, t.constant(w))));
    t.backward(loss);
    return grads ? s.flatGrad().toDoubleArray() : out.value().toDoubleArray();
  }

  private static void same(String name, int ar, int ac, int br, int bc, BiFunction<Tape, Var[], Var> op) {
    for (boolean grads : new boolean[] {false, true}) {
      double[] f = run(DataType.FLOAT, ar, ac, br, bc, op, grads), d = run(DataType.DOUBLE, ar, ac, br, bc, op, grads);
      double scale = 0;
      for (double v : d) scale = Math.max(scale, Math.abs(v));
      for (int i = 0; i < d.length; i++) {
        assertThat(f[i]).as(name + (grads ? " gradient " : " value ") + i).isCloseTo(d[i], org.assertj.core.data.Offset.offset(2e-5 * Math.max(1, scale)));
      }
    }
  }

  @Test void matmulLargeAndSmall() {
    same("small matmul", 5, 4, 4, 3, (t, v) -> t.matmul(v[0], v[1]));
    same("large matmul", 300, 200, 200, 120, (t, v) -> t.matmul(v[0], v[1]));
  }
  @Test void elementwise() {
    same("gelu", 40, 33, 1, 1, (t, v) -> t.scale(t.gelu(t.scale(v[0], v[1])), v[1]));
    same("relu", 40, 33, 1, 1, (t, v) -> t.scale(t.relu(v[0]), v[1]));
    same("addRow", 40, 33, 1, 33, (t, v) -> t.addRow(v[0], v[1]));
    same("mul/sub", 40, 33, 40, 33, (t, v) -> t.mul(t.sub(v[0], v[1]), v[1]));
    same("l2norm", 40, 33, 40, 1, (t, v) -> t.scaleRows(t.l2NormalizeRows(v[0]), v[1]));
  }
  @Test void rationalTanhMatchesExactTanh() {
    for (double x = -12; x <= 12; x += 0.001) {
      assertThat((double) Tape.tanhFloat((float) x)).isCloseTo(Math.tanh(x), org.assertj.core.data.Offset.offset(5e-7));
    }
  }
}
