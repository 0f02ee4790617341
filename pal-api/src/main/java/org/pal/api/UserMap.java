package org.pal.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.pal.core.PalException;

/**
 * Users as points in the plane, for looking at how they spread over the simplex: a ternary plot
 * for K = 3 (exact: the triangle is the simplex), the segment [0, 1] for K = 2, and for other K the
 * two leading principal directions of the weights (centred), onto which the prototypes' vertices are
 * projected too. Large populations are shown as a reproducible uniform sample (the users with the
 * smallest hash of their id: a given user is always in or always out) over bins that count every
 * user, so nothing is hidden and nothing is drawn twice.
 */
public final class UserMap {
  /** How points are placed: "ternary" (K = 3), "segment" (K = 2), "pca" (other K), "point" (K = 1). */
  private final String projection;
  private final int k;
  private final List<String> ids;
  private final double[][] weights;
  private final double[] mean;
  private final double[][] axes;
  private final double[] explained;
  private final double[][] xy;
  private final int[] dominant;

  /** One user on the map. */
  public record Point(String id, double[] weights, int dominant, double x, double y) {}

  /**
   * Counts of every user (after the id filter) on a {@code size} x {@code size} grid over
   * [minX, maxX] x [minY, maxY], row-major from the bottom-left, with each cell's most common
   * dominant prototype (-1 when empty).
   */
  public record Bins(int size, double minX, double maxX, double minY, double maxY, int[] counts, int[] dominant) {}

  /**
   * What to draw: the projection, the prototypes' vertices in the plane, the principal directions
   * (K-vectors; null unless "pca") with the share of variance each explains, how many users there
   * are and how many match the filter, the points drawn, and when not every match is drawn the
   * sampling rule in words and the bins.
   */
  public record View(String projection, int k, double[][] vertices, double[][] axes, double[] explained, int total, int matched,
                     List<Point> points, boolean sampled, String sampling, Bins bins) {}

  private UserMap(String projection, int k, List<String> ids, double[][] weights, double[] mean, double[][] axes, double[] explained) {
    this.projection = projection;
    this.k = k;
    this.ids = ids;
    this.weights = weights;
    this.mean = mean;
    this.axes = axes;
    this.explained = explained;
    this.xy = new double[ids.size()][];
    this.dominant = new int[ids.size()];
    for (int i = 0; i < ids.size(); i++) {
      xy[i] = project(weights[i]);
      dominant[i] = dominant(weights[i]);
    }
  }

  /** The map of these users ({@code weights} rows on the K-simplex, in {@code ids} order). */
  public static UserMap of(int k, List<String> ids, double[][] weights) {
    if (k < 1) throw PalException.badInput("k", k, "must be at least 1");
    if (ids.size() != weights.length) throw PalException.badInput("weights rows", weights.length, "give one row per user id (" + ids.size() + ")");
    for (int i = 0; i < weights.length; i++) {
      if (weights[i].length != k) throw PalException.badInput("weights[" + i + "]", weights[i].length + " values", "the model has K = " + k);
    }
    List<String> idCopy = List.copyOf(ids);
    if (k != 3 && k != 2 && k != 1) {
      double[] mean = new double[k];
      for (double[] w : weights) for (int j = 0; j < k; j++) mean[j] += w[j] / Math.max(1, weights.length);
      double[][] cov = new double[k][k];
      for (double[] w : weights) {
        for (int a = 0; a < k; a++) for (int b = a; b < k; b++) cov[a][b] += (w[a] - mean[a]) * (w[b] - mean[b]);
      }
      for (int a = 0; a < k; a++) for (int b = 0; b < a; b++) cov[a][b] = cov[b][a];
      double[][] vecs = new double[k][k];
      double[] vals = symmetricEigen(cov, vecs);
      double total = Arrays.stream(vals).map(v -> Math.max(0, v)).sum();
      double[][] axes = new double[2][];
      double[] explained = new double[2];
      for (int c = 0; c < 2; c++) {
        double[] v = new double[k];
        for (int j = 0; j < k; j++) v[j] = vecs[j][c];
        // a fixed sign (the largest component positive) so the picture does not flip between calls
        int big = 0;
        for (int j = 1; j < k; j++) if (Math.abs(v[j]) > Math.abs(v[big])) big = j;
        if (v[big] < 0) for (int j = 0; j < k; j++) v[j] = -v[j];
        axes[c] = v;
        explained[c] = total > 0 ? Math.max(0, vals[c]) / total : 0;
      }
      return new UserMap("pca", k, idCopy, weights, mean, axes, explained);
    }
    return new UserMap(k == 3 ? "ternary" : k == 2 ? "segment" : "point", k, idCopy, weights, null, null, null);
  }

  public int size() {
    return ids.size();
  }

  /** Where a weight vector lands in the plane (any point of the simplex, e.g. a vertex or a new user). */
  public double[] project(double[] w) {
    if (w.length != k) throw PalException.badInput("weights", w.length + " values", "the model has K = " + k);
    return switch (projection) {
      case "ternary" -> new double[] {w[1] + 0.5 * w[2], Math.sqrt(3) / 2 * w[2]};
      case "segment" -> new double[] {w[1], 0};
      case "point" -> new double[] {0, 0};
      default -> {
        double x = 0, y = 0;
        for (int j = 0; j < k; j++) {
          x += (w[j] - mean[j]) * axes[0][j];
          y += (w[j] - mean[j]) * axes[1][j];
        }
        yield new double[] {x, y};
      }
    };
  }

  /** The index of the largest weight (the first on ties). */
  public static int dominant(double[] w) {
    int arg = 0;
    for (int j = 1; j < w.length; j++) if (w[j] > w[arg]) arg = j;
    return arg;
  }

