package org.pal.api;

import org.pal.core.PalException;

/**
 * Which question to ask a user next: the pair whose answer is expected to shrink the Laplace
 * posterior over their logits ({@link UserPosterior}) the most.
 *
 * <p>For a pair (a, b) the margin m = u(a) − u(b) is, to first order, Gaussian with mean m̂ (at the
 * MAP weights) and variance v = Jᵀ Σ J, J = ∂m/∂θ. Answering adds F·J Jᵀ to the posterior precision
 * (F the Fisher information of one answer of the link at the margin), so the log-determinant of the
 * covariance falls by log(1 + F v): twice the expected information gain of a D-optimal design. F is
 * taken at the moderated margin m̂ / √(1 + π v / 8) (MacKay's probit approximation), so a pair whose
 * outcome looks certain at the point estimate but is uncertain under the posterior still counts.
 * Pairs with similar rewards whose difference lies along the directions the user has not been asked
 * about score highest; pairs the model already knows the answer to, or that every user answers alike
 * (J ≈ 0: the difference does not depend on the weights), score near zero.
 */
public final class ActiveQuery {
  private ActiveQuery() {}

  /**
   * The chosen pair: indices into the candidates (or the pool), the expected information in nats
   * (½ log(1 + F v)), the predicted probability that {@code first} is preferred, and the margin's
   * posterior standard deviation √v.
   */
  public record Choice(int first, int second, double information, double probability, double marginStd) {}

  /** The best pair among all pairs of {@code candidates} answering {@code prompt} (null for models without prompts). */
  public static Choice bestPair(UserPosterior posterior, UserPosterior.Fit fit, float[] prompt, float[][] candidates) {
    int c = candidates.length;
    if (c < 2) throw PalException.badInput("candidates", c, "give at least two candidates to choose a pair from");
    float[][] prompts = null;
    if (prompt != null) {
      prompts = new float[c][];
      java.util.Arrays.fill(prompts, prompt);
    }
    UserPosterior.Utilities u = posterior.utilities(fit.logits(), prompts, candidates);
    Choice best = null;
    for (int a = 0; a < c; a++) {
      for (int b = a + 1; b < c; b++) {
        Choice ch = score(posterior, fit, a, b, u.values()[a] - u.values()[b], u.grad()[a], u.grad()[b]);
        if (best == null || ch.information() > best.information()) best = ch;
      }
    }
    return best;
  }

  /**
   * The best of a pool of given pairs (row i: {@code left[i]} against {@code right[i]} under
   * {@code prompts[i]}, prompts null for models without them); {@code Choice.first} is the pool index
   * and {@code second} is -1.
   */
  public static Choice bestOfPool(UserPosterior posterior, UserPosterior.Fit fit, float[][] prompts, float[][] left, float[][] right) {
    int n = left.length;
    if (n == 0) throw PalException.badInput("pool", 0, "give at least one pair to choose from");
    float[][] items = new float[2 * n][], ps = prompts == null ? null : new float[2 * n][];
    for (int i = 0; i < n; i++) {
      items[i] = left[i];
      items[n + i] = right[i];
      if (ps != null) ps[i] = ps[n + i] = prompts[i];
    }
    UserPosterior.Utilities u = posterior.utilities(fit.logits(), ps, items);
    Choice best = null;
    for (int i = 0; i < n; i++) {
      Choice ch = score(posterior, fit, i, -1, u.values()[i] - u.values()[n + i], u.grad()[i], u.grad()[n + i]);
      if (best == null || ch.information() > best.information()) best = ch;
    }
    return best;
  }

  /** Expected information of asking about a pair with margin mean {@code m} and margin gradients ga − gb. */
  static Choice score(UserPosterior posterior, UserPosterior.Fit fit, int a, int b, double m, double[] ga, double[] gb) {
    int k = ga.length;
    double[] j = new double[k];
    for (int i = 0; i < k; i++) j[i] = ga[i] - gb[i];
    double v = 0;
    double[][] s = fit.covariance();
    for (int i = 0; i < k; i++) for (int l = 0; l < k; l++) v += j[i] * s[i][l] * j[l];
    v = Math.max(0, v);
    double moderated = m / Math.sqrt(1 + Math.PI * v / 8);
    double info = 0.5 * Math.log1p(posterior.fisher(moderated) * v);
    return new Choice(a, b, info, posterior.link().probability(moderated), Math.sqrt(v));
  }
}
