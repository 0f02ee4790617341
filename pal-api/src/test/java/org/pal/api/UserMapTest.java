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

  /** The bins recomputed from the documented rule: the users' range (widened by 0.5 each way when flat), floor of the scaled offset, the last cell closed. */
  @Test
  void binsCountEveryUserInTheCellTheRuleGives() {
    int n = 300, size = 5;
    double[][] w = randomSimplex(n, 3, 11);
    UserMap m = UserMap.of(3, ids(n), w);
    UserMap.View v = m.view(null, 10, size);
    double[] x = new double[n], y = new double[n];
    double minX = 1e9, maxX = -1e9, minY = 1e9, maxY = -1e9;
    for (int i = 0; i < n; i++) {
      x[i] = w[i][1] + 0.5 * w[i][2];
      y[i] = Math.sqrt(3) / 2 * w[i][2];
      minX = Math.min(minX, x[i]);
      maxX = Math.max(maxX, x[i]);
      minY = Math.min(minY, y[i]);
      maxY = Math.max(maxY, y[i]);
    }
    UserMap.Bins b = v.bins();
    assertThat(new double[] {b.minX(), b.maxX(), b.minY(), b.maxY()}).containsExactly(new double[] {minX, maxX, minY, maxY}, within(1e-15));
    int[] counts = new int[size * size];
    int[][] byProto = new int[size * size][3];
    for (int i = 0; i < n; i++) {
      int cx = Math.min(size - 1, (int) Math.floor((x[i] - minX) / (maxX - minX) * size));
      int cy = Math.min(size - 1, (int) Math.floor((y[i] - minY) / (maxY - minY) * size));
      counts[cy * size + cx]++;
      byProto[cy * size + cx][UserMap.dominant(w[i])]++;
    }
    assertThat(b.counts()).containsExactly(counts);
    for (int c = 0; c < counts.length; c++) {
      int best = -1;
      for (int j = 0; j < 3 && counts[c] > 0; j++) if (best < 0 || byProto[c][j] > byProto[c][best]) best = j;
      assertThat(b.dominant()[c]).as("cell %d", c).isEqualTo(best);
    }

    // flat in both directions (every user at one point): the range is widened to one unit around it, all in the middle cell
    UserMap same = UserMap.of(3, ids(4), new double[][] {{0.2, 0.3, 0.5}, {0.2, 0.3, 0.5}, {0.2, 0.3, 0.5}, {0.2, 0.3, 0.5}});
    UserMap.Bins f = same.view(null, 1, 4).bins();
    double fx = 0.3 + 0.25, fy = Math.sqrt(3) / 4;
    assertThat(f.minX()).isCloseTo(fx - 0.5, within(1e-12));
    assertThat(f.maxX()).isCloseTo(fx + 0.5, within(1e-12));
    assertThat(f.minY()).isCloseTo(fy - 0.5, within(1e-12));
    assertThat(f.maxY()).isCloseTo(fy + 0.5, within(1e-12));
    assertThat(f.counts()[2 * 4 + 2]).isEqualTo(4);
    assertThat(f.dominant()[2 * 4 + 2]).isEqualTo(2);
  }

  @Test
  void theDominantPrototypeIsTheFirstLargestWeight() {
    assertThat(UserMap.dominant(new double[] {0.4, 0.4, 0.2})).isZero();
    assertThat(UserMap.dominant(new double[] {0.2, 0.4, 0.4})).isEqualTo(1);
    assertThat(UserMap.dominant(new double[] {0.1, 0.2, 0.7})).isEqualTo(2);
    assertThat(UserMap.dominant(new double[] {1})).isZero();
  }

  @Test
  void sharesOfVarianceAndAxisSignsFollowTheirRules() {
    int k = 4, n = 300;
    double[][] w = randomSimplex(n, k, 17);
    UserMap m = UserMap.of(k, ids(n), w);
    assertThat(m.size()).isEqualTo(n);
    UserMap.View v = m.view(null, n, 8);
    double[] mean = new double[k];
    for (double[] r : w) for (int j = 0; j < k; j++) mean[j] += r[j] / n;
    double total = 0;
    double[] unit = new double[k];
    for (int j = 0; j < k; j++) {
      Arrays.fill(unit, 0);
      unit[j] = 1;
      total += variance(w, mean, unit); // the trace: the total variance
    }
    for (int c = 0; c < 2; c++) {
      double[] a = v.axes()[c];
      assertThat(v.explained()[c]).as("axis %d", c).isCloseTo(variance(w, mean, a) / total, within(1e-9));
      int big = 0;
      for (int j = 1; j < k; j++) if (Math.abs(a[j]) > Math.abs(a[big])) big = j;
      assertThat(a[big]).as("the largest component of axis %d is positive", c).isPositive();
    }
    // the vertices are the one-hot weights projected the same way
    for (int j = 0; j < k; j++) {
      double[] e = new double[k];
      e[j] = 1;
      for (int i = 0; i < k; i++) e[i] -= mean[i];
      assertThat(v.vertices()[j][0]).isCloseTo(dot(e, v.axes()[0]), within(1e-12));
      assertThat(v.vertices()[j][1]).isCloseTo(dot(e, v.axes()[1]), within(1e-12));
    }
    // every user the same: no variance, no share, and the points sit at the origin
    UserMap flat = UserMap.of(k, ids(3), new double[][] {{0.1, 0.2, 0.3, 0.4}, {0.1, 0.2, 0.3, 0.4}, {0.1, 0.2, 0.3, 0.4}});
    UserMap.View fv = flat.view(null, 10, 4);
    assertThat(fv.explained()).containsExactly(0, 0);
    assertThat(fv.points().get(0).x()).isCloseTo(0, within(1e-12));
    // K = 1: every user is the one prototype, drawn at one point
    UserMap.View one = UserMap.of(1, ids(2), new double[][] {{1}, {1}}).view(null, 10, 4);
    assertThat(one.projection()).isEqualTo("point");
    assertThat(one.points().get(1).x()).isZero();
    assertThat(one.vertices()[0]).containsExactly(0, 0);
  }

  @Test
  void eigenvectorsDoNotDependOnWhatTheOutputHeldBefore() {
    double[][] vecs = {{7, 7}, {7, 7}};
    double[] vals = UserMap.symmetricEigen(new double[][] {{1, 0}, {0, 3}}, vecs);
    assertThat(vals).containsExactly(3, 1);
    assertThat(vecs[0]).containsExactly(0, 1);
    assertThat(vecs[1]).containsExactly(1, 0);
  }

  @Test
  void limitsAtTheirBoundsAndTheSampleInIdOrder() {
    int n = 50;
    UserMap m = UserMap.of(3, ids(n), randomSimplex(n, 3, 23));
    assertThat(m.view(null, n, 1).sampled()).as("exactly the limit: everyone drawn").isFalse();
    UserMap.View s = m.view(null, n - 1, 1);
    assertThat(s.sampled()).isTrue();
    assertThat(s.bins().counts()).containsExactly(n);
    assertThat(m.view(null, 1, 512).bins().counts()).hasSize(512 * 512);
    assertThatThrownBy(() -> m.view(null, 1, 513)).isInstanceOf(PalException.class).hasMessageContaining("bins");
    List<Integer> order = m.view(null, 10, 4).points().stream().map(p -> Integer.parseInt(p.id().substring(5))).toList();
    assertThat(order).as("the sample is drawn in the users' order").isSorted();
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
