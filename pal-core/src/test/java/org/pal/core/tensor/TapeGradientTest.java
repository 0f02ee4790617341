package org.pal.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.testing.GradCheck;

/** Every tape op's backward pass against central finite differences in float64. */
class TapeGradientTest {
  private static final Random R = new Random(3);

  /** Two parameters a (n x m) and b (m x p) plus a fixed random weighting of the op's output. */
  private static void check(String name, int ar, int ac, int br, int bc, BiFunction<Tape, Var[], Var> op) {
    ParamStore s = new ParamStore(DataType.DOUBLE);
    Param a = s.create("a", "g", ar, ac, Init.normal(1));
    Param b = s.create("b", "g", br, bc, Init.normal(1));
    s.seal(7);
    GradCheck.Result res = GradCheck.run(s, t -> {
      Var out = op.apply(t, new Var[] {t.param(a), t.param(b)});
      Mat wts = t.alloc(out.rows(), out.cols());
      Random fixed = new Random(11);
      for (int i = 0; i < wts.size(); i++) wts.set(i, fixed.nextGaussian());
      return t.mean(t.sumRows(t.mul(out, t.constant(wts))));
    }, 1000);
    assertThat(res.gradNorm()).as(name + " gradient is not trivially zero").isGreaterThan(1e-6);
    assertThat(res.worst()).as(name + " worst relative error (" + res.worstAt() + ")").isLessThan(1e-5);
  }

  @Test void matmul() { check("matmul", 4, 3, 3, 5, (t, v) -> t.matmul(v[0], v[1])); }
  @Test void affine() {
    ParamStore s = new ParamStore(DataType.DOUBLE);
    Param x = s.create("x", "g", 5, 4, Init.normal(1)), w = s.create("w", "g", 4, 3, Init.normal(1)), b = s.create("b", "g", 1, 3, Init.normal(1));
    s.seal(2);
    GradCheck.Result r = GradCheck.run(s, t -> {
      Var y = t.affine(t.param(x), t.param(w), t.param(b));
      Var z = t.gelu(t.add(y, y)); // a var used twice: gradients must accumulate, not alias
      return t.mean(t.sumRows(t.mul(z, t.stackRows(t.sliceRows(y, 2, 5), t.sliceRows(y, 0, 2)))));
    }, 100);
    assertThat(r.gradNorm()).as("affine gradient is not trivially zero").isGreaterThan(1e-6);
    assertThat(r.worst()).as(r.worstAt()).isLessThan(1e-5);
  }
  @Test void addRow() { check("addRow", 4, 3, 1, 3, (t, v) -> t.addRow(v[0], v[1])); }
  @Test void addSubMul() {
    check("add", 3, 4, 3, 4, (t, v) -> t.add(v[0], v[1]));
    check("sub", 3, 4, 3, 4, (t, v) -> t.sub(v[0], v[1]));
    check("mul", 3, 4, 3, 4, (t, v) -> t.mul(v[0], v[1]));
  }
  @Test void scaleRowsAndScale() {
    check("scaleRows", 5, 3, 5, 1, (t, v) -> t.scaleRows(v[0], v[1]));
    check("scale", 5, 3, 1, 1, (t, v) -> t.scale(v[0], v[1]));
  }
  @Test void reductionsAndMaps() {
    check("sumRows", 4, 3, 1, 1, (t, v) -> t.scale(t.sumRows(v[0]), v[1]));
    check("mean", 4, 3, 1, 1, (t, v) -> t.scale(t.mean(v[0]), v[1]));
    check("gelu", 4, 6, 1, 1, (t, v) -> t.scale(t.gelu(v[0]), v[1]));
    check("relu", 4, 6, 1, 1, (t, v) -> t.scale(t.relu(v[0]), v[1]));
  }
  @Test void rowOps() {
    check("softmaxRows", 4, 3, 1, 1, (t, v) -> t.scale(t.softmaxRows(v[0], 0.7), v[1]));
    check("l2NormalizeRows", 4, 3, 1, 1, (t, v) -> t.scale(t.l2NormalizeRows(v[0]), v[1]));
    check("expClamped", 1, 1, 3, 2, (t, v) -> t.scale(v[1], t.expClamped(v[0], 100)));
    check("column", 4, 3, 4, 1, (t, v) -> t.mul(t.column(v[0], 1), v[1]));
    check("stack/slice", 3, 4, 2, 4, (t, v) -> t.sliceRows(t.stackRows(v[0], v[1]), 1, 5));
    check("concatCols", 3, 4, 3, 2, (t, v) -> t.concatCols(v[0], v[1]));
  }
  @Test void gatherWithRepeatedUnsortedIndices() {
    // the op ND4J's SameDiff gets wrong: repeated and unsorted rows must accumulate
    check("gatherRows", 5, 3, 1, 1, (t, v) -> t.scale(t.gatherRows(v[0], new int[] {3, 1, 3, 0, 3, 4, 1}), v[1]));
  }
  @Test void dropoutWithFixedMask() {
    check("dropout", 6, 5, 1, 1, (t, v) -> t.scale(t.dropout(v[0], 0.5, new Random(5)), v[1]));
  }
}
