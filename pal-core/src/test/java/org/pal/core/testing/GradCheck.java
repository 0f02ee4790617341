package org.pal.core.testing;

import java.util.Random;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.ParamStore;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * Compares the tape's gradients with central finite differences in float64, for every parameter
 * element (or a seeded sample of {@code maxChecks} of them). A non-finite loss, gradient or finite
 * difference makes the worst error infinite, so a check can never pass on NaN or Infinity.
 */
public final class GradCheck {
  public record Result(double worst, int checked, double gradNorm, String worstAt) {}

  private GradCheck() {}

  public static Result run(ParamStore store, Function<Tape, Var> loss, int maxChecks) {
    if (store.dtype() != DataType.DOUBLE) throw new IllegalArgumentException("gradient checks need a float64 store");
    Tape tape = new Tape(DataType.DOUBLE);
    store.zeroGrad();
    Var l = loss.apply(tape);
    double loss0 = l.scalar();
    tape.backward(l);
    double[] analytic = store.flatGrad().toDoubleArray();
    Mat v = store.flatValue();
    int n = analytic.length;
    int[] idx = new int[Math.min(n, maxChecks)];
    if (n <= maxChecks) {
      for (int i = 0; i < n; i++) idx[i] = i;
    } else {
      Random r = new Random(42);
      for (int i = 0; i < idx.length; i++) idx[i] = r.nextInt(n);
    }
    double eps = 1e-6, worst = 0, norm = 0;
    String worstAt = "";
    double maxAbs = 0;
    for (double a : analytic) { norm += a * a; maxAbs = Math.max(maxAbs, Math.abs(a)); }
    // exact zeros (e.g. a bias that cancels in a difference) only see rounding noise: floor the denominator
    double floor = Math.max(1e-7, 1e-4 * maxAbs);
    for (int i : idx) {
      double orig = v.get(i);
      v.set(i, orig + eps);
      tape.reset();
      double lp = loss.apply(tape).scalar();
      v.set(i, orig - eps);
      tape.reset();
      double lm = loss.apply(tape).scalar();
      v.set(i, orig);
      double num = (lp - lm) / (2 * eps);
      double err = Math.abs(num - analytic[i]) / Math.max(Math.max(Math.abs(num), Math.abs(analytic[i])), floor);
      // a NaN never compares greater, and Inf - Inf is NaN: any non-finite value is the worst error there is
      if (!Double.isFinite(err) || !Double.isFinite(analytic[i]) || !Double.isFinite(num)) err = Double.POSITIVE_INFINITY;
      if (err > worst || (err == worst && worstAt.isEmpty())) {
        worst = err;
        worstAt = "element " + i + ": analytic " + analytic[i] + " numeric " + num;
      }
    }
    if (!Double.isFinite(loss0) && worst < Double.POSITIVE_INFINITY) {
      worst = Double.POSITIVE_INFINITY;
      worstAt = "the loss itself is " + loss0;
    }
    tape.reset();
    return new Result(worst, idx.length, Math.sqrt(norm), worstAt);
  }
}