  /**
   * The users whose id contains {@code query} (case-insensitive; null or empty: all); every match
   * when there are at most {@code maxPoints}, otherwise {@code maxPoints} of them sampled by id hash
   * and all of them counted on a {@code bins} x {@code bins} grid.
   */
  public View view(String query, int maxPoints, int bins) {
    if (maxPoints < 1) throw PalException.badInput("limit", maxPoints, "must be at least 1");
    if (bins < 1 || bins > 512) throw PalException.badInput("bins", bins, "must be 1..512");
    String q = query == null ? "" : query.toLowerCase(Locale.ROOT);
    List<Integer> match = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) if (q.isEmpty() || ids.get(i).toLowerCase(Locale.ROOT).contains(q)) match.add(i);
    boolean sampled = match.size() > maxPoints;
    List<Integer> shown = match;
    Bins b = null;
    if (sampled) {
      long[] h = new long[ids.size()];
      for (int i : match) h[i] = mix(ids.get(i));
      shown = new ArrayList<>(match);
      shown.sort(Comparator.comparingLong((Integer i) -> h[i]).thenComparing(ids::get));
      shown = shown.subList(0, maxPoints);
      shown.sort(null);
      b = bin(match, bins);
    }
    List<Point> points = new ArrayList<>(shown.size());
    for (int i : shown) points.add(new Point(ids.get(i), weights[i].clone(), dominant[i], xy[i][0], xy[i][1]));
    double[][] vertices = new double[k][];
    for (int j = 0; j < k; j++) {
      double[] e = new double[k];
      e[j] = 1;
      vertices[j] = project(e);
    }
    String rule = sampled ? String.format(Locale.ROOT, "%d of %d users drawn: a uniform sample (the %d smallest hashes of the user id, so the same users every time); "
        + "the %d x %d grid underneath counts all %d", maxPoints, match.size(), maxPoints, bins, bins, match.size()) : null;
    return new View(projection, k, vertices, axes == null ? null : new double[][] {axes[0].clone(), axes[1].clone()},
        explained == null ? null : explained.clone(), ids.size(), match.size(), points, sampled, rule, b);
  }

  private Bins bin(List<Integer> rows, int size) {
    double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY, minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
    for (int i : rows) {
      minX = Math.min(minX, xy[i][0]);
      maxX = Math.max(maxX, xy[i][0]);
      minY = Math.min(minY, xy[i][1]);
      maxY = Math.max(maxY, xy[i][1]);
    }
    if (maxX - minX < 1e-12) { minX -= 0.5; maxX += 0.5; }
    if (maxY - minY < 1e-12) { minY -= 0.5; maxY += 0.5; }
    int[] counts = new int[size * size];
    int[][] byProto = new int[size * size][k];
    for (int i : rows) {
      int cx = Math.min(size - 1, (int) ((xy[i][0] - minX) / (maxX - minX) * size));
      int cy = Math.min(size - 1, (int) ((xy[i][1] - minY) / (maxY - minY) * size));
      counts[cy * size + cx]++;
      byProto[cy * size + cx][dominant[i]]++;
    }
    int[] dom = new int[size * size];
    for (int c = 0; c < dom.length; c++) dom[c] = counts[c] == 0 ? -1 : dominant(Arrays.stream(byProto[c]).asDoubleStream().toArray());
    return new Bins(size, minX, maxX, minY, maxY, counts, dom);
  }

  /** A well-mixed 64-bit hash of the id (SplitMix64 over String.hashCode widened by length). */
  private static long mix(String id) {
    long z = id.hashCode() * 0x9E3779B97F4A7C15L + id.length();
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Eigenvalues of symmetric {@code a} in decreasing order (cyclic Jacobi: K is small), with the
   * eigenvectors as the columns of {@code vecs}; {@code a} is overwritten.
   */
  static double[] symmetricEigen(double[][] a, double[][] vecs) {
    int n = a.length;
    for (int i = 0; i < n; i++) { Arrays.fill(vecs[i], 0); vecs[i][i] = 1; }
    for (int sweep = 0; sweep < 100; sweep++) {
      double off = 0;
      for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
      if (off < 1e-30) break;
      for (int p = 0; p < n; p++) {
        for (int q = p + 1; q < n; q++) {
          if (Math.abs(a[p][q]) < 1e-300) continue;
          double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
          double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          double c = 1 / Math.sqrt(t * t + 1), s = t * c;
          for (int r = 0; r < n; r++) {
            double arp = a[r][p], arq = a[r][q];
            a[r][p] = c * arp - s * arq;
            a[r][q] = s * arp + c * arq;
          }
          for (int r = 0; r < n; r++) {
            double apr = a[p][r], aqr = a[q][r];
            a[p][r] = c * apr - s * aqr;
            a[q][r] = s * apr + c * aqr;
          }
          for (int r = 0; r < n; r++) {
            double vrp = vecs[r][p], vrq = vecs[r][q];
            vecs[r][p] = c * vrp - s * vrq;
            vecs[r][q] = s * vrp + c * vrq;
          }
        }
      }
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) order[i] = i;
    double[] diag = new double[n];
    for (int i = 0; i < n; i++) diag[i] = a[i][i];
    Arrays.sort(order, (x, y) -> Double.compare(diag[y], diag[x]));
    double[][] sorted = new double[n][n];
    double[] vals = new double[n];
    for (int c = 0; c < n; c++) {
      vals[c] = diag[order[c]];
      for (int r = 0; r < n; r++) sorted[r][c] = vecs[r][order[c]];
    }
    for (int r = 0; r < n; r++) vecs[r] = sorted[r];
    return vals;
  }
}
