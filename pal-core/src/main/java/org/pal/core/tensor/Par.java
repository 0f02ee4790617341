package org.pal.core.tensor;

import java.util.stream.IntStream;

/**
 * Splits an element-wise loop over [0, n) across {@link Threads#parallelism()} threads when n is
 * large. Only for loops whose elements are independent: the result is the same for any split.
 */
final class Par {
  static final int MIN = 1 << 16;

  interface Range {
    void run(int lo, int hi);
  }

  private Par() {}

  static void forRange(int n, Range body) {
    int t = Threads.parallelism();
    if (t <= 1 || n < MIN) {
      body.run(0, n);
      return;
    }
    int chunk = (n + t - 1) / t;
    IntStream.range(0, t).parallel().forEach(i -> body.run(i * chunk, Math.min(n, (i + 1) * chunk)));
  }
}
