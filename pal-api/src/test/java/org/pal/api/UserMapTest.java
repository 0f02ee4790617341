package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.pal.core.PalException;

class UserMapTest {
  static double[][] randomSimplex(int n, int k, long seed) {
    Random r = new Random(seed);
    double[][] w = new double[n][k];
    for (double[] row : w) {
      double s = 0;
      for (int j = 0; j < k; j++) s += row[j] = -Math.log(1 - r.nextDouble()); // Dirichlet(1)
      for (int j = 0; j < k; j++) row[j] /= s;
    }
    return w;
  }

  static List<String> ids(int n) {
    return IntStream.range(0, n).mapToObj(i -> "user-" + i).toList();
  }

  @Test
  void kThreeIsTheTernaryPlotWithTheVerticesAtTheTrianglesCorners() {
    UserMap m = UserMap.of(3, List.of("a", "b"), new double[][] {{1, 0, 0}, {1 / 3.0, 1 / 3.0, 1 / 3.0}});
    UserMap.View v = m.view(null, 10, 10);
    assertThat(v.projection()).isEqualTo("ternary");
    assertThat(v.vertices()[0]).containsExactly(new double[] {0, 0}, within(1e-12));
    assertThat(v.vertices()[1]).containsExactly(new double[] {1, 0}, within(1e-12));
    assertThat(v.vertices()[2]).containsExactly(new double[] {0.5, Math.sqrt(3) / 2}, within(1e-12));
    // the centre of the simplex is the triangle's centroid
    assertThat(v.points().get(1).x()).isCloseTo(0.5, within(1e-12));
    assertThat(v.points().get(1).y()).isCloseTo(Math.sqrt(3) / 6, within(1e-12));
    assertThat(v.points().get(0).dominant()).isZero();
    assertThat(v.sampled()).isFalse();
    assertThat(v.sampling()).isNull();
    assertThat(v.bins()).isNull();
  }

  @Test
  void otherKUseTheTwoLeadingPrincipalDirections() {
    int k = 5;
    double[][] w = randomSimplex(400, k, 3);
    UserMap.View v = UserMap.of(k, ids(400), w).view(null, 1000, 10);
    assertThat(v.projection()).isEqualTo("pca");
    double[] a = v.axes()[0], b = v.axes()[1];
    assertThat(dot(a, a)).isCloseTo(1, within(1e-9));
    assertThat(dot(b, b)).isCloseTo(1, within(1e-9));
    assertThat(dot(a, b)).isCloseTo(0, within(1e-9));
    // the first direction carries the most variance: no unit vector beats it (checked on random ones)
    double[] mean = new double[k];
    for (double[] r : w) for (int j = 0; j < k; j++) mean[j] += r[j] / w.length;
    double va = variance(w, mean, a), vb = variance(w, mean, b);
    assertThat(va).isGreaterThanOrEqualTo(vb);
    Random r = new Random(1);
    for (int t = 0; t < 200; t++) {
      double[] u = new double[k];
      for (int j = 0; j < k; j++) u[j] = r.nextGaussian();
      double n = Math.sqrt(dot(u, u));
      for (int j = 0; j < k; j++) u[j] /= n;
      assertThat(variance(w, mean, u)).isLessThanOrEqualTo(va + 1e-12);
    }
    assertThat(v.explained()[0]).isGreaterThanOrEqualTo(v.explained()[1]).isLessThanOrEqualTo(1);
    // a point's coordinates are its centred weights along the two directions
    UserMap.Point p = v.points().get(7);
    double[] c = new double[k];
    for (int j = 0; j < k; j++) c[j] = w[7][j] - mean[j];
    assertThat(p.x()).isCloseTo(dot(c, a), within(1e-12));
    assertThat(p.y()).isCloseTo(dot(c, b), within(1e-12));
  }

