package org.pal.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A tape's pooled buffers come back with old contents after {@link Tape#reset}: every op must give
 * the same values and gradients on a reused tape as on a fresh one, in both dtypes, and on inputs
 * that are views at an offset (the float kernels have separate paths for those).
 */
class TapeReuseTest {
  private static final List<BiFunction<Tape, Var[], Var>> OPS = List.of(
      (t, v) -> t.gelu(v[0]),
      (t, v) -> t.gelu(t.sliceRows(v[0], 1, 4)),
      (t, v) -> t.relu(t.sliceRows(v[0], 1, 4)),
      (t, v) -> t.mul(t.sliceRows(v[0], 0, 3), t.sliceRows(v[1], 1, 4)),
      (t, v) -> t.add(t.sliceRows(v[0], 0, 3), t.sliceRows(v[1], 1, 4)),
      (t, v) -> t.sub(v[0], t.add(v[1], v[0])),
      (t, v) -> t.l2NormalizeRows(t.sliceRows(v[0], 1, 4)),
      (t, v) -> t.scaleRows(t.sliceRows(v[0], 1, 3), t.column(t.sliceRows(v[1], 0, 2), 2)),
      (t, v) -> t.scaleRows(v[0], t.column(v[1], 1)),
      (t, v) -> t.softmaxRows(v[1], 1.3),
      (t, v) -> t.addRow(t.sliceRows(v[0], 2, 4), t.sliceRows(v[1], 3, 4)),
      (t, v) -> t.matmul(t.sliceRows(v[0], 1, 4), t.sliceRows(t.matmul(t.concatCols(v[1], v[1]), t.stackRows(t.sliceRows(v[0], 0, 3), t.sliceRows(v[0], 1, 4))), 0, 3)),
      (t, v) -> t.affine(v[0], t.sliceRows(t.concatCols(v[1], v[1]), 0, 3), t.sliceRows(t.concatCols(v[1], v[0]), 2, 3)),
      (t, v) -> t.gatherRows(t.stackRows(v[0], v[1]), new int[] {7, 0, 7, 3}),
      (t, v) -> t.scale(t.scale(v[1], t.sliceRows(t.column(v[1], 0), 2, 3)), t.expClamped(t.sliceRows(t.column(v[0], 1), 0, 1), 50)));

  /** a 4 x 3 and b 4 x 3; the loss weights the op's output by fixed numbers. */
  private static double[] run(DataType dtype, Tape t, ParamStore s, Param a, Param b, BiFunction<Tape, Var[], Var> op) {
    t.reset();
    s.zeroGrad();
    return backward(t, s.optimizerGrad(), a, b, op); // the buffer as the tape writes it (flatGrad would unmark it)
  }

  /** The op's values and the gradient in {@code grads} after its backward pass on tape t. */
  private static double[] backward(Tape t, Mat grads, Param a, Param b, BiFunction<Tape, Var[], Var> op) {
    Var out = op.apply(t, new Var[] {t.param(a), t.param(b)});
    Mat w = t.alloc(out.rows(), out.cols());
    Random r = new Random(3);
    for (int i = 0; i < w.size(); i++) w.set(i, r.nextGaussian());
    Var loss = t.mean(t.sumRows(t.mul(out, t.constant(w))));
    double[] v = out.value().toDoubleArray();
    t.backward(loss);
    double[] g = grads.toDoubleArray();
    double[] both = java.util.Arrays.copyOf(v, v.length + g.length);
    System.arraycopy(g, 0, both, v.length, g.length);
    return both;
  }

