package org.pal.core.train;

import java.util.ArrayList;
import java.util.List;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.ParamStore;

/**
 * Adam with one learning rate and weight decay per parameter group (PyTorch semantics: decay is
 * added to the gradient). Works on the store's flat buffers one contiguous group segment at a time.
 * It does not write zeros over the gradients it read (a pass of stores over every gradient per step):
 * it marks them as zero ({@link ParamStore#markGradsZero}) and the next backward pass overwrites or
 * zeroes each before accumulating.
 */
public final class Adam {
  private static final double B1 = 0.9, B2 = 0.999, EPS = 1e-8;
  private final ParamStore store;
  private final Mat m;
  private final Mat v;
  private final List<long[]> ranges = new ArrayList<>();
  private final List<GroupSpec> specs = new ArrayList<>();
  private long step;

  public Adam(ParamStore store, java.util.function.Function<String, GroupSpec> groupSpec) {
    this.store = store;
    int n = store.flatValue().size();
    this.m = Mat.zeros(store.dtype(), 1, n);
    this.v = Mat.zeros(store.dtype(), 1, n);
    for (String g : store.groups()) {
      ranges.add(store.groupRange(g));
      specs.add(groupSpec.apply(g));
    }
  }

  public void step() {
    step++;
    store.zeroUntouchedGrads();
    store.markGradsZero(); // read below: the next backward starts them afresh
    Mat p = store.flatValue(), g = store.optimizerGrad();
    double bc1 = 1 - Math.pow(B1, step), bc2 = 1 - Math.pow(B2, step);
    for (int r = 0; r < ranges.size(); r++) {
      long[] range = ranges.get(r);
      GroupSpec s = specs.get(r);
      double lr = s.lr(), wd = s.weightDecay(), stepSize = lr / bc1, sqrtBc2 = Math.sqrt(bc2);
      int from = (int) range[0], to = (int) range[1];
      if (p.isFloat()) {
        stepFloat(p, g, from, to, (float) wd, (float) stepSize, (float) sqrtBc2);
      } else {
        stepDouble(p, g, NO_ADDENDS, from, to, wd, stepSize, sqrtBc2);
      }
    }
  }

  /**
   * A step on the store's gradient plus {@code addends} (data-parallel workers' gradients, same
   * layout), added in array order element by element, so the sum does not depend on how the work is
   * split; {@code tasks} workers each update one contiguous piece of every group (no addends: the
   * plain step on several threads, same numbers as {@link #step()}). The caller zeroes
   * the addends' gradients no op wrote ({@link org.pal.core.tensor.GradBuffer#zeroUntouched}) before
   * and marks them zero after.
   */
  public void step(Mat[] addends, int tasks) {
    step++;
    store.zeroUntouchedGrads();
    // the addends are folded into the store's gradient below: one that no op wrote (an empty first
    // shard) would otherwise still count as holding zeros, and the next step would add to the sum
    if (addends.length > 0) store.markGradsZeroAfterFold();
    else store.markGradsZero();
    Mat p = store.flatValue(), g = store.optimizerGrad();
    double bc1 = 1 - Math.pow(B1, step), bc2 = 1 - Math.pow(B2, step);
    Workers.shared().run(tasks, t -> {
      for (int r = 0; r < ranges.size(); r++) {
        long[] range = ranges.get(r);
        GroupSpec s = specs.get(r);
        double lr = s.lr(), wd = s.weightDecay(), stepSize = lr / bc1, sqrtBc2 = Math.sqrt(bc2);
        int len = (int) (range[1] - range[0]);
        int from = (int) range[0] + (int) ((long) len * t / tasks), to = (int) range[0] + (int) ((long) len * (t + 1) / tasks);
        if (p.isFloat()) {
          for (int lo = from; lo < to; lo += BLOCK) {
            int hi = Math.min(to, lo + BLOCK);
            for (Mat a : addends) foldFloat(g, a, lo, hi);
            stepFloatRange(p, g, lo, hi, (float) wd, (float) stepSize, (float) sqrtBc2);
          }
        } else {
          stepDouble(p, g, addends, from, to, wd, stepSize, sqrtBc2);
        }
      }
    });
  }

