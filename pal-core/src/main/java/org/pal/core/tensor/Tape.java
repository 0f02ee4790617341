package org.pal.core.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.bytedeco.javacpp.Pointer;
import org.pal.core.PalException;

/**
 * Reverse-mode differentiation over {@link Mat}s. Each op computes its value now and records how to
 * push gradients back; {@link #backward} replays the record in reverse. Matrix products go to
 * OpenBLAS ({@link Blas}); everything element-wise is a Java loop over the off-heap buffers. All intermediate
 * matrices come from a pool keyed by shape and go back on {@link #reset}, so a training step with the
 * same shapes as the last one allocates nothing.
 *
 * <p>Not thread-safe: one tape per training or scoring thread.
 */
public final class Tape {
  private final DataType dtype;
  private final List<Runnable> backs = new ArrayList<>();
  private final List<Mat> inUse = new ArrayList<>();
  private final ShapePool<Mat> pool = new ShapePool<>();
  private final Blas blas;
  /** Where parameter gradients go instead of their store's buffer (a data-parallel worker), or null. */
  private GradBuffer grads;
  /** Weights already off-heap for this step (a data-parallel step's shared copy), or null. */
  private SharedWeights shared;
  /** An off-heap buffer kept across resets for a {@link SharedWeights}, or null. */
  private Pointer kept;
  /** True while in the idle pool (a second give-back must not put it there twice). */
  private boolean idle;

  /**
   * Idle tapes with their pools, allocated and paged in: a fit borrows them ({@link #borrow}) instead of
   * allocating (and page-faulting) every matrix and BLAS buffer again in its first step. Soft references:
   * the collector may drop them (and their off-heap buffers) under memory pressure.
   */
  private static final java.util.concurrent.ConcurrentLinkedDeque<java.lang.ref.SoftReference<Tape>> IDLE_FLOAT =
      new java.util.concurrent.ConcurrentLinkedDeque<>(), IDLE_DOUBLE = new java.util.concurrent.ConcurrentLinkedDeque<>();
  private static final int MAX_IDLE = 16;

  private boolean noGrad;
  /** Runs a model's independent branches side by side ({@link #branches}); null: one after another on this tape. */
  private Fork fork;
  /** Tapes of this step's parallel branches, reset with this one; the first {@link #subUsed} are in use. */
  private final List<Tape> subTapes = new ArrayList<>();
  private int subUsed;
  /** Parameters this tape entered with gradients, while it runs a parallel branch (else null). */
  private List<Param> paramsUsed;

  public Tape(DataType dtype) {
    this(dtype, null);
  }

