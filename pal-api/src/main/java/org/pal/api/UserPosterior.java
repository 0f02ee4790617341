package org.pal.api;

import java.util.Arrays;
import java.util.List;
import org.pal.core.PalException;
import org.pal.core.model.PalModel;
import org.pal.core.spi.LinkFunction;
import org.pal.core.tensor.Init;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * What a frozen model knows about one user's weights after their comparisons: a Laplace
 * approximation of the posterior over the user's K logits θ (weights w = softmax(θ)).
 *
 * <p>Prior: θ ~ N(μ, σ² I) with μ the logits of the zero-shot weights (the mean of the seen users'
 * weights) and σ = {@link Options#priorStd}. Likelihood: Pr(chosen ≻ rejected) = h(m(θ)) under the
 * model's link h, m = u(chosen) − u(rejected). The fit is the MAP point, found by Fisher scoring
 * (Gauss–Newton for the link's Bernoulli likelihood) with a backtracking line search; everything but
 * θ is frozen. The covariance is the inverse of the Hessian approximation at the MAP point,
 * Σ = (Σᵢ Fᵢ Jᵢ Jᵢᵀ + I/σ²)⁻¹, with Jᵢ = ∂mᵢ/∂θ taken by reverse mode through the model and
 * Fᵢ = h'(mᵢ)² / (h(mᵢ)(1 − h(mᵢ))) the Fisher information of one answer. With no comparisons the
 * fit is the prior: zero-shot weights with the prior's spread.
 *
 * <p>Thread-safe: each call uses its own tape. Works for any model variant (derivatives come from the
 * tape); with a nonlinear variant the Laplace approximation is local, as always.
 */
public final class UserPosterior {
  /**
   * @param priorStd σ of the Gaussian prior over each logit
   * @param iterations most Fisher-scoring steps of one fit
   */
  public record Options(double priorStd, int iterations) {
    public static final Options DEFAULT = new Options(1.5, 30);

    public Options {
      if (!(priorStd > 0) || Double.isInfinite(priorStd)) throw PalException.badInput("priorStd", priorStd, "must be a finite number > 0");
      if (iterations < 1) throw PalException.badInput("iterations", iterations, "must be at least 1");
    }
  }

  /**
   * One user's posterior.
   *
   * @param logits the MAP logits θ̂ (centred: they sum to 0)
   * @param weights softmax(θ̂), the weights to score with
   * @param covariance K x K covariance of θ (inverse Hessian at θ̂)
   * @param weightStd per-weight standard deviation, through the softmax's Jacobian (delta method)
   * @param comparisons number of comparisons fitted
   */
  public record Fit(double[] logits, double[] weights, double[][] covariance, double[] weightStd, int comparisons) {
    /** A single number for "how unsure": the root of the summed weight variances (0 = certain). */
    public double uncertainty() {
      double s = 0;
      for (double v : weightStd) s += v * v;
      return Math.sqrt(s);
    }
  }

  /**
   * Comparisons as vectors: row i of {@code chosen} was preferred over row i of {@code rejected}
   * under prompt row i ({@code prompts} null for models without prompts).
   */
  public record Answers(float[][] prompts, float[][] chosen, float[][] rejected) {
    public Answers {
      if (chosen.length != rejected.length || (prompts != null && prompts.length != chosen.length)) {
        throw PalException.internal("answers: " + chosen.length + " chosen, " + rejected.length + " rejected, "
            + (prompts == null ? "no" : prompts.length) + " prompts");
      }
    }

    public int size() {
      return chosen.length;
    }

    public static final Answers NONE = new Answers(null, new float[0][], new float[0][]);
  }

  private final PalModel model;
  private final Options options;
  private final double[] priorMean;
  private final int k;
  /** One tape per thread: its matrix and native staging pools are reused across calls. */
  private final ThreadLocal<Tape> tapes;

  public UserPosterior(RewardModel model) {
    this(model, Options.DEFAULT);
  }

  public UserPosterior(RewardModel model, Options options) {
    this(model.engine(), options, model.zeroShotWeights());
  }

  /**
   * @param zeroShot the prior's mean weights (e.g. the mean of the seen users' weights)
   */
  public UserPosterior(PalModel model, Options options, double[] zeroShot) {
    this.model = model;
    this.options = options;
    this.k = model.k();
    if (zeroShot.length != k) throw PalException.internal("zero-shot weights have " + zeroShot.length + " values, K = " + k);
    this.priorMean = centredLog(zeroShot);
    this.tapes = ThreadLocal.withInitial(() -> new Tape(model.params().dtype()));
    // the model is only read from here on: no gradients flow into its shared parameters
    model.params().freeze(true);
  }

  public Options options() {
    return options;
  }

  public int k() {
    return k;
  }

  /**
   * An empirical-Bayes prior spread: the root mean square distance of the seen users' (centred,
   * floored) logits from the zero-shot point's, clamped to [0.5, 4]. Populations whose users sit near
   * the simplex's corners get a wide prior, so a few answers can move a new user far.
   */
  /** The same around the model's own zero-shot point (the mean of its users' weights). */
  public static double empiricalPriorStd(PalModel model) {
    return empiricalPriorStd(model, org.pal.core.eval.Evaluator.meanWeights(model));
  }

  public static double empiricalPriorStd(PalModel model, double[] zeroShot) {
    double[] mu = centredLog(zeroShot);
    double[][] w = model.weightsOf(model.users());
    double ss = 0;
    for (double[] row : w) {
      double[] t = centredLog(row);
      for (int j = 0; j < t.length; j++) ss += (t[j] - mu[j]) * (t[j] - mu[j]);
    }
    double rms = Math.sqrt(ss / Math.max(1, (double) w.length * mu.length));
    return Math.max(0.5, Math.min(4.0, rms));
  }

  /** The posterior of a user with no answers: zero-shot weights, prior covariance. */
  public Fit prior() {
    double[][] cov = new double[k][k];
    for (int i = 0; i < k; i++) cov[i][i] = options.priorStd() * options.priorStd();
    return summarise(priorMean.clone(), cov, 0);
  }

  /** The MAP fit and its Laplace covariance, starting from the prior mean. */
  public Fit fit(Answers answers) {
    return fit(answers, null);
  }

  /** The same, starting from {@code start} logits (a previous fit, for speed); the optimum does not depend on it. */
  public Fit fit(Answers answers, double[] start) {
    int n = answers.size();
    if (n == 0) return prior();
    checkDims(answers);
    double[] theta = start == null ? priorMean.clone() : start.clone();
    Eval cur = evaluate(theta, answers);
    for (int it = 0; it < options.iterations(); it++) {
      double[] step = solve(cur.hessian, negate(cur.gradient));
      // Newton decrement: the decrease a full step promises; below float noise there is nothing left to gain
      double decrement = -dot(cur.gradient, step);
      if (decrement < 1e-9) break;
      double t = 1;
      Eval next = null;
      for (int ls = 0; ls < 12; ls++, t /= 2) {
        double[] cand = theta.clone();
        for (int j = 0; j < k; j++) cand[j] += t * step[j];
        Eval e = evaluate(cand, answers);
        if (e.objective <= cur.objective - 1e-4 * t * decrement) {
          next = e;
          theta = cand;
          break;
        }
      }
      if (next == null) break; // no descent left at float precision
      boolean small = cur.objective - next.objective < 1e-10 * (1 + Math.abs(cur.objective));
      cur = next;
      if (small) break;
    }
    return summarise(centre(theta), invert(cur.hessian), n);
  }

  /**
   * Rewards of {@code items} (under prompt rows, or null) for the fit's weights and their gradients
   * with respect to the logits θ: {@code grad[i][j] = ∂u_i/∂θ_j}.
   */
  public record Utilities(double[] values, double[][] grad) {}

  public Utilities utilities(double[] logits, float[][] prompts, float[][] items) {
    double[] w = softmax(logits);
    double[][] gw = new double[items.length][];
    double[] u = utilitiesAndWeightGradients(w, prompts, items, gw);
    double[][] g = new double[items.length][];
    for (int i = 0; i < items.length; i++) g[i] = softmaxBackward(w, gw[i]);
    return new Utilities(u, g);
  }

  /**
   * Rewards of {@code items} (under prompt rows, or null) for {@code samples} draws of the logits from
   * the fit's Gaussian, θ = θ̂ + L z with L Lᵀ = Σ and z from a generator seeded with {@code seed}
   * (the same draws for every item: differences between items are not blurred by sampling noise).
   * Returns {@code [sample][item]}.
   */
  public double[][] sampledUtilities(Fit fit, float[][] prompts, float[][] items, int samples, long seed) {
    double[][] l = cholesky(fit.covariance());
    java.util.Random r = new java.util.Random(seed);
    int n = items.length;
    double[][] w = new double[samples * n][];
    float[][] x = new float[samples * n][], p = prompts == null ? null : new float[samples * n][];
    for (int s = 0; s < samples; s++) {
      double[] z = new double[k], theta = fit.logits().clone();
      for (int j = 0; j < k; j++) z[j] = r.nextGaussian();
      for (int i = 0; i < k; i++) for (int j = 0; j <= i; j++) theta[i] += l[i][j] * z[j];
      double[] ws = softmax(theta);
      for (int i = 0; i < n; i++) {
        w[s * n + i] = ws;
        x[s * n + i] = items[i];
        if (p != null) p[s * n + i] = prompts[i];
      }
    }
    double[] u = forward(w, p, x);
    double[][] out = new double[samples][n];
    for (int s = 0; s < samples; s++) System.arraycopy(u, s * n, out[s], 0, n);
    return out;
  }

  /** Rewards {@code [particle][item]} of every item (under prompt rows, or null) for each row of {@code weights}. */
  double[][] utilitiesOf(double[][] weights, float[][] prompts, float[][] items) {
    int s = weights.length, n = items.length;
    double[][] w = new double[s * n][];
    float[][] x = new float[s * n][], p = prompts == null ? null : new float[s * n][];
    for (int a = 0; a < s; a++) {
      if (weights[a].length != k) throw PalException.badInput("particles[" + a + "] length", weights[a].length, "give K = " + k + " weights per particle");
      for (int i = 0; i < n; i++) {
        w[a * n + i] = weights[a];
        x[a * n + i] = items[i];
        if (p != null) p[a * n + i] = prompts[i];
      }
    }
    double[] u = forward(w, p, x);
    double[][] out = new double[s][n];
    for (int a = 0; a < s; a++) System.arraycopy(u, a * n, out[a], 0, n);
    return out;
  }

  /** Rewards of row i of items for weights row i (no gradients), on this thread's tape. */
  private double[] forward(double[][] w, float[][] prompts, float[][] items) {
    int n = items.length;
    double[] out = new double[n];
    if (n == 0) return out;
    Tape t = tapes.get();
    t.reset();
    t.noGrad(true);
    try {
      for (int from = 0; from < n; from += 4096) {
        int to = Math.min(n, from + 4096), m = to - from;
        t.reset();
        Mat wm = t.alloc(m, k), xm = t.alloc(m, model.itemDim());
        Mat pm = model.promptDim() > 0 ? t.alloc(m, model.promptDim()) : null;
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < k; j++) wm.set(i, j, w[from + i][j]);
          xm.putRow(i, 0, items[from + i], 0, model.itemDim());
          if (pm != null) pm.putRow(i, 0, prompts[from + i], 0, model.promptDim());
        }
        Var u = model.variant().utilities(t, t.constant(wm), pm == null ? null : t.constant(pm), null, t.constant(xm))[0];
        for (int i = 0; i < m; i++) out[from + i] = u.value().get(i);
      }
    } finally {
      t.noGrad(false);
      t.reset();
    }
    return out;
  }

  /** The model's link: Pr(a ≻ b) = h(u(a) − u(b)). */
  public LinkFunction link() {
    return model.link();
  }

  /** h'(m), by central difference of the link (exact enough: the link is smooth and cheap). */
  double linkSlope(double m) {
    double e = 1e-5;
    return (model.link().probability(m + e) - model.link().probability(m - e)) / (2 * e);
  }

  /** Fisher information of one Bernoulli answer with success probability h(m), per unit margin². */
  double fisher(double m) {
    double p = clampP(model.link().probability(m)), d = linkSlope(m);
    return d * d / (p * (1 - p));
  }

  // ---- internals

  private record Eval(double objective, double[] gradient, double[][] hessian) {}

  private Eval evaluate(double[] theta, Answers a) {
    int n = a.size();
    float[][] items = new float[2 * n][];
    float[][] prompts = a.prompts() == null ? null : new float[2 * n][];
    for (int i = 0; i < n; i++) {
      items[i] = a.chosen()[i];
      items[n + i] = a.rejected()[i];
      if (prompts != null) {
        prompts[i] = a.prompts()[i];
        prompts[n + i] = a.prompts()[i];
      }
    }
    Utilities u = utilities(theta, prompts, items);
    double s2 = options.priorStd() * options.priorStd();
    double obj = 0;
    double[] grad = new double[k];
    double[][] h = new double[k][k];
    for (int j = 0; j < k; j++) {
      double dj = theta[j] - priorMean[j];
      obj += dj * dj / (2 * s2);
      grad[j] = dj / s2;
      h[j][j] = 1 / s2;
    }
    double[] jac = new double[k];
    for (int i = 0; i < n; i++) {
      double m = u.values()[i] - u.values()[n + i];
      for (int j = 0; j < k; j++) jac[j] = u.grad()[i][j] - u.grad()[n + i][j];
      double p = clampP(model.link().probability(m)), d = linkSlope(m);
      obj -= Math.log(p);
      double coef = -d / p, f = d * d / (p * (1 - p));
      for (int j = 0; j < k; j++) {
        grad[j] += coef * jac[j];
        for (int l = 0; l < k; l++) h[j][l] += f * jac[j] * jac[l];
      }
    }
    return new Eval(obj, grad, h);
  }

  private double[] utilitiesAndWeightGradients(double[] w, float[][] prompts, float[][] items, double[][] gradOut) {
    int n = items.length;
    double[] out = new double[n];
    if (n == 0) return out;
    if (model.promptDim() > 0 && (prompts == null || prompts.length != n)) {
      throw PalException.badInput("prompts", prompts == null ? "none" : prompts.length, "this model conditions on prompts: give one prompt per item");
    }
    ParamStore store = new ParamStore(model.params().dtype());
    Param wp = store.create("w", "w", n, k, Init.constant(0));
    store.seal(0);
    Mat wv = wp.value();
    for (int i = 0; i < n; i++) for (int j = 0; j < k; j++) wv.set(i, j, w[j]);
    store.zeroGrad();
    Tape t = tapes.get();
    t.reset();
    Mat xm = t.alloc(n, model.itemDim());
    Mat pm = model.promptDim() > 0 ? t.alloc(n, model.promptDim()) : null;
    for (int i = 0; i < n; i++) {
      if (items[i].length != model.itemDim()) throw PalException.badInput("items[" + i + "] length", items[i].length, "the model reads vectors of dimension " + model.itemDim());
      xm.putRow(i, 0, items[i], 0, model.itemDim());
      if (pm != null) {
        if (prompts[i].length != model.promptDim()) throw PalException.badInput("prompts[" + i + "] length", prompts[i].length, "the model reads prompts of dimension " + model.promptDim());
        pm.putRow(i, 0, prompts[i], 0, model.promptDim());
      }
    }
    Var u = model.variant().utilities(t, t.param(wp), pm == null ? null : t.constant(pm), null, t.constant(xm))[0];
    for (int i = 0; i < n; i++) out[i] = u.value().get(i);
    // d(mean u)/dw_i = (1/n) du_i/dw_i: each row of w feeds only its own utility
    t.backward(t.mean(u));
    Mat g = wp.grad();
    for (int i = 0; i < n; i++) {
      gradOut[i] = new double[k];
      for (int j = 0; j < k; j++) gradOut[i][j] = g.get(i, j) * n;
      if (!Double.isFinite(out[i])) throw PalException.internal("utility of row " + i + " is not finite; the model's parameters may be corrupt");
    }
    t.reset();
    return out;
  }

  private Fit summarise(double[] theta, double[][] cov, int n) {
    double[] w = softmax(theta);
    double[][] s = softmaxJacobian(w);
    double[] std = new double[k];
    for (int a = 0; a < k; a++) {
      double v = 0;
      for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) v += s[a][i] * cov[i][j] * s[a][j];
      std[a] = Math.sqrt(Math.max(0, v));
    }
    return new Fit(theta, w, cov, std, n);
  }

  private void checkDims(Answers a) {
    if (model.promptDim() > 0 && a.prompts() == null) throw PalException.badInput("prompts", "missing", "this model conditions on prompts");
    if (model.promptDim() == 0 && a.prompts() != null) throw PalException.badInput("prompts", "given", "this model was trained without prompts");
  }

  static double clampP(double p) {
    return Math.min(1 - 1e-12, Math.max(1e-12, p));
  }

  static double[] softmax(double[] theta) {
    double mx = Double.NEGATIVE_INFINITY;
    for (double v : theta) mx = Math.max(mx, v);
    double[] w = new double[theta.length];
    double s = 0;
    for (int i = 0; i < w.length; i++) s += (w[i] = Math.exp(theta[i] - mx));
    for (int i = 0; i < w.length; i++) w[i] /= s;
    return w;
  }

  /** ∂w/∂θ = diag(w) − w wᵀ (symmetric). */
  static double[][] softmaxJacobian(double[] w) {
    double[][] s = new double[w.length][w.length];
    for (int i = 0; i < w.length; i++) for (int j = 0; j < w.length; j++) s[i][j] = (i == j ? w[i] : 0) - w[i] * w[j];
    return s;
  }

  private static double[] softmaxBackward(double[] w, double[] gw) {
    double dot = 0;
    for (int j = 0; j < w.length; j++) dot += w[j] * gw[j];
    double[] g = new double[w.length];
    for (int j = 0; j < w.length; j++) g[j] = w[j] * (gw[j] - dot);
    return g;
  }

  /** Logits of weights on the simplex, centred; zeros are floored so every weight keeps a finite logit. */
  static double[] centredLog(double[] w) {
    double[] t = new double[w.length];
    for (int i = 0; i < w.length; i++) t[i] = Math.log(Math.max(w[i], 1e-6));
    return centre(t);
  }

  private static double[] centre(double[] t) {
    double m = Arrays.stream(t).average().orElse(0);
    double[] c = new double[t.length];
    for (int i = 0; i < t.length; i++) c[i] = t[i] - m;
    return c;
  }

  private static double[] negate(double[] v) {
    double[] o = new double[v.length];
    for (int i = 0; i < v.length; i++) o[i] = -v[i];
    return o;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  /** Solves A x = b for symmetric positive definite A (Cholesky). */
  static double[] solve(double[][] a, double[] b) {
    double[][] l = cholesky(a);
    int n = b.length;
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double s = b[i];
      for (int j = 0; j < i; j++) s -= l[i][j] * y[j];
      y[i] = s / l[i][i];
    }
    double[] x = new double[n];
    for (int i = n - 1; i >= 0; i--) {
      double s = y[i];
      for (int j = i + 1; j < n; j++) s -= l[j][i] * x[j];
      x[i] = s / l[i][i];
    }
    return x;
  }

  static double[][] invert(double[][] a) {
    int n = a.length;
    double[][] inv = new double[n][];
    double[][] cols = new double[n][n];
    for (int j = 0; j < n; j++) {
      double[] e = new double[n];
      e[j] = 1;
      cols[j] = solve(a, e);
    }
    for (int i = 0; i < n; i++) {
      inv[i] = new double[n];
      for (int j = 0; j < n; j++) inv[i][j] = 0.5 * (cols[j][i] + cols[i][j]);
    }
    return inv;
  }

  private static double[][] cholesky(double[][] a) {
    int n = a.length;
    double[][] l = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = a[i][j];
        for (int m = 0; m < j; m++) s -= l[i][m] * l[j][m];
        if (i == j) {
          if (!(s > 0)) throw PalException.internal("posterior Hessian is not positive definite (pivot " + s + ")");
          l[i][i] = Math.sqrt(s);
        } else {
          l[i][j] = s / l[j][j];
        }
      }
    }
    return l;
  }

  /** Convenience for callers holding {@link Comparison}s: encodes them through the model's encoders. */
  public static Answers answers(RewardModel model, List<Comparison> comparisons) {
    int n = comparisons.size();
    List<Input> items = new java.util.ArrayList<>(2 * n), prompts = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Comparison c = comparisons.get(i);
      if (model.hasPrompts() && c.prompt() == null) throw PalException.badInput("comparisons[" + i + "].prompt", "missing", "this model conditions on prompts");
      if (!model.hasPrompts() && c.prompt() != null) throw PalException.badInput("comparisons[" + i + "].prompt", "given", "this model was trained without prompts; leave it out");
      items.add(c.chosen());
      items.add(c.rejected());
      if (model.hasPrompts()) prompts.add(c.prompt());
    }
    float[][] x = model.embed(items, false), p = model.hasPrompts() ? model.embed(prompts, true) : null;
    float[][] ch = new float[n][], rj = new float[n][];
    for (int i = 0; i < n; i++) {
      ch[i] = x[2 * i];
      rj[i] = x[2 * i + 1];
    }
    return new Answers(p, ch, rj);
  }
}
