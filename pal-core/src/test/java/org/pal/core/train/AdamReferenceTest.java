package org.pal.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.tensor.Init;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;

/**
 * Adam against PyTorch's update written out in numpy (src/test/reference/reference_values.py, section
 * AdamReferenceTest): two groups with their own learning rate and weight decay, three steps, in both
 * float64 and float32, and a restore in the middle that must continue exactly.
 */
class AdamReferenceTest {
  static final double[] P0 = {0.5, -1.2, 0.29999999999999999, 2, 0.69999999999999996, -0.40000000000000002, 0.90000000000000002, 0.10000000000000001};
  static final double[] G1 = {0.10000000000000001, -0.29999999999999999, 0, 1.5, -2, 0.25, -0.050000000000000003, 0.59999999999999998};
  static final double[] G2 = {-0.20000000000000001, 0.40000000000000002, 0.29999999999999999, 1, 0.5, -0.75, 0.10000000000000001, 0};
  static final double[] G3 = {0.050000000000000003, 0.050000000000000003, -0.59999999999999998, -1, 1, 0.29999999999999999, 0.20000000000000001, -0.40000000000000002};
  static final double[] P1 = {0.4900000006666666, -1.1900000002380953, 0.2900000033333322, 1.9900000000588236, 0.70999999994818652, -0.44999999800000012, 0.94999999000000201, 0.050000000833333329};
  static final double[] P2 = {0.4905595349903038, -1.188571115204355, 0.28198118080590961, 1.9802348755883685, 0.71431293726693879, -0.42529050677707436, 0.93169481596330417, 0.016497088916375191};
  static final double[] P3 = {0.48825453200592439, -1.1866135131289341, 0.28441341406038079, 1.9754919559840685, 0.71425116649414977, -0.41877138484772192, 0.89690941102055044, 0.012685187594483146};
  static final double[] M3 = {0.008465595355903039, -0.015615711154186401, -0.025140188161940906, 0.16541234875641306, 0.0022031293722030443, -0.017250000000000001, 0.024949999999999996, 0.0085999999999999965};
  static final double[] V3 = {5.504530340348893e-05, 0.00025967071719357036, 0.00043598835228569215, 0.004963552615521386, 0.0051911339010709502, 0.00071431256250000072, 5.2485002500000054e-05, 0.00051928036000000052};

  private static final Map<String, GroupSpec> GROUPS = Map.of("g1", new GroupSpec(0.01, 0.1), "g2", new GroupSpec(0.05, 0.0));

  /** Flat layout a (2x2) and c (1x1) in group g1, then b (1x3) in group g2: 8 values in P0's order. */
  private static ParamStore store(DataType dtype) {
    ParamStore s = new ParamStore(dtype);
    s.create("a", "g1", 2, 2, Init.constant(0));
    s.create("b", "g2", 1, 3, Init.constant(0));
    s.create("c", "g1", 1, 1, Init.constant(0));
    s.seal(0);
    for (int i = 0; i < P0.length; i++) s.flatValue().set(i, P0[i]);
    return s;
  }

  private static void setGrad(ParamStore s, double[] g) {
    for (int i = 0; i < g.length; i++) s.flatGrad().set(i, g[i]);
  }

  private static void check(ParamStore s, double[] expected, double tol, String what) {
    double[] got = s.flatValue().toDoubleArray();
    for (int i = 0; i < expected.length; i++) assertThat(got[i]).as(what + " element " + i).isCloseTo(expected[i], offset(tol));
  }

  @Test
  void groupLayoutIsWhatTheReferenceAssumes() {
    ParamStore s = store(DataType.DOUBLE);
    assertThat(s.groupRange("g1")).containsExactly(0, 5);
    assertThat(s.groupRange("g2")).containsExactly(5, 8);
    assertThat(s.get("c").offset()).isEqualTo(4);
  }

  @Test
  void float64MatchesTheReferenceStepByStep() {
    run(DataType.DOUBLE, 1e-13);
  }

  @Test
  void float32MatchesTheReferenceStepByStep() {
    run(DataType.FLOAT, 2e-6);
  }

  private static void run(DataType dtype, double tol) {
    ParamStore s = store(dtype);
    Adam adam = new Adam(s, GROUPS::get);
    double[][] grads = {G1, G2, G3}, expected = {P1, P2, P3};
    for (int t = 0; t < 3; t++) {
      setGrad(s, grads[t]);
      adam.step();
      check(s, expected[t], tol, dtype + " step " + (t + 1));
      assertThat(s.flatGrad().toDoubleArray()).as("gradients left zeroed").containsOnly(0.0);
    }
    assertThat(adam.steps()).isEqualTo(3);
    double[] m = adam.firstMoment().toDoubleArray(), v = adam.secondMoment().toDoubleArray();
    for (int i = 0; i < M3.length; i++) {
      assertThat(m[i]).as("m " + i).isCloseTo(M3[i], offset(tol));
      assertThat(v[i]).as("v " + i).isCloseTo(V3[i], offset(tol * 1e-2));
    }
  }

  /**
   * The data-parallel step: the store's gradient holds half of each reference gradient and two
   * workers' addends a quarter each (exact in binary, so the sums are the reference gradients bit
   * for bit), for 1, 2 and 3 update tasks; the update must be the reference step and leave the
   * store's gradient reading as zeros. The addends are left as they are: their owner (a
   * {@link DataParallel}'s gradient buffers) marks them zero, as TapeReuseTest checks.
   */
  @Test
  void aStepWithWorkerAddendsIsTheReferenceStepOnTheirSum() {
    for (DataType dtype : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
      for (int tasks = 1; tasks <= 3; tasks++) {
        ParamStore s = store(dtype);
        Adam adam = new Adam(s, GROUPS::get);
        org.pal.core.tensor.Mat[] addends = {org.pal.core.tensor.Mat.zeros(dtype, 1, 8), org.pal.core.tensor.Mat.zeros(dtype, 1, 8)};
        double[][] grads = {G1, G2, G3}, expected = {P1, P2, P3};
        for (int t = 0; t < 3; t++) {
          for (int i = 0; i < 8; i++) {
            s.flatGrad().set(i, grads[t][i] * 0.5);
            addends[0].set(i, grads[t][i] * 0.25);
            addends[1].set(i, grads[t][i] * 0.25);
          }
          adam.step(addends, tasks);
          String what = dtype + ", " + tasks + " task(s), step " + (t + 1);
          check(s, expected[t], dtype == DataType.DOUBLE ? 1e-13 : 2e-6, what);
          assertThat(s.flatGrad().toDoubleArray()).as(what + ": gradient left zeroed").containsOnly(0.0);
        }
        assertThat(adam.steps()).isEqualTo(3);
        assertThat(adam.size()).isEqualTo(8);
      }
    }
  }

  @Test
  void aRestoredOptimizerContinuesExactly() {
    for (DataType dtype : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
      ParamStore s = store(dtype);
      Adam first = new Adam(s, GROUPS::get);
      setGrad(s, G1);
      first.step();
      setGrad(s, G2);
      first.step();
      Adam resumed = new Adam(s, GROUPS::get);
      resumed.restore(first.steps(), first.firstMoment().toDoubleArray(), first.secondMoment().toDoubleArray());
      setGrad(s, G3);
      resumed.step();
      check(s, P3, dtype == DataType.DOUBLE ? 1e-13 : 2e-6, dtype + " resumed step 3");
    }
  }
}