  @Test
  void aReusedTapeComputesWhatAFreshOneComputes() {
    for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      ParamStore s = new ParamStore(dtype);
      Param a = s.create("a", "g", 4, 3, Init.normal(1)), b = s.create("b", "g", 4, 3, Init.normal(1));
      s.seal(6);
      Tape reused = new Tape(dtype);
      // fill the pool with garbage of every shape the ops use
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < OPS.size(); i++) {
          double[] fresh = run(dtype, new Tape(dtype), s, a, b, OPS.get(i));
          double[] again = run(dtype, reused, s, a, b, OPS.get(i));
          assertThat(again).as(dtype + " op " + i + " round " + round).containsExactly(fresh);
          double norm = 0;
          for (int j = 0; j < fresh.length; j++) norm += Math.abs(fresh[j]);
          assertThat(norm).as("op " + i + " computes something").isGreaterThan(1e-3);
          for (int k = 0; k < 5; k++) {
            Mat junk = reused.alloc(1 + k, 3);
            junk.fill(1e6);
          }
        }
      }
    }
  }

  /**
   * The optimizer leaves its gradients as they were and only marks them zero: the next backward pass
   * must overwrite or zero each gradient it writes, and {@code zeroUntouchedGrads} must zero the ones
   * it does not (ops that use a alone leave b's old values), in the store and in a worker's buffer.
   */
  @Test
  void gradientsMarkedZeroAreNeverReadStale() {
    for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      ParamStore s = new ParamStore(dtype);
      Param a = s.create("a", "g", 4, 3, Init.normal(1)), b = s.create("b", "g", 4, 3, Init.normal(1));
      s.seal(6);
      GradBuffer worker = new GradBuffer(s);
      for (int i = 0; i < OPS.size(); i++) {
        double[] fresh = run(dtype, new Tape(dtype), s, a, b, OPS.get(i));
        // the store: last step's gradients (of an op that uses a and b) left in place, marked zero as Adam does
        stepAfterStale(dtype + " store, op " + i, () -> new Tape(dtype), s.optimizerGrad(), s::zeroGrad, s::markGradsZero,
            s::zeroUntouchedGrads, a, b, OPS.get(i), gradient(fresh));
        // a worker's buffer, likewise
        stepAfterStale(dtype + " worker buffer, op " + i, () -> new Tape(dtype, worker), worker.flat(), worker::zero, worker::markZero,
            worker::zeroUntouched, a, b, OPS.get(i), gradient(fresh));
      }
    }
  }

  /**
   * One step's gradient in {@code grads} (the buffer as it lies, not {@link ParamStore#flatGrad}, which
   * would zero it for the caller): a step of BOTH leaves stale values, they are marked zero, the op runs
   * on a new tape, and after {@code zeroUntouched} the buffer must hold the op's fresh gradient.
   */
  private static void stepAfterStale(String what, java.util.function.Supplier<Tape> tape, Mat grads, Runnable zero, Runnable markZero,
                                     Runnable zeroUntouched, Param a, Param b, BiFunction<Tape, Var[], Var> op, double[] expected) {
    zero.run();
    backward(tape.get(), grads, a, b, BOTH);
    assertStale(grads);
    markZero.run();
    backward(tape.get(), grads, a, b, op);
    zeroUntouched.run();
    assertThat(grads.toDoubleArray()).as(what).containsExactly(expected);
  }

  /** An op whose gradient reaches both a and b: a step before the one checked writes it. */
  private static final BiFunction<Tape, Var[], Var> BOTH = (t, v) -> t.mul(t.sliceRows(v[0], 0, 3), t.sliceRows(v[1], 1, 4));

  private static void assertStale(Mat grads) {
    double[] g = grads.toDoubleArray();
    assertThat(java.util.Arrays.stream(g, 0, 12).map(Math::abs).sum()).as("a's gradient before the step").isGreaterThan(1e-3);
    assertThat(java.util.Arrays.stream(g, 12, 24).map(Math::abs).sum()).as("b's gradient before the step").isGreaterThan(1e-3);
  }

  /** The gradient part of {@link #run}'s result (a's and b's 12 values each, at the end). */
  private static double[] gradient(double[] run) {
    return java.util.Arrays.copyOfRange(run, run.length - 24, run.length);
  }
}
