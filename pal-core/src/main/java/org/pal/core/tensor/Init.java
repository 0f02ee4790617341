package org.pal.core.tensor;

import java.util.Random;

/** How a parameter starts: fills a row-major array of {@code rows x cols} from a seeded random source. */
@FunctionalInterface
public interface Init {
  void fill(double[] out, int rows, int cols, Random random);

  static Init constant(double v) {
    return (out, r, c, rnd) -> java.util.Arrays.fill(out, v);
  }

  static Init normal(double std) {
    return (out, r, c, rnd) -> { for (int i = 0; i < out.length; i++) out[i] = rnd.nextGaussian() * std; };
  }

  /** PyTorch's nn.Linear default: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
  static Init uniformFanIn(int fanIn) {
    double b = 1.0 / Math.sqrt(fanIn);
    return (out, r, c, rnd) -> { for (int i = 0; i < out.length; i++) out[i] = (rnd.nextDouble() * 2 - 1) * b; };
  }
}
