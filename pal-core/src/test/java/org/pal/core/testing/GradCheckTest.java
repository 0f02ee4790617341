package org.pal.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.tensor.Init;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;

/** The gradient check itself: it must be able to fail, on wrong gradients and on any non-finite value. */
class GradCheckTest {
  private static ParamStore store(Param[] out) {
    ParamStore s = new ParamStore(DataType.DOUBLE);
    out[0] = s.create("x", "g", 2, 3, Init.normal(1));
    return s.seal(1);
  }

  @Test
  void aCorrectGradientPasses() {
    Param[] x = new Param[1];
    ParamStore s = store(x);
    GradCheck.Result r = GradCheck.run(s, t -> t.mean(t.sumRows(t.mul(t.param(x[0]), t.param(x[0])))), 100);
    assertThat(r.checked()).isEqualTo(6);
    assertThat(r.worst()).isLessThan(1e-6);
    assertThat(r.gradNorm()).isGreaterThan(0.1);
  }

  @Test
  void aWrongGradientFails() {
    Param[] x = new Param[1];
    ParamStore s = store(x);
    // value v^2, claimed derivative 3v: off by half
    GradCheck.Result r = GradCheck.run(s, t -> t.mean(t.sumRows(t.map(t.param(x[0]), v -> v * v, v -> 3 * v))), 100);
    assertThat(r.worst()).isGreaterThan(0.3);
    assertThat(r.worstAt()).startsWith("element ");
  }

  @Test
  void nanOrInfinityAnywhereIsTheWorstError() {
    Param[] x = new Param[1];
    ParamStore s = store(x);
    GradCheck.Result nanGrad = GradCheck.run(s, t -> t.mean(t.sumRows(t.map(t.param(x[0]), v -> v, v -> Double.NaN))), 100);
    assertThat(nanGrad.worst()).isEqualTo(Double.POSITIVE_INFINITY);
    GradCheck.Result infLoss = GradCheck.run(s, t -> t.mean(t.sumRows(t.map(t.param(x[0]), v -> Double.POSITIVE_INFINITY, v -> 1))), 100);
    assertThat(infLoss.worst()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(infLoss.worstAt()).isNotEmpty();
    GradCheck.Result nanLoss = GradCheck.run(s, t -> t.mean(t.sumRows(t.map(t.param(x[0]), v -> Double.NaN, v -> 0))), 100);
    assertThat(nanLoss.worst()).isEqualTo(Double.POSITIVE_INFINITY);
    // the loss alone non-finite while every difference is finite and right (a constant +Inf offset is impossible
    // to difference, so use an infinite gradient instead): still the worst error
    GradCheck.Result infGrad = GradCheck.run(s, t -> t.mean(t.sumRows(t.map(t.param(x[0]), v -> v, v -> Double.POSITIVE_INFINITY))), 100);
    assertThat(infGrad.worst()).isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void samplesWhenThereAreMoreElementsThanChecksAndNeedsFloat64() {
    ParamStore s = new ParamStore(DataType.DOUBLE);
    Param x = s.create("x", "g", 10, 10, Init.normal(1));
    s.seal(2);
    GradCheck.Result r = GradCheck.run(s, t -> t.mean(t.sumRows(t.mul(t.param(x), t.param(x)))), 7);
    assertThat(r.checked()).isEqualTo(7);
    assertThat(r.worst()).isLessThan(1e-6);
    ParamStore f = new ParamStore(DataType.FLOAT);
    f.create("x", "g", 1, 1, Init.normal(1));
    f.seal(1);
    assertThatThrownBy(() -> GradCheck.run(f, t -> null, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("float64");
  }
}
