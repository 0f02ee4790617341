package org.pal.core.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.pal.core.PalException;

/**
 * Reverse-mode differentiation over {@link Mat}s. Each op computes its value now and records how to
 * push gradients back; {@link #backward} replays the record in reverse. Matrix products go to BLAS
 * (ND4J gemm); everything element-wise is a Java loop over the off-heap buffers. All intermediate
 * matrices come from a pool keyed by shape and go back on {@link #reset}, so a training step with the
 * same shapes as the last one allocates nothing.
 *
 * <p>Not thread-safe: one tape per training or scoring thread.
 */
public final class Tape {
  private final DataType dtype;
  private final List<Runnable> backs = new ArrayList<>();
  private final List<Mat> inUse = new ArrayList<>();
  private final Map<Long, ArrayDeque<Mat>> pool = new HashMap<>();

  private boolean noGrad;

  public Tape(DataType dtype) {
    this.dtype = dtype;
  }

  /** In no-grad mode parameters enter as constants and nothing is recorded (evaluation, scoring). */
  public Tape noGrad(boolean on) {
    this.noGrad = on;
    return this;
  }

  public DataType dtype() {
    return dtype;
  }

  /** Forgets the recorded ops and returns every intermediate matrix to the pool. */
  public void reset() {
    backs.clear();
    for (Mat m : inUse) pool.computeIfAbsent(key(m.rows, m.cols), k -> new ArrayDeque<>()).push(m);
    inUse.clear();
  }

  private static long key(int r, int c) {
    return ((long) r << 32) | (c & 0xffffffffL);
  }

  /** A pooled matrix with unspecified contents, valid until {@link #reset}. */
  public Mat alloc(int rows, int cols) {
    ArrayDeque<Mat> q = pool.get(key(rows, cols));
    Mat m = (q == null || q.isEmpty()) ? Mat.zeros(dtype, rows, cols) : q.pop();
    inUse.add(m);
    return m;
  }

  public Mat zeros(int rows, int cols) {
    Mat m = alloc(rows, cols);
    m.fill(0);
    return m;
  }

  // ---------------------------------------------------------------- leaves

  public Var constant(Mat m) {
    checkType(m);
    return new Var(m, false, null);
  }

  /** A parameter as a leaf: its gradient accumulates into the parameter's store (unless frozen). */
  public Var param(Param p) {
    if (p.value == null) throw PalException.internal("parameter " + p.name() + " used before its store was sealed");
    checkType(p.value);
    return p.frozen || noGrad ? new Var(p.value, false, null) : new Var(p.value, true, p);
  }

  private void checkType(Mat m) {
    if (m.dtype() != dtype) throw PalException.internal("tape is " + dtype + " but matrix is " + m.dtype());
  }

  private Var out(Mat value, Var... inputs) {
    boolean rg = false;
    for (Var v : inputs) rg |= v.requiresGrad;
    return new Var(value, rg, null);
  }

  private Mat gradOf(Var v) {
    if (v.grad == null) v.grad = zeros(v.value.rows, v.value.cols);
    return v.grad;
  }

  private void record(Var out, Runnable back) {
    if (out.requiresGrad) backs.add(back);
  }

