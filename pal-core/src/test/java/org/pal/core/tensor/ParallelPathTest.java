package org.pal.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.train.Adam;
import org.pal.core.train.GroupSpec;

/**
 * With more than one thread, large element-wise loops and Adam's update are split into chunks; the
 * result must not depend on the split (each element is computed alone), so two threads give exactly
 * what one gives.
 */
class ParallelPathTest {
  private static final int N = 300 * 300; // above Par.MIN and Adam's 2^16 threshold

  /** Values and gradients of a chain of the chunked float ops, then one Adam step. */
  private static float[][] run() {
    ParamStore s = new ParamStore(DataType.FLOAT);
    Param a = s.create("a", "g", 300, 300, Init.normal(1)), b = s.create("b", "g", 300, 300, Init.normal(1));
    s.seal(4);
    Tape t = new Tape(DataType.FLOAT);
    Var x = t.param(a), y = t.param(b);
    Var z = t.mul(t.gelu(t.add(x, y)), t.sub(x, y));
    Mat w = t.alloc(300, 300);
    Random r = new Random(2);
    for (int i = 0; i < w.size(); i++) w.set(i, r.nextGaussian());
    Var loss = t.mean(t.sumRows(t.mul(z, t.constant(w))));
    float[] value = z.value().toFloatArray();
    t.backward(loss);
    float[] grad = s.flatGrad().toFloatArray();
    new Adam(s, Map.of("g", new GroupSpec(0.01, 0.1))::get).step();
    return new float[][] {value, grad, s.flatValue().toFloatArray()};
  }

  @Test
  void twoThreadsComputeExactlyWhatOneComputes() {
    assertThat(Threads.parallelism()).isEqualTo(1);
    float[][] one = run();
    try {
      Threads.set(2);
      assertThat(Threads.parallelism()).isEqualTo(2);
      float[][] two = run();
      for (int i = 0; i < one.length; i++) assertThat(two[i]).hasSize(i == 0 ? N : 2 * N).containsExactly(one[i]);
    } finally {
      Threads.set(1);
    }
    assertThat(Threads.parallelism()).isEqualTo(1);
    Threads.set(0);
    assertThat(Threads.parallelism()).as("at least one thread").isEqualTo(1);
    assertThat(Threads.fromEnvironment()).isGreaterThanOrEqualTo(1);
  }
}