  private static final Mat[] NO_ADDENDS = new Mat[0];

  /** The float64 update of [from, to): the addends folded in array order, then Adam. */
  private void stepDouble(Mat p, Mat g, Mat[] addends, int from, int to, double wd, double stepSize, double sqrtBc2) {
    for (int i = from; i < to; i++) {
      double gi = g.get(i);
      for (Mat a : addends) gi += a.get(i);
      if (wd != 0) gi += wd * p.get(i);
      double mi = B1 * m.get(i) + (1 - B1) * gi;
      double vi = B2 * v.get(i) + (1 - B2) * gi * gi;
      m.set(i, mi);
      v.set(i, vi);
      p.set(i, p.get(i) - stepSize * mi / (Math.sqrt(vi) / sqrtBc2 + EPS));
    }
  }

  /** Elements per block of the fused fold-and-update: the block's arrays stay in L1 between the two passes. */
  private static final int BLOCK = 1024;

  /** g[lo..hi) += a[lo..hi). */
  private static void foldFloat(Mat g, Mat a, int lo, int hi) {
    if (a.offset() != 0) throw new IllegalStateException("flat buffers must start at 0");
    float[] gf = g.floats(), af = a.floats();
    for (int i = lo; i < hi; i++) gf[i] += af[i];
  }

  /**
   * The float32 update on raw arrays, one pass; large
   * groups are split across {@link org.pal.core.tensor.Threads#parallelism()} threads (elements are
   * independent, so the result does not depend on the split).
   */
  private void stepFloat(Mat p, Mat g, int from, int to, float wd, float stepSize, float sqrtBc2) {
    int threads = org.pal.core.tensor.Threads.parallelism();
    int n = to - from;
    if (threads > 1 && n >= 1 << 16) {
      int chunk = (n + threads - 1) / threads;
      java.util.stream.IntStream.range(0, threads).parallel().forEach(t ->
          stepFloatRange(p, g, from + t * chunk, Math.min(to, from + (t + 1) * chunk), wd, stepSize, sqrtBc2));
    } else {
      stepFloatRange(p, g, from, to, wd, stepSize, sqrtBc2);
    }
  }

  private void stepFloatRange(Mat p, Mat g, int from, int to, float wd, float stepSize, float sqrtBc2) {
    // the flat buffers all start at offset 0: one index expression for every array lets C2 vectorise
    if (p.offset() != 0 || g.offset() != 0 || m.offset() != 0 || v.offset() != 0) throw new IllegalStateException("flat buffers must start at 0");
    float[] pf = p.floats(), gf = g.floats(), mf = m.floats(), vf = v.floats();
    float b1 = (float) B1, b2 = (float) B2, c1 = (float) (1 - B1), c2 = (float) (1 - B2), eps = (float) EPS;
    for (int i = from; i < to; i++) {
      float gi = gf[i] + wd * pf[i];
      float mi = b1 * mf[i] + c1 * gi;
      float vi = b2 * vf[i] + c2 * gi * gi;
      mf[i] = mi;
      vf[i] = vi;
      pf[i] -= stepSize * mi / ((float) Math.sqrt(vi) / sqrtBc2 + eps);
    }
  }

  public long steps() { return step; }
  /** Number of parameters updated. */
  public int size() { return m.size(); }
  public Mat firstMoment() { return m; }
  public Mat secondMoment() { return v; }

  public void restore(long steps, double[] mValues, double[] vValues) {
    this.step = steps;
    for (int i = 0; i < mValues.length; i++) { m.set(i, mValues[i]); v.set(i, vValues[i]); }
  }
}