  /**
   * A tape whose parameter gradients accumulate into {@code grads} (when not null) instead of their
   * store's buffer; parameter values are still read from the store.
   */
  public Tape(DataType dtype, GradBuffer grads) {
    if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) throw PalException.internal("tapes run FLOAT or DOUBLE, not " + dtype);
    this.dtype = dtype;
    this.blas = new Blas(dtype == DataType.FLOAT);
    this.grads = grads;
  }

  /** A tape from the pool of idle ones (else a new one), as {@link #Tape(DataType, GradBuffer)} makes; give it back with {@link #giveBack}. */
  public static Tape borrow(DataType dtype, GradBuffer grads) {
    var idleTapes = dtype == DataType.FLOAT ? IDLE_FLOAT : IDLE_DOUBLE;
    for (java.lang.ref.SoftReference<Tape> r; (r = idleTapes.pollFirst()) != null; ) {
      Tape t = r.get();
      if (t != null && t.dtype == dtype) {
        t.idle = false;
        t.grads = grads;
        return t;
      }
    }
    return new Tape(dtype, grads);
  }

  /** Resets this tape and returns it to the idle pool; the caller must not use it afterwards. */
  public void giveBack() {
    if (idle) return;
    idle = true;
    reset();
    for (Tape t : subTapes) t.giveBack();
    subTapes.clear();
    noGrad = false;
    grads = null;
    shared = null;
    fork = null;
    var idleTapes = dtype == DataType.FLOAT ? IDLE_FLOAT : IDLE_DOUBLE;
    if (idleTapes.size() < MAX_IDLE) idleTapes.addFirst(new java.lang.ref.SoftReference<>(this));
  }

  /**
   * Until called again with null, parameters of {@code w}'s store enter matrix products from that
   * shared off-heap copy instead of one staged by this tape (set only while the values do not change).
   */
  public void shareWeights(SharedWeights w) {
    this.shared = w;
  }

  /** An off-heap buffer of at least {@code size} elements owned by this tape, not part of its per-step pool. */
  Pointer keptBuffer(int size) {
    if (kept == null || kept.capacity() < size) kept = blas.fresh(size);
    return kept;
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
    for (int i = 0; i < subUsed; i++) subTapes.get(i).reset();
    subUsed = 0;
    for (Mat m : inUse) pool.give(key(m.rows, m.cols), m);
    inUse.clear();
    blas.release();
  }

  private static long key(int r, int c) {
    return ((long) r << 32) | (c & 0xffffffffL);
  }

  /**
   * m itself when it starts at offset 0, else a pooled copy that does. Hot loops index every array
   * with the same expression, which C2 vectorises; distinct invariant offsets (views) defeat it.
   */
  Mat dense(Mat m) {
    if (m.off == 0) return m;
    Mat c = alloc(m.rows, m.cols);
    c.copyFrom(m);
    return c;
  }

  /** A pooled matrix with unspecified contents, valid until {@link #reset}. */
  public Mat alloc(int rows, int cols) {
    Mat m = pool.take(key(rows, cols));
    if (m == null) m = Mat.zeros(dtype, rows, cols);
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
    Var v = p.frozen || noGrad ? new Var(p.value, false, null) : new Var(p.value, true, grads == null ? p : grads.target(p));
    if (paramsUsed != null && v.requiresGrad) paramsUsed.add(p);
    if (shared != null) v.staged = shared.view(p);
    return v;
  }

  private void checkType(Mat m) {
    if (m.dtype() != dtype) throw PalException.internal("tape is " + dtype + " but matrix is " + m.dtype());
  }

  private Var out(Mat value, Var... inputs) {
    boolean rg = false;
    for (Var v : inputs) rg |= v.requiresGrad;
    return new Var(value, rg, null);
  }

  /**
   * Allocates x's gradient without zeroing it when x has none yet (not for parameters), returning
   * true: the caller then writes it instead of adding to it, saving a fill and a read per element.
   */
  private boolean claimFresh(Var x) {
    if (x.param != null) x.param.claimGrad(); // about to be accumulated into
    if (x.grad != null || x.param != null) return false;
    x.grad = alloc(x.value.rows, x.value.cols);
    return true;
  }

  private Mat gradOf(Var v) {
    if (v.param != null) v.param.claimGrad();
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

  // ---------------------------------------------------------------- branches

  /** Runs {@code tasks} tasks, side by side where it can; returns when all are done. */
  @FunctionalInterface
  public interface Fork {
    void run(int tasks, java.util.function.IntConsumer body);
  }

  /** A part of a model that depends on nothing the other branches compute: its outputs from its inputs. */
  @FunctionalInterface
  public interface Branch {
    Var[] apply(Tape tape, Var[] inputs, Random random);
  }

  /**
   * From now on {@link #branches} runs a model's branches on {@code fork}'s threads, each on a tape of
   * its own, forward and backward (null: one after another on this tape).
   */
  public void forkBranches(Fork fork) {
    this.fork = fork;
  }

  /**
   * The outputs of independent branches of a model (PAL-B: the prompt functions g_1..g_K, and the
   * item mapping f). Without a {@link #forkBranches fork}, or when an input carries a gradient, they
   * run here one after another, exactly as if called in order. With one, each runs on its own tape
   * on a thread of its own, and its backward pass runs there too when this tape's reaches the
   * branches: every product keeps the batch's full size (unlike a batch split into shards), and a
   * parameter's gradient comes from one branch only, so nothing is folded. Each branch then draws
   * its noise from its own stream, seeded from {@code random} in branch order, so a run is still
   * bit-identical; without noise the numbers are those of the sequential run. Branches that share a
   * parameter run their backward passes one after another, last branch first as on one tape.
   */
  public Var[][] branches(Var[] inputs, Random random, Branch... branches) {
    int b = branches.length;
    Var[][] out = new Var[b][];
    boolean parallel = fork != null && b > 1;
    for (Var v : inputs) parallel &= !v.requiresGrad;
    if (!parallel) {
      for (int i = 0; i < b; i++) out[i] = branches[i].apply(this, inputs, random);
      return out;
    }
    Random[] rs = new Random[b];
    for (int i = 0; i < b; i++) rs[i] = random == null ? null : new Random(random.nextLong());
    Tape[] subs = new Tape[b];
    for (int i = 0; i < b; i++) {
      if (subUsed == subTapes.size()) subTapes.add(borrow(dtype, null));
      Tape t = subTapes.get(subUsed++);
      t.grads = grads;
      t.shared = shared;
      t.noGrad = noGrad;
      t.fork = null;
      t.paramsUsed = new ArrayList<>();
      subs[i] = t;
    }
    Var[][] results = new Var[b][];
    fork.run(b, i -> {
      Tape t = subs[i];
      Var[] in = new Var[inputs.length];
      for (int j = 0; j < in.length; j++) in[j] = t.constant(inputs[j].value);
      results[i] = branches[i].apply(t, in, rs[i]);
    });
    boolean anyGrad = false;
    java.util.Map<Param, Integer> owner = new java.util.IdentityHashMap<>();
    boolean shareParams = false;
    for (int i = 0; i < b; i++) {
      out[i] = new Var[results[i].length];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = new Var(results[i][j].value, results[i][j].requiresGrad, null);
        anyGrad |= out[i][j].requiresGrad;
      }
      for (Param p : subs[i].paramsUsed) {
        Integer o = owner.putIfAbsent(p, i);
        shareParams |= o != null && o != i;
      }
      subs[i].paramsUsed = null;
    }
    if (anyGrad) {
      boolean oneByOne = shareParams;
      Fork f = fork;
      backs.add(() -> {
        java.util.function.IntConsumer back = i -> {
          Tape t = subs[i];
          for (int j = 0; j < out[i].length; j++) if (out[i][j].grad != null) t.passGrad(results[i][j], out[i][j].grad);
          for (int k = t.backs.size() - 1; k >= 0; k--) t.backs.get(k).run();
        };
        // last branch first, as one tape's backward pass would add to the shared gradient
        if (oneByOne) for (int i = b - 1; i >= 0; i--) back.accept(i);
        else f.run(b, back);
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- linear algebra

  /** a (n x k) times b (k x m), on BLAS through off-heap staging copies. */
  public Var matmul(Var a, Var b) {
    if (a.cols() != b.rows()) {
      throw PalException.internal("matmul: " + a.rows() + "x" + a.cols() + " times " + b.rows() + "x" + b.cols());
    }
    int n = a.rows(), k = a.cols(), m = b.cols();
    Pointer as = staged(a), bs = staged(b), cs = blas.buffer(n * m);
    blas.gemm(false, false, n, m, k, as, k, bs, m, 0.0, cs, m);
    Mat c = alloc(n, m);
    blas.copyBack(cs, c);
    Var o = out(c, a, b);
    record(o, () -> {
      if (o.grad == null) return;
      Pointer gs = blas.stage(o.grad);
      if (a.requiresGrad) gemmGrad(a, false, true, n, k, m, gs, m, bs, m); // dA += dC B^T
      if (b.requiresGrad) gemmGrad(b, true, false, k, m, n, as, k, gs, m); // dB += A^T dC
    });
    return o;
  }

  /**
   * x (n x k) times w (k x m) plus the row vector b (1 x m) on every row: a dense layer. The bias
   * goes into BLAS's output (beta = 1), which saves a pass over the output.
   */
  public Var affine(Var x, Var w, Var b) {
    if (x.cols() != w.rows() || b.rows() != 1 || b.cols() != w.cols()) {
      throw PalException.internal("affine: " + x.rows() + "x" + x.cols() + " times " + w.rows() + "x" + w.cols() + " plus " + b.rows() + "x" + b.cols());
    }
    int n = x.rows(), k = x.cols(), m = w.cols();
    Pointer xs = staged(x), ws = staged(w);
    Mat c = alloc(n, m);
    for (int i = 0; i < n; i++) rowCopy(b.value, 0, c, i);
    Pointer cs = blas.stage(c);
    blas.gemm(false, false, n, m, k, xs, k, ws, m, 1.0, cs, m);
    blas.copyBack(cs, c);
    Var o = out(c, x, w, b);
    record(o, () -> {
      if (o.grad == null) return;
      if (b.requiresGrad) sumColumnsInto(o.grad, gradOf(b));
      Pointer gs = blas.stage(o.grad);
      if (x.requiresGrad) gemmGrad(x, false, true, n, k, m, gs, m, ws, m);
      if (w.requiresGrad) gemmGrad(w, true, false, k, m, n, xs, k, gs, m);
    });
    return o;
  }

  private static void rowCopy(Mat src, int srcRow, Mat dst, int dstRow) {
    int m = src.cols;
    if (dst.f != null) System.arraycopy(src.f, src.off + srcRow * m, dst.f, dst.off + dstRow * m, m);
    else System.arraycopy(src.d, src.off + srcRow * m, dst.d, dst.off + dstRow * m, m);
  }

  /** dst (1 x m) += column sums of g (n x m). */
  private static void sumColumnsInto(Mat g, Mat dst) {
    int n = g.rows, m = g.cols;
    if (g.f != null) {
      float[] gf = g.f, df = dst.f;
      for (int i = 0; i < n; i++) {
        int go = g.off + i * m;
        for (int j = 0; j < m; j++) df[dst.off + j] += gf[go + j];
      }
    } else {
      for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) dst.add(j, g.get(i * m + j));
    }
  }

  /**
   * grad(x) += op(a) op(b) through BLAS. A gradient not yet allocated is written directly (beta = 0),
   * saving the zero fill and a copy; an existing one is staged and accumulated into.
   */
  private void gemmGrad(Var x, boolean ta, boolean tb, int m, int n, int k, Pointer a, int lda, Pointer b, int ldb) {
    Pointer p;
    double beta;
    if (x.param != null ? x.param.claimForOverwrite() : x.grad == null) {
      if (x.grad == null) x.grad = alloc(m, n);
      p = blas.buffer(m * n);
      beta = 0.0;
    } else {
      p = blas.stage(x.grad);
      beta = 1.0;
    }
    blas.gemm(ta, tb, m, n, k, a, lda, b, ldb, beta, p, n);
    blas.copyBack(p, x.grad);
  }

  /**
   * grad(x) += g. When x has no gradient yet, g itself becomes it (no copy): g belongs to an op whose
   * backward step is running now and reads it no more after this call.
   */
  private void passGrad(Var x, Mat g) {
    if (x.grad == null && x.param == null) x.grad = g;
    else gradOf(x).addScaled(g, 1.0);
  }

  /** The var's value staged off-heap once per tape (weights are used forward and backward). */
  private Pointer staged(Var v) {
    if (v.staged == null) v.staged = blas.stage(v.value);
    return v.staged;
  }

  /** x (n x m) plus the row vector b (1 x m) on every row. */
  public Var addRow(Var x, Var b) {
    if (b.rows() != 1 || b.cols() != x.cols()) throw PalException.internal("addRow: bias " + b.rows() + "x" + b.cols() + " for " + x.cols() + " columns");
    int n = x.rows(), m = x.cols();
    Mat y = alloc(n, m);
    Mat xv = x.value, bv = b.value;
    if (y.f != null) {
      float[] yf = y.f, xf = xv.f, bf = bv.f;
      for (int i = 0; i < n; i++) {
        int yo = y.off + i * m, xo = xv.off + i * m;
        for (int j = 0; j < m; j++) yf[yo + j] = xf[xo + j] + bf[bv.off + j];
      }
    } else {
      for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) y.set(i * m + j, xv.get(i * m + j) + bv.get(j));
    }
    Var o = out(y, x, b);
    record(o, () -> {
      if (o.grad == null) return;
      if (b.requiresGrad) sumColumnsInto(o.grad, gradOf(b));
      if (x.requiresGrad) passGrad(x, o.grad);
    });
    return o;
  }

  private static void addInto(Mat dst, Mat src, double alpha) {
    dst.addScaled(src, alpha);
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
    if (y.f != null) {
      Mat av = dense(a.value), bv = dense(b.value);
      float[] yf = y.f, af = av.f, bf = bv.f;
      Par.forRange(n, (lo, hi) -> {
        if (sb > 0) for (int i = lo; i < hi; i++) yf[i] = af[i] + bf[i];
        else for (int i = lo; i < hi; i++) yf[i] = af[i] - bf[i];
      });
    } else {
      for (int i = 0; i < n; i++) y.set(i, a.value.get(i) + sb * b.value.get(i));
    }
    Var o = out(y, a, b);
    record(o, () -> {
      if (o.grad == null) return;
      if (b.requiresGrad) addInto(gradOf(b), o.grad, sb); // before a may take o.grad over
      if (a.requiresGrad) passGrad(a, o.grad);
    });
    return o;
  }

  /** Element-wise product. */
  public Var mul(Var a, Var b) {
    sameShape(a, b, "mul");
    Mat y = alloc(a.rows(), a.cols());
    int n = y.size();
    mulAdd(y, a.value, b.value, false);
    Var o = out(y, a, b);
    record(o, () -> {
      if (o.grad == null) return;
      if (a.requiresGrad) { boolean w = claimFresh(a); mulAdd(a.grad, o.grad, b.value, !w); }
      if (b.requiresGrad) { boolean w = claimFresh(b); mulAdd(b.grad, o.grad, a.value, !w); }
    });
    return o;
  }

  /** dst = x * y (or dst += x * y), element-wise. */
  private static void mulAdd(Mat dst, Mat x, Mat y, boolean accumulate) {
    int n = dst.size();
    if (dst.f != null && dst.off == 0 && x.off == 0 && y.off == 0) {
      float[] df = dst.f, xf = x.f, yf = y.f;
      Par.forRange(n, (lo, hi) -> {
        if (accumulate) for (int i = lo; i < hi; i++) df[i] += xf[i] * yf[i];
        else for (int i = lo; i < hi; i++) df[i] = xf[i] * yf[i];
      });
    } else if (dst.f != null) {
      float[] df = dst.f, xf = x.f, yf = y.f;
      int d0 = dst.off, x0 = x.off, y0 = y.off;
      if (accumulate) for (int i = 0; i < n; i++) df[d0 + i] += xf[x0 + i] * yf[y0 + i];
      else for (int i = 0; i < n; i++) df[d0 + i] = xf[x0 + i] * yf[y0 + i];
    } else {
      for (int i = 0; i < n; i++) dst.set(i, (accumulate ? dst.get(i) : 0) + x.get(i) * y.get(i));
    }
  }

  /** Each row i of x (n x m) times c[i] (c is n x 1). */
  public Var scaleRows(Var x, Var c) {
    if (c.cols() != 1 || c.rows() != x.rows()) throw PalException.internal("scaleRows: " + c.rows() + "x" + c.cols() + " for " + x.rows() + " rows");
    int n = x.rows(), m = x.cols();
    Mat y = alloc(n, m);
    for (int i = 0; i < n; i++) scaleRow(y, i, x.value, c.value.get(i));
    Var o = out(y, x, c);
    record(o, () -> {
      if (o.grad == null) return;
      if (x.requiresGrad) {
        Mat g = gradOf(x), dy = o.grad;
        for (int i = 0; i < n; i++) {
          double ci = c.value.get(i);
          if (g.f != null) {
            float[] gf = g.f, df = dy.f;
            int g0 = g.off + i * m, d0 = dy.off + i * m;
            float cf = (float) ci;
            for (int j = 0; j < m; j++) gf[g0 + j] += df[d0 + j] * cf;
          } else {
            for (int j = 0; j < m; j++) g.add(i * m + j, dy.get(i * m + j) * ci);
          }
        }
      }
      if (c.requiresGrad) {
        Mat g = gradOf(c);
        for (int i = 0; i < n; i++) g.add(i, rowDot(o.grad, x.value, i));
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
    Mat y = alloc(x.rows(), x.cols());
    int n = y.size();
    Mat xv = x.value;
    if (y.f != null) {
      float[] yf = y.f, xf = xv.f;
      for (int i = 0; i < n; i++) { float v = xf[xv.off + i]; yf[y.off + i] = v > 0 ? v : 0; }
    } else {
      for (int i = 0; i < n; i++) { double v = xv.get(i); y.set(i, v > 0 ? v : 0); }
    }
    Var o = out(y, x);
    record(o, () -> {
      if (o.grad == null || !x.requiresGrad) return;
      Mat g = gradOf(x), dy = o.grad;
      if (g.f != null) {
        float[] gf = g.f, df = dy.f, xf = xv.f;
        for (int i = 0; i < n; i++) if (xf[xv.off + i] > 0) gf[g.off + i] += df[dy.off + i];
      } else {
        for (int i = 0; i < n; i++) if (xv.get(i) > 0) g.add(i, dy.get(i));
      }
    });
    return o;
  }

  private static final double GELU_C = Math.sqrt(2 / Math.PI);
  private static final double GELU_A = 0.044715;

  /**
   * GELU, tanh form (PyTorch's approximate='tanh'): 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))).
   * The tanh values are kept for the backward pass, so each element costs one exp in all.
   */
  public Var gelu(Var x) {
    Mat y = alloc(x.rows(), x.cols()), t = alloc(x.rows(), x.cols());
    int n = y.size();
    Mat xv = x.value;
    if (y.f != null) {
      xv = dense(xv);
      float[] yf = y.f, tf = t.f, xf = xv.f;
      Par.forRange(n, (lo, hi) -> geluForward(xf, yf, tf, lo, hi));
    } else {
      for (int i = 0; i < n; i++) {
        double v = xv.get(i), th = tanh(GELU_C * (v + GELU_A * v * v * v));
        t.set(i, th);
        y.set(i, 0.5 * v * (1 + th));
      }
    }
    Var o = out(y, x);
    Mat xd = xv;
    record(o, () -> {
      if (o.grad == null || !x.requiresGrad) return;
      boolean write = claimFresh(x);
      Mat g = x.grad, dy = o.grad;
      if (g.f != null && g.off == 0 && dy.off == 0 && xd.off == 0) {
        float[] gf = g.f, df = dy.f, xf = xd.f, tf = t.f;
        Par.forRange(n, (lo, hi) -> geluBackward(gf, df, xf, tf, lo, hi, write));
      } else {
        if (write) g.fill(0);
        for (int i = 0; i < n; i++) {
          double v = xd.get(i), th = t.get(i);
          g.add(i, dy.get(i) * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * GELU_C * (1 + 3 * GELU_A * v * v)));
        }
      }
    });
    return o;
  }

  private static void geluForward(float[] xf, float[] yf, float[] tf, int lo, int hi) {
    float c = (float) GELU_C, a = (float) GELU_A;
    for (int i = lo; i < hi; i++) {
      float v = xf[i];
      float th = tanhFloat(c * (v + a * v * v * v));
      tf[i] = th;
      yf[i] = 0.5f * v * (1 + th);
    }
  }

  private static void geluBackward(float[] gf, float[] df, float[] xf, float[] tf, int lo, int hi, boolean write) {
    float c = (float) GELU_C, a3 = (float) (3 * GELU_A);
    if (write) {
      for (int i = lo; i < hi; i++) {
        float v = xf[i], th = tf[i];
        gf[i] = df[i] * (0.5f * (1 + th) + 0.5f * v * (1 - th * th) * c * (1 + a3 * v * v));
      }
    } else {
      for (int i = lo; i < hi; i++) {
        float v = xf[i], th = tf[i];
        gf[i] += df[i] * (0.5f * (1 + th) + 0.5f * v * (1 - th * th) * c * (1 + a3 * v * v));
      }
    }
  }

  /**
   * float tanh as a [13/6] rational function on [-7.905, 7.905] (Eigen's coefficients; max error
   * 3e-7, below float resolution): only multiplies, adds and one divide, so the loop vectorises.
   */
  static float tanhFloat(float x) {
    x = Math.max(-7.90531110763549805f, Math.min(7.90531110763549805f, x));
    float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 - 8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p = p * x;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return p / q;
  }

  /** tanh through the intrinsic Math.exp: Math.tanh is StrictMath's software routine, several times slower. */
  static double tanh(double u) {
    return 1 - 2 / (1 + Math.exp(2 * u));
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
    Mat xv = x.value;
    for (int i = 0; i < n; i++) {
      double s = 0;
      if (y.f != null) {
        float[] xf = xv.f;
        int xo = xv.off + i * m;
        float sf = 0;
        for (int j = 0; j < m; j++) sf += xf[xo + j] * xf[xo + j];
        s = sf;
      } else {
        for (int j = 0; j < m; j++) { double v = xv.get(i * m + j); s += v * v; }
      }
      double nr = Math.max(Math.sqrt(s), 1e-12);
      norms.set(i, nr);
      scaleRow(y, i, xv, 1 / nr);
    }
    Var o = out(y, x);
    record(o, () -> {
      if (o.grad == null || !x.requiresGrad) return;
      Mat g = gradOf(x), dy = o.grad;
      for (int i = 0; i < n; i++) {
        double dot = rowDot(y, dy, i);
        double nr = norms.get(i);
        // g_i += (dy_i - y_i * dot) / nr
        if (g.f != null) {
          float[] gf = g.f, df = dy.f, yf = y.f;
          int go = g.off + i * m, d0 = dy.off + i * m, yo = y.off + i * m;
          float inv = (float) (1 / nr), dd = (float) dot;
          for (int j = 0; j < m; j++) gf[go + j] += (df[d0 + j] - yf[yo + j] * dd) * inv;
        } else {
          for (int j = 0; j < m; j++) g.add(i * m + j, (dy.get(i * m + j) - y.get(i * m + j) * dot) / nr);
        }
      }
    });
    return o;
  }

  /** Row i of dst = row i of src times c. */
  private static void scaleRow(Mat dst, int i, Mat src, double c) {
    int m = dst.cols;
    if (dst.f != null && dst.off == src.off) {
      float[] df = dst.f, sf = src.f;
      int lo = dst.off + i * m, hi = lo + m;
      float cf = (float) c;
      for (int j = lo; j < hi; j++) df[j] = sf[j] * cf;
    } else if (dst.f != null) {
      float[] df = dst.f, sf = src.f;
      int d0 = dst.off + i * m, s0 = src.off + i * m;
      float cf = (float) c;
      for (int j = 0; j < m; j++) df[d0 + j] = sf[s0 + j] * cf;
    } else {
      for (int j = 0; j < m; j++) dst.set(i * m + j, src.get(i * m + j) * c);
    }
  }

  private static double rowDot(Mat a, Mat b, int i) {
    int m = a.cols;
    if (a.f != null) {
      float[] af = a.f, bf = b.f;
      int a0 = a.off + i * m, b0 = b.off + i * m;
      float s = 0;
      for (int j = 0; j < m; j++) s += af[a0 + j] * bf[b0 + j];
      return s;
    }
    double s = 0;
    for (int j = 0; j < m; j++) s += a.get(i * m + j) * b.get(i * m + j);
    return s;
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
    int na = a.value.size();
    Mat y = alloc(a.rows() + b.rows(), a.cols());
    Mat.view(y, 0, a.rows(), a.cols()).copyFrom(a.value);
    Mat.view(y, na, b.rows(), b.cols()).copyFrom(b.value);
    Var o = out(y, a, b);
    record(o, () -> {
      if (o.grad == null) return;
      if (a.requiresGrad) passGrad(a, Mat.view(o.grad, 0, a.rows(), a.cols()));
      if (b.requiresGrad) passGrad(b, Mat.view(o.grad, na, b.rows(), b.cols()));
    });
    return o;
  }

  /** Rows [from, to) of x. */
  public Var sliceRows(Var x, int from, int to) {
    int m = x.cols();
    int base = from * m;
    // values never change once computed, so a view is as good as a copy
    Mat y = Mat.view(x.value, base, to - from, m);
    Var o = out(y, x);
    record(o, () -> {
      if (o.grad == null || !x.requiresGrad) return;
      Mat.view(gradOf(x), base, to - from, m).addScaled(o.grad, 1.0);
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
    backward(loss, 1.0);
  }

  /**
   * Back-propagates {@code weight * loss}: a data-parallel shard of n_s of a batch's n pairs passes
   * n_s / n, so that the shards' gradients add up to the gradient of the whole batch's mean loss.
   */
  public void backward(Var loss, double weight) {
    if (loss.rows() != 1 || loss.cols() != 1) throw PalException.internal("backward needs a 1x1 loss, got " + loss.rows() + "x" + loss.cols());
    if (!loss.requiresGrad) return;
    gradOf(loss).set(0, weight);
    for (int i = backs.size() - 1; i >= 0; i--) backs.get(i).run();
  }
}
