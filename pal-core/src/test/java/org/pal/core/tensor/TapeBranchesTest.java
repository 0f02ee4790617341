package org.pal.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.train.Workers;

/**
 * A model's independent branches run side by side on tapes of their own ({@link Tape#branches}):
 * the same values and gradients as one after another on one tape, forward and backward.
 */
class TapeBranchesTest {
  private static final Tape.Fork THREADS = Workers.shared()::run;

  /** Two branches (a 2-layer map of x, and a product of y), combined into a 1 x 1 loss; {@code shared} enters both and the rest. */
  private static Var loss(Tape t, Var x, Var y, Param w1, Param w2, Param v, Param shared, Random random) {
    Var[][] out = t.branches(new Var[] {x, y}, random, (bt, in, r) -> {
      Var h = bt.gelu(bt.matmul(in[0], bt.param(w1)));
      if (r != null) h = bt.dropout(h, 0.3, r);
      // a parameter both branches use: their backward passes run one after another
      Var a = bt.matmul(h, shared == null ? bt.param(w2) : bt.add(bt.param(w2), bt.param(shared)));
      return new Var[] {a, bt.l2NormalizeRows(a)};
    }, (bt, in, r) -> new Var[] {bt.matmul(in[1], bt.mul(bt.param(v), shared == null ? bt.param(v) : bt.param(shared)))});
    Var m = t.mul(t.add(out[0][0], out[0][1]), out[1][0]);
    if (shared != null) m = t.mul(m, t.matmul(t.constant(ones(t, 5, 4)), t.param(shared)));
    return t.mean(t.sumRows(m));
  }

  private static Mat ones(Tape t, int r, int c) {
    Mat m = t.alloc(r, c);
    m.fill(1);
    return m;
  }

  private static Mat random(DataType dt, int r, int c, long seed) {
    Random g = new Random(seed);
    Mat m = Mat.zeros(dt, r, c);
    for (int i = 0; i < m.size(); i++) m.set(i, g.nextGaussian());
    return m;
  }

  /** Loss and the store's gradient after one backward pass on t (the fork set or not). */
  private static double[] run(Tape t, ParamStore s, boolean withShared, Random random) {
    t.reset();
    s.zeroGrad();
    Param shared = withShared ? s.get("shared") : null;
    Var x = t.constant(random(s.dtype(), 5, 6, 1)), y = t.constant(random(s.dtype(), 5, 4, 2));
    Var loss = loss(t, x, y, s.get("w1"), s.get("w2"), s.get("v"), shared, random);
    t.backward(loss);
    double[] g = s.flatGrad().toDoubleArray();
    double[] out = new double[g.length + 1];
    out[0] = loss.scalar();
    System.arraycopy(g, 0, out, 1, g.length);
    return out;
  }

  private static ParamStore store(DataType dt) {
    ParamStore s = new ParamStore(dt);
    s.create("w1", "g", 6, 4, Init.normal(0.5));
    s.create("w2", "g", 4, 4, Init.normal(0.5));
    s.create("v", "g", 4, 4, Init.normal(0.5));
    s.create("shared", "g", 4, 4, Init.normal(0.5));
    return s.seal(3);
  }

  @Test
  void branchesOnThreadsGiveTheValuesAndGradientsOfOneTape() {
    for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      ParamStore s = store(dt);
      for (boolean withShared : new boolean[] {false, true}) {
        double[] sequential = run(new Tape(dt), s, withShared, null);
        Tape forked = new Tape(dt);
        forked.forkBranches(THREADS);
        // twice on the same tape: the branch tapes are reset and reused
        for (int round = 0; round < 2; round++) {
          assertThat(run(forked, s, withShared, null)).as("%s, shared parameter %s, round %d", dt, withShared, round)
              .containsExactly(sequential);
        }
        double norm = 0;
        for (int i = 1; i < sequential.length; i++) norm += Math.abs(sequential[i]);
        assertThat(norm).as("gradients flow into both branches").isGreaterThan(1e-3);
        // every parameter of a branch got a gradient through the branch's own backward pass
        for (String name : new String[] {"w1", "w2", "v"}) {
          Param p = s.get(name);
          double sum = 0;
          for (int i = 0; i < p.rows() * p.cols(); i++) sum += Math.abs(sequential[1 + (int) p.offset() + i]);
          assertThat(sum).as(name).isGreaterThan(0);
        }
      }
    }
  }

  @Test
  void noisyBranchesDrawFromTheirOwnStreamsAndRepeatExactly() {
    ParamStore s = store(DataType.FLOAT);
    Tape forked = new Tape(DataType.FLOAT);
    forked.forkBranches(THREADS);
    double[] a = run(forked, s, false, new Random(7)), b = run(forked, s, false, new Random(7));
    assertThat(b).containsExactly(a);
    assertThat(run(forked, s, false, new Random(8))).isNotEqualTo(a);
    // the first branch draws from a stream seeded by the first number of the caller's
    Tape one = new Tape(DataType.FLOAT);
    Random branch0 = new Random(new Random(7).nextLong());
    Var h = one.dropout(one.gelu(one.matmul(one.constant(random(DataType.FLOAT, 5, 6, 1)), one.param(s.get("w1")))), 0.3, branch0);
    forked.reset();
    Var[][] out = forked.branches(new Var[] {forked.constant(random(DataType.FLOAT, 5, 6, 1))}, new Random(7),
        (t, in, r) -> new Var[] {t.dropout(t.gelu(t.matmul(in[0], t.param(s.get("w1")))), 0.3, r)},
        (t, in, r) -> new Var[] {t.constant(ones(t, 1, 1))});
    assertThat(out[0][0].value().toDoubleArray()).containsExactly(h.value().toDoubleArray());
  }

  @Test
  void anInputWithAGradientRunsTheBranchesOnThisTape() {
    ParamStore s = store(DataType.DOUBLE);
    Tape forked = new Tape(DataType.DOUBLE), plain = new Tape(DataType.DOUBLE);
    forked.forkBranches(THREADS);
    double[][] grads = new double[2][];
    Tape[] tapes = {plain, forked};
    for (int k = 0; k < 2; k++) {
      Tape t = tapes[k];
      s.zeroGrad();
      // the input itself depends on a parameter: its gradient must reach w1 through both branches
      Var x = t.matmul(t.constant(random(DataType.DOUBLE, 5, 6, 1)), t.param(s.get("w1")));
      Var[][] out = t.branches(new Var[] {x}, null, (bt, in, r) -> new Var[] {bt.gelu(in[0])}, (bt, in, r) -> new Var[] {bt.mul(in[0], in[0])});
      t.backward(t.mean(t.sumRows(t.add(out[0][0], out[1][0]))));
      grads[k] = s.get("w1").grad().toDoubleArray();
    }
    double norm = 0;
    for (double g : grads[0]) norm += Math.abs(g);
    assertThat(norm).isGreaterThan(1e-3);
    for (int i = 0; i < grads[0].length; i++) assertThat(grads[1][i]).isCloseTo(grads[0][i], within(0.0));
  }
}
