package org.pal.core.train;

import java.util.ArrayList;
import java.util.List;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.ParamStore;

/**
 * Adam with one learning rate and weight decay per parameter group (PyTorch semantics: decay is
 * added to the gradient). Works on the store's flat buffers one contiguous group segment at a time.
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
    Mat p = store.flatValue(), g = store.flatGrad();
    double bc1 = 1 - Math.pow(B1, step), bc2 = 1 - Math.pow(B2, step);
    for (int r = 0; r < ranges.size(); r++) {
      long[] range = ranges.get(r);
      GroupSpec s = specs.get(r);
      double lr = s.lr(), wd = s.weightDecay(), stepSize = lr / bc1, sqrtBc2 = Math.sqrt(bc2);
      for (int i = (int) range[0]; i < range[1]; i++) {
        double gi = g.get(i);
        if (wd != 0) gi += wd * p.get(i);
        double mi = B1 * m.get(i) + (1 - B1) * gi;
        double vi = B2 * v.get(i) + (1 - B2) * gi * gi;
        m.set(i, mi);
        v.set(i, vi);
        p.set(i, p.get(i) - stepSize * mi / (Math.sqrt(vi) / sqrtBc2 + EPS));
      }
    }
  }

  public long steps() { return step; }
  public Mat firstMoment() { return m; }
  public Mat secondMoment() { return v; }

  public void restore(long steps, double[] mValues, double[] vValues) {
    this.step = steps;
    for (int i = 0; i < mValues.length; i++) { m.set(i, mValues[i]); v.set(i, vValues[i]); }
  }
}
