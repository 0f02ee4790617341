package org.pal.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Initialisers draw from the distributions they name. */
class InitTest {
  @Test
  void distributions() {
    double[] u = new double[20000];
    Init.uniformFanIn(16).fill(u, 200, 100, new Random(1));
    double min = 1, max = -1, mean = 0;
    for (double v : u) { min = Math.min(min, v); max = Math.max(max, v); mean += v / u.length; }
    assertThat(min).isGreaterThanOrEqualTo(-0.25).isLessThan(-0.24);
    assertThat(max).isLessThan(0.25).isGreaterThan(0.24);
    assertThat(mean).isCloseTo(0, offset(0.01));
    double[] n = new double[20000];
    Init.normal(0.5).fill(n, 200, 100, new Random(2));
    double m2 = 0, m1 = 0;
    for (double v : n) { m1 += v / n.length; m2 += v * v / n.length; }
    assertThat(m1).isCloseTo(0, offset(0.02));
    assertThat(Math.sqrt(m2 - m1 * m1)).isCloseTo(0.5, offset(0.02));
    double[] c = new double[3];
    Init.constant(2.5).fill(c, 1, 3, new Random(3));
    assertThat(c).containsOnly(2.5);
  }
}