  @Test
  void eigenvectorsOfASymmetricMatrixSatisfyAvEqualsLambdaV() {
    double[][] a = {{4, 1, 2}, {1, 3, 0.5}, {2, 0.5, 5}};
    double[][] copy = Arrays.stream(a).map(double[]::clone).toArray(double[][]::new);
    double[][] vecs = new double[3][3];
    double[] vals = UserMap.symmetricEigen(copy, vecs);
    assertThat(vals[0]).isGreaterThanOrEqualTo(vals[1]);
    assertThat(vals[1]).isGreaterThanOrEqualTo(vals[2]);
    assertThat(vals[0] + vals[1] + vals[2]).isCloseTo(12, within(1e-9)); // the trace
    for (int c = 0; c < 3; c++) {
      for (int r = 0; r < 3; r++) {
        double av = 0;
        for (int j = 0; j < 3; j++) av += a[r][j] * vecs[j][c];
        assertThat(av).isCloseTo(vals[c] * vecs[r][c], within(1e-9));
      }
    }
  }

  @Test
  void beyondTheLimitAReproducibleSampleIsDrawnOverBinsThatCountEveryUser() {
    int n = 20_000;
    UserMap m = UserMap.of(3, ids(n), randomSimplex(n, 3, 5));
    UserMap.View v = m.view("", 500, 16);
    assertThat(v.sampled()).isTrue();
    assertThat(v.points()).hasSize(500);
    assertThat(v.points().stream().map(UserMap.Point::id).distinct().count()).isEqualTo(500);
    assertThat(v.sampling()).contains("500 of 20000 users drawn").contains("counts all 20000");
    assertThat(Arrays.stream(v.bins().counts()).sum()).isEqualTo(n);
    for (int c = 0; c < v.bins().counts().length; c++) assertThat(v.bins().dominant()[c] == -1).isEqualTo(v.bins().counts()[c] == 0);
    // the same users every time, and from all over the population (not the first 500 ids)
    assertThat(m.view(null, 500, 16).points().stream().map(UserMap.Point::id).toList())
        .isEqualTo(v.points().stream().map(UserMap.Point::id).toList());
    long late = v.points().stream().filter(p -> Integer.parseInt(p.id().substring(5)) >= n / 2).count();
    assertThat(late).isBetween(200L, 300L);
  }

  @Test
  void theFilterMatchesIdsCaseInsensitively() {
    List<String> ids = new ArrayList<>(List.of("Alice", "bob", "alicia", "carol"));
    UserMap.View v = UserMap.of(2, ids, new double[][] {{1, 0}, {0, 1}, {0.5, 0.5}, {0.2, 0.8}}).view("ALI", 10, 4);
    assertThat(v.projection()).isEqualTo("segment");
    assertThat(v.matched()).isEqualTo(2);
    assertThat(v.total()).isEqualTo(4);
    assertThat(v.points().stream().map(UserMap.Point::id)).containsExactly("Alice", "alicia");
    assertThat(v.points().get(1).x()).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void badShapesAndLimitsAreRefusedNamingTheField() {
    assertThatThrownBy(() -> UserMap.of(3, List.of("a"), new double[][] {{0.5, 0.5}})).isInstanceOf(PalException.class).hasMessageContaining("weights[0]");
    assertThatThrownBy(() -> UserMap.of(3, List.of("a", "b"), new double[][] {{1, 0, 0}})).isInstanceOf(PalException.class).hasMessageContaining("weights rows");
    UserMap m = UserMap.of(3, List.of("a"), new double[][] {{1, 0, 0}});
    assertThatThrownBy(() -> m.view(null, 0, 4)).isInstanceOf(PalException.class).hasMessageContaining("limit");
    assertThatThrownBy(() -> m.view(null, 5, 0)).isInstanceOf(PalException.class).hasMessageContaining("bins");
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  static double variance(double[][] w, double[] mean, double[] u) {
    double s = 0;
    for (double[] r : w) {
      double p = 0;
      for (int j = 0; j < u.length; j++) p += (r[j] - mean[j]) * u[j];
      s += p * p;
    }
    return s / w.length;
  }
}