  private static void sameShape(Var a, Var b, String op) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) {
      throw PalException.internal(op + ": shapes " + a.rows() + "x" + a.cols() + " and " + b.rows() + "x" + b.cols() + " differ");
    }
  }

  // ---------------------------------------------------------------- linear algebra

  /** a (n x k) times b (k x m). */
  public Var matmul(Var a, Var b) {
    if (a.cols() != b.rows()) {
      throw PalException.internal("matmul: " + a.rows() + "x" + a.cols() + " times " + b.rows() + "x" + b.cols());
    }
    Mat c = alloc(a.rows(), b.cols());
    Nd4j.gemm(a.value.nd, b.value.nd, c.nd, false, false, 1.0, 0.0);
    Var o = out(c, a, b);
    record(o, () -> {
      if (o.grad == null) return;
      if (a.requiresGrad) Nd4j.gemm(o.grad.nd, b.value.nd, gradOf(a).nd, false, true, 1.0, 1.0);
      if (b.requiresGrad) Nd4j.gemm(a.value.nd, o.grad.nd, gradOf(b).nd, true, false, 1.0, 1.0);
    });
    return o;
  }

  /** x (n x m) plus the row vector b (1 x m) on every row. */
  public Var addRow(Var x, Var b) {
    if (b.rows() != 1 || b.cols() != x.cols()) throw PalException.internal("addRow: bias " + b.rows() + "x" + b.cols() + " for " + x.cols() + " columns");
    int n = x.rows(), m = x.cols();
    Mat y = alloc(n, m);
    Mat xv = x.value, bv = b.value;
    for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) y.set(i * m + j, xv.get(i * m + j) + bv.get(j));
    Var o = out(y, x, b);
    record(o, () -> {
      if (o.grad == null) return;
      if (x.requiresGrad) addInto(gradOf(x), o.grad, 1.0);
      if (b.requiresGrad) {
        Mat gb = gradOf(b);
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) gb.add(j, o.grad.get(i * m + j));
      }
    });
    return o;
  }

  private static void addInto(Mat dst, Mat src, double alpha) {
    int n = dst.size();
    for (int i = 0; i < n; i++) dst.add(i, alpha * src.get(i));
  }

  public Var add(Var a, Var b) {
    return linear(a, b, 1.0);
  }

  public Var sub(Var a, Var b) {
    return linear(a, b, -1.0);
  }

  private Var linear(Var a, Var b, double sb) {
    sameShape(a, b, sb > 0 ? "add" : "sub");
    Mat y = alloc(a.rows(), a.cols());
    int n = y.size();
    for (int i = 0; i < n; i++) y.set(i, a.value.get(i) + sb * b.value.get(i));
    Var o = out(y, a, b);
    record(o, () -> {
      if (o.grad == null) return;
      if (a.requiresGrad) addInto(gradOf(a), o.grad, 1.0);
      if (b.requiresGrad) addInto(gradOf(b), o.grad, sb);
    });
    return o;
  }

  /** Element-wise product. */
  public Var mul(Var a, Var b) {
    sameShape(a, b, "mul");
    Mat y = alloc(a.rows(), a.cols());
    int n = y.size();
    for (int i = 0; i < n; i++) y.set(i, a.value.get(i) * b.value.get(i));
    Var o = out(y, a, b);
    record(o, () -> {
      if (o.grad == null) return;
      if (a.requiresGrad) { Mat g = gradOf(a); for (int i = 0; i < n; i++) g.add(i, o.grad.get(i) * b.value.get(i)); }
      if (b.requiresGrad) { Mat g = gradOf(b); for (int i = 0; i < n; i++) g.add(i, o.grad.get(i) * a.value.get(i)); }
    });
    return o;
  }

  /** Each row i of x (n x m) times c[i] (c is n x 1). */
  public Var scaleRows(Var x, Var c) {
    if (c.cols() != 1 || c.rows() != x.rows()) throw PalException.internal("scaleRows: " + c.rows() + "x" + c.cols() + " for " + x.rows() + " rows");
    int n = x.rows(), m = x.cols();
    Mat y = alloc(n, m);
    for (int i = 0; i < n; i++) {
      double ci = c.value.get(i);
      for (int j = 0; j < m; j++) y.set(i * m + j, x.value.get(i * m + j) * ci);
    }
    Var o = out(y, x, c);
    record(o, () -> {
      if (o.grad == null) return;
      if (x.requiresGrad) {
        Mat g = gradOf(x);
        for (int i = 0; i < n; i++) { double ci = c.value.get(i); for (int j = 0; j < m; j++) g.add(i * m + j, o.grad.get(i * m + j) * ci); }
      }
      if (c.requiresGrad) {
        Mat g = gradOf(c);
        for (int i = 0; i < n; i++) { double s = 0; for (int j = 0; j < m; j++) s += o.grad.get(i * m + j) * x.value.get(i * m + j); g.add(i, s); }
      }
    });
    return o;
  }

  /** x times the scalar s (1 x 1). */
  public Var scale(Var x, Var s) {
    if (s.rows() != 1 || s.cols() != 1) throw PalException.internal("scale: scalar expected, got " + s.rows() + "x" + s.cols());
    Mat y = alloc(x.rows(), x.cols());
    int n = y.size();
    double sv = s.value.get(0);
    for (int i = 0; i < n; i++) y.set(i, x.value.get(i) * sv);
    Var o = out(y, x, s);
    record(o, () -> {
      if (o.grad == null) return;
      if (x.requiresGrad) addInto(gradOf(x), o.grad, sv);
      if (s.requiresGrad) { double t = 0; for (int i = 0; i < n; i++) t += o.grad.get(i) * x.value.get(i); gradOf(s).add(0, t); }
    });
    return o;
  }

  /** Row sums: n x m to n x 1. */
  public Var sumRows(Var x) {
    int n = x.rows(), m = x.cols();
    Mat y = alloc(n, 1);
    for (int i = 0; i < n; i++) { double s = 0; for (int j = 0; j < m; j++) s += x.value.get(i * m + j); y.set(i, s); }
    Var o = out(y, x);
    record(o, () -> {
      if (o.grad == null || !x.requiresGrad) return;
      Mat g = gradOf(x);
      for (int i = 0; i < n; i++) { double gi = o.grad.get(i); for (int j = 0; j < m; j++) g.add(i * m + j, gi); }
    });
    return o;
  }

  /** Mean of all elements, as a 1 x 1. */
  public Var mean(Var x) {
    int n = x.value.size();
    double s = 0;
    for (int i = 0; i < n; i++) s += x.value.get(i);
    Mat y = alloc(1, 1);
    y.set(0, s / n);
    Var o = out(y, x);
    record(o, () -> {
      if (o.grad == null || !x.requiresGrad) return;
      double g = o.grad.get(0) / n;
      Mat gx = gradOf(x);
      for (int i = 0; i < n; i++) gx.add(i, g);
    });
    return o;
  }

  // ---------------------------------------------------------------- element-wise maps

  /** y = f(x) element-wise, with derivative df given in terms of x. */
  public Var map(Var x, DoubleUnaryOperator f, DoubleUnaryOperator df) {
    Mat y = alloc(x.rows(), x.cols());
    int n = y.size();
    for (int i = 0; i < n; i++) y.set(i, f.applyAsDouble(x.value.get(i)));
    Var o = out(y, x);
    record(o, () -> {
      if (o.grad == null || !x.requiresGrad) return;
      Mat g = gradOf(x);
      for (int i = 0; i < n; i++) g.add(i, o.grad.get(i) * df.applyAsDouble(x.value.get(i)));
    });
    return o;
  }

  public Var relu(Var x) {
    return map(x, v -> v > 0 ? v : 0, v -> v > 0 ? 1 : 0);
  }

  private static final double GELU_C = Math.sqrt(2 / Math.PI);

  /** GELU, tanh form (PyTorch's approximate='tanh'): 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))). */
  public Var gelu(Var x) {
    return map(x, Tape::gelu, Tape::geluGrad);
  }

  public static double gelu(double v) {
    return 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
  }

  public static double geluGrad(double v) {
    double u = GELU_C * (v + 0.044715 * v * v * v);
    double t = Math.tanh(u);
    return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * v * v);
  }

  /** Inverted dropout: zeroes each element with probability p and scales survivors by 1/(1-p). */
  public Var dropout(Var x, double p, Random random) {
    if (p <= 0) return x;
    Mat mask = alloc(x.rows(), x.cols());
    int n = mask.size();
    double keep = 1.0 / (1 - p);
    for (int i = 0; i < n; i++) mask.set(i, random.nextDouble() < p ? 0 : keep);
    return mul(x, constant(mask));
  }

  // ---------------------------------------------------------------- rows, columns, gathers

  /** Softmax of each row of x / temperature. */
  public Var softmaxRows(Var x, double temperature) {
    int n = x.rows(), m = x.cols();
    Mat y = alloc(n, m);
    for (int i = 0; i < n; i++) {
      double mx = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < m; j++) mx = Math.max(mx, x.value.get(i * m + j) / temperature);
      double s = 0;
      for (int j = 0; j < m; j++) { double e = Math.exp(x.value.get(i * m + j) / temperature - mx); y.set(i * m + j, e); s += e; }
      for (int j = 0; j < m; j++) y.set(i * m + j, y.get(i * m + j) / s);
    }
    Var o = out(y, x);
    record(o, () -> {
      if (o.grad == null || !x.requiresGrad) return;
      Mat g = gradOf(x);
      for (int i = 0; i < n; i++) {
        double dot = 0;
        for (int j = 0; j < m; j++) dot += y.get(i * m + j) * o.grad.get(i * m + j);
        for (int j = 0; j < m; j++) g.add(i * m + j, y.get(i * m + j) * (o.grad.get(i * m + j) - dot) / temperature);
      }
    });
    return o;
  }

  /** Each row divided by its L2 norm (norm floored at 1e-12, as torch.nn.functional.normalize). */
  public Var l2NormalizeRows(Var x) {
    int n = x.rows(), m = x.cols();
    Mat y = alloc(n, m);
    Mat norms = alloc(n, 1);
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int j = 0; j < m; j++) { double v = x.value.get(i * m + j); s += v * v; }
      double nr = Math.max(Math.sqrt(s), 1e-12);
      norms.set(i, nr);
      for (int j = 0; j < m; j++) y.set(i * m + j, x.value.get(i * m + j) / nr);
    }
    Var o = out(y, x);
    record(o, () -> {
      if (o.grad == null || !x.requiresGrad) return;
      Mat g = gradOf(x);
      for (int i = 0; i < n; i++) {
        double dot = 0;
        for (int j = 0; j < m; j++) dot += y.get(i * m + j) * o.grad.get(i * m + j);
        double nr = norms.get(i);
        for (int j = 0; j < m; j++) g.add(i * m + j, (o.grad.get(i * m + j) - y.get(i * m + j) * dot) / nr);
      }
    });
    return o;
  }

  /** min(exp(s), max) of a scalar; the gradient is zero where the clamp is active. */
  public Var expClamped(Var s, double max) {
    double e = Math.exp(s.value.get(0));
    double v = Math.min(e, max);
    Mat y = alloc(1, 1);
    y.set(0, v);
    Var o = out(y, s);
    record(o, () -> {
      if (o.grad == null || !s.requiresGrad) return;
      if (e < max) gradOf(s).add(0, o.grad.get(0) * v);
    });
    return o;
  }

  /** Column k of x as n x 1. */
  public Var column(Var x, int k) {
    int n = x.rows(), m = x.cols();
    Mat y = alloc(n, 1);
    for (int i = 0; i < n; i++) y.set(i, x.value.get(i * m + k));
    Var o = out(y, x);
    record(o, () -> {
      if (o.grad == null || !x.requiresGrad) return;
      Mat g = gradOf(x);
      for (int i = 0; i < n; i++) g.add(i * m + k, o.grad.get(i));
    });
    return o;
  }

  /** Rows {@code rows[i]} of table, as rows.length x m. Repeated and unsorted indices are fine. */
  public Var gatherRows(Var table, int[] rows) {
    int m = table.cols(), n = rows.length;
    Mat y = alloc(n, m);
    for (int i = 0; i < n; i++) {
      int r = rows[i];
      if (r < 0 || r >= table.rows()) throw PalException.internal("gatherRows: row " + r + " outside 0.." + (table.rows() - 1));
      for (int j = 0; j < m; j++) y.set(i * m + j, table.value.get(r * m + j));
    }
    Var o = out(y, table);
    record(o, () -> {
      if (o.grad == null || !table.requiresGrad) return;
      Mat g = gradOf(table);
      for (int i = 0; i < n; i++) { int r = rows[i]; for (int j = 0; j < m; j++) g.add(r * m + j, o.grad.get(i * m + j)); }
    });
    return o;
  }

  /** [a; b]: a's rows then b's rows. */
  public Var stackRows(Var a, Var b) {
    if (a.cols() != b.cols()) throw PalException.internal("stackRows: " + a.cols() + " vs " + b.cols() + " columns");
    int na = a.value.size(), nb = b.value.size();
    Mat y = alloc(a.rows() + b.rows(), a.cols());
    for (int i = 0; i < na; i++) y.set(i, a.value.get(i));
    for (int i = 0; i < nb; i++) y.set(na + i, b.value.get(i));
    Var o = out(y, a, b);
    record(o, () -> {
      if (o.grad == null) return;
      if (a.requiresGrad) { Mat g = gradOf(a); for (int i = 0; i < na; i++) g.add(i, o.grad.get(i)); }
      if (b.requiresGrad) { Mat g = gradOf(b); for (int i = 0; i < nb; i++) g.add(i, o.grad.get(na + i)); }
    });
    return o;
  }

  /** Rows [from, to) of x. */
  public Var sliceRows(Var x, int from, int to) {
    int m = x.cols();
    Mat y = alloc(to - from, m);
    int base = from * m, n = y.size();
    for (int i = 0; i < n; i++) y.set(i, x.value.get(base + i));
    Var o = out(y, x);
    record(o, () -> {
      if (o.grad == null || !x.requiresGrad) return;
      Mat g = gradOf(x);
      for (int i = 0; i < n; i++) g.add(base + i, o.grad.get(i));
    });
    return o;
  }

  /** [a | b]: columns of a then columns of b. */
  public Var concatCols(Var a, Var b) {
    if (a.rows() != b.rows()) throw PalException.internal("concatCols: " + a.rows() + " vs " + b.rows() + " rows");
    int n = a.rows(), ma = a.cols(), mb = b.cols(), m = ma + mb;
    Mat y = alloc(n, m);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < ma; j++) y.set(i * m + j, a.value.get(i * ma + j));
      for (int j = 0; j < mb; j++) y.set(i * m + ma + j, b.value.get(i * mb + j));
    }
    Var o = out(y, a, b);
    record(o, () -> {
      if (o.grad == null) return;
      if (a.requiresGrad) { Mat g = gradOf(a); for (int i = 0; i < n; i++) for (int j = 0; j < ma; j++) g.add(i * ma + j, o.grad.get(i * m + j)); }
      if (b.requiresGrad) { Mat g = gradOf(b); for (int i = 0; i < n; i++) for (int j = 0; j < mb; j++) g.add(i * mb + j, o.grad.get(i * m + ma + j)); }
    });
    return o;
  }

  // ---------------------------------------------------------------- backward

  /** Back-propagates from a scalar: seeds d(loss)/d(loss) = 1 and runs the record in reverse. */
  public void backward(Var loss) {
    if (loss.rows() != 1 || loss.cols() != 1) throw PalException.internal("backward needs a 1x1 loss, got " + loss.rows() + "x" + loss.cols());
    if (!loss.requiresGrad) return;
    gradOf(loss).set(0, 1.0);
    for (int i = backs.size() - 1; i >= 0; i--) backs.get(i).run();
  }
}
