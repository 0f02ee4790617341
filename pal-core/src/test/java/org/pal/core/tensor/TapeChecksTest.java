package org.pal.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;

/** Every shape and state check of the tape, its matrices and the parameter store fires, naming the problem. */
class TapeChecksTest {
  private final Tape t = new Tape(DataType.DOUBLE);

  private Var v(int rows, int cols) {
    return t.constant(t.zeros(rows, cols));
  }

  @Test
  void shapeMismatchesAreInternalErrorsNamingTheShapes() {
    assertThatThrownBy(() -> t.matmul(v(2, 3), v(2, 3))).isInstanceOf(PalException.class).hasMessageContaining("matmul: 2x3 times 2x3");
    assertThatThrownBy(() -> t.affine(v(2, 3), v(2, 4), v(1, 3))).hasMessageContaining("affine");
    assertThatThrownBy(() -> t.affine(v(2, 3), v(3, 4), v(2, 4))).hasMessageContaining("affine");
    assertThatThrownBy(() -> t.affine(v(2, 2), v(3, 4), v(1, 4))).hasMessageContaining("affine");
    assertThatThrownBy(() -> t.addRow(v(2, 3), v(2, 3))).hasMessageContaining("addRow: bias 2x3");
    assertThatThrownBy(() -> t.addRow(v(2, 3), v(1, 2))).hasMessageContaining("addRow: bias 1x2");
    assertThatThrownBy(() -> t.add(v(2, 3), v(3, 2))).hasMessageContaining("add: shapes 2x3 and 3x2 differ");
    assertThatThrownBy(() -> t.sub(v(2, 3), v(2, 2))).hasMessageContaining("sub: shapes");
    assertThatThrownBy(() -> t.mul(v(2, 3), v(1, 3))).hasMessageContaining("mul: shapes");
    assertThatThrownBy(() -> t.scaleRows(v(2, 3), v(2, 2))).hasMessageContaining("scaleRows");
    assertThatThrownBy(() -> t.scaleRows(v(2, 3), v(3, 1))).hasMessageContaining("scaleRows");
    assertThatThrownBy(() -> t.scale(v(2, 3), v(1, 2))).hasMessageContaining("scalar expected");
    assertThatThrownBy(() -> t.scale(v(2, 3), v(2, 1))).hasMessageContaining("scalar expected");
    assertThatThrownBy(() -> t.gatherRows(v(2, 3), new int[] {0, 2})).hasMessageContaining("row 2 outside 0..1");
    assertThatThrownBy(() -> t.gatherRows(v(2, 3), new int[] {-1})).hasMessageContaining("row -1");
    assertThatThrownBy(() -> t.stackRows(v(2, 3), v(2, 2))).hasMessageContaining("stackRows: 3 vs 2 columns");
    assertThatThrownBy(() -> t.concatCols(v(2, 3), v(3, 3))).hasMessageContaining("concatCols: 2 vs 3 rows");
    assertThatThrownBy(() -> t.backward(v(1, 2))).hasMessageContaining("1x1 loss, got 1x2");
    assertThatThrownBy(() -> t.backward(v(2, 1))).hasMessageContaining("got 2x1");
    assertThatThrownBy(() -> new Tape(DataType.INT)).hasMessageContaining("FLOAT or DOUBLE");
    assertThatThrownBy(() -> t.constant(Mat.zeros(DataType.FLOAT, 1, 1))).hasMessageContaining("tape is DOUBLE but matrix is FLOAT");
  }

  @Test
  void matricesAndStoresCheckTheirState() {
    assertThatThrownBy(() -> Mat.zeros(DataType.HALF, 1, 1)).hasMessageContaining("FLOAT and DOUBLE");
    Mat m = Mat.zeros(DataType.FLOAT, 2, 3);
    assertThat(Mat.view(m, 2, 2, 2).size()).isEqualTo(4);
    assertThatThrownBy(() -> Mat.view(m, 3, 2, 2)).hasMessageContaining("past the end");
    assertThatThrownBy(() -> m.copyFrom(Mat.zeros(DataType.FLOAT, 1, 5))).hasMessageContaining("copyFrom size 5 != 6");
    Mat d = Mat.zeros(DataType.DOUBLE, 2, 3);
    d.set(1, 2, 4.5);
    m.copyFrom(d);
    assertThat(m.get(1, 2)).isEqualTo(4.5);
    assertThat(m.isFloat()).isTrue();
    for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      Mat r = Mat.zeros(dtype, 2, 5);
      r.putRow(1, 2, new float[] {9, 9, 9, 1, 2, 3}, 1, 3);
      assertThat(r.toDoubleArray()).as(dtype + " putRow").containsExactly(0, 0, 0, 0, 0, 0, 0, 1, 2, 3);
    }
    assertThat(d.isFloat()).isFalse();

    ParamStore s = new ParamStore(DataType.FLOAT);
    Param p = s.create("p", "g", 1, 2, Init.constant(1));
    assertThatThrownBy(() -> t.param(p)).hasMessageContaining("parameter p used before its store was sealed");
    assertThatThrownBy(s::flatValue).hasMessageContaining("before seal()");
    assertThatThrownBy(s::flatGrad).hasMessageContaining("before seal()");
    assertThatThrownBy(s::size).hasMessageContaining("before seal()");
    assertThatThrownBy(() -> s.create("q", "g", 0, 2, Init.constant(0))).hasMessageContaining("shape 0x2");
    assertThatThrownBy(() -> s.create("q", "g", 2, 0, Init.constant(0))).hasMessageContaining("shape 2x0");
    assertThatThrownBy(() -> s.create("p", "h", 1, 1, Init.constant(0))).hasMessageContaining("declared twice");
    s.create("q", "h", 2, 2, Init.constant(2));
    assertThat(s.seal(0)).isSameAs(s);
    assertThat(s.seal(1)).as("sealing twice changes nothing").isSameAs(s);
    assertThat(s.size()).isEqualTo(6);
    assertThat(s.flatValue().toDoubleArray()).containsExactly(1, 1, 2, 2, 2, 2);
    assertThat(s.groups()).containsExactly("g", "h");
    assertThat(s.groupRange("h")).containsExactly(2, 6);
    assertThat(s.groupRange("none")).containsExactly(0, 0);
    assertThatThrownBy(() -> s.create("r", "g", 1, 1, Init.constant(0))).hasMessageContaining("declared after the store was sealed");
    assertThatThrownBy(() -> s.get("x")).hasMessageContaining("no parameter named x").hasMessageContaining("[p, q]");
    assertThatThrownBy(() -> new Tape(DataType.DOUBLE).param(p)).hasMessageContaining("tape is DOUBLE but matrix is FLOAT");
  }

  @Test
  void frozenParametersAndNoGradTapesRecordNothing() {
    ParamStore s = new ParamStore(DataType.DOUBLE);
    Param p = s.create("p", "g", 1, 2, Init.constant(3));
    s.seal(0);
    s.freeze(true);
    assertThat(p.frozen()).isTrue();
    Var frozen = t.param(p);
    assertThat(frozen.requiresGrad()).isFalse();
    s.freeze(false);
    Tape ng = new Tape(DataType.DOUBLE).noGrad(true);
    assertThat(ng.param(p).requiresGrad()).isFalse();
    Var live = t.param(p);
    assertThat(live.requiresGrad()).isTrue();
    Var loss = t.mean(t.mul(live, live));
    t.backward(loss);
    assertThat(p.grad().toDoubleArray()).containsExactly(3, 3); // d mean(p^2) = 2p / 2
    Var c = t.mean(v(1, 2));
    t.backward(c); // nothing trainable: a no-op
    assertThat(c.grad()).isNull();
    // a parameter's values are seeded by (seed, name): the same seed and name give the same numbers
    ParamStore a = new ParamStore(DataType.DOUBLE), b = new ParamStore(DataType.DOUBLE);
    a.create("w", "g", 3, 3, Init.normal(1));
    b.create("other", "g", 2, 2, Init.normal(1));
    b.create("w", "g", 3, 3, Init.normal(1));
    a.seal(5);
    b.seal(5);
    assertThat(b.get("w").value().toDoubleArray()).containsExactly(a.get("w").value().toDoubleArray());
  }
}
