package org.pal.api;

import org.pal.core.PalException;

/**
 * Which question to ask a user next: the pair whose answer is expected to tell the most about their
 * weights, under the Laplace posterior over their logits ({@link UserPosterior}).
 *
 * <p>Default criterion ({@link Criterion#D_OPTIMAL}): ½ log(1 + F(m̃) JᵀΣJ), the drop of the
 * posterior's log-determinant if the pair were answered (twice the expected information gain of the
 * linearised model). J = ∂m/∂θ is the margin's gradient at the MAP point, Σ the Laplace covariance,
 * F the Fisher information of one answer of the link at the moderated margin
 * m̃ = m̂ / √(1 + π JᵀΣJ / 8) (MacKay's probit approximation), so a pair whose outcome looks certain at
 * the point estimate but is uncertain under the posterior still counts. Pairs of identical
 * candidates, or pairs every user ranks alike (J = 0), score zero.
 *
 * <p>{@link Criterion#BALD}: the mutual information between the answer and the logits,
 * H(E[p]) − E[H(p)], over {@link #SAMPLES} draws of θ from the Laplace posterior (the same draws for
 * every pair, seeded by the number of answers so far). It evaluates the model exactly at each draw
 * but costs {@link #SAMPLES} forward passes per candidate; on the Persona study it chose worse
 * questions than the linearised criterion (BENCHMARKS.md), so it is the alternative, not the default.
 */
public final class ActiveQuery {
  private ActiveQuery() {}

  /** Posterior draws per choice for {@link Criterion#BALD}. */
  public static final int SAMPLES = 128;

  /**
   * {@code PARTICLES} is {@link ParticleQuery} (seen users as particles, falling back to D_OPTIMAL);
   * it needs the pool's state across answers, so only {@link ActiveStudy} runs it.
   */
  public enum Criterion { BALD, D_OPTIMAL, PARTICLES }

  /**
   * The chosen pair: indices into the candidates (or the pool), the expected information in nats,
   * the predicted probability that {@code first} is preferred, and the margin's posterior standard
   * deviation.
   */
  public record Choice(int first, int second, double information, double probability, double marginStd) {}

  /** The best pair among all pairs of {@code candidates} answering {@code prompt} (null for models without prompts). */
  public static Choice bestPair(UserPosterior posterior, UserPosterior.Fit fit, float[] prompt, float[][] candidates) {
    return bestPair(posterior, fit, prompt, candidates, Criterion.D_OPTIMAL);
  }

  public static Choice bestPair(UserPosterior posterior, UserPosterior.Fit fit, float[] prompt, float[][] candidates, Criterion criterion) {
    Choice[][] all = pairs(posterior, fit, prompt, candidates, criterion);
    Choice best = null;
    for (Choice[] row : all) {
      for (Choice ch : row) {
        if (ch != null && (best == null || ch.information() > best.information())) best = ch;
      }
    }
    return best;
  }

  /** Every pair's choice, {@code [a][b]} for a < b (null elsewhere). */
  static Choice[][] pairs(UserPosterior posterior, UserPosterior.Fit fit, float[] prompt, float[][] candidates, Criterion criterion) {
    int c = candidates.length;
    if (c < 2) throw PalException.badInput("candidates", c, "give at least two candidates to choose a pair from");
    float[][] prompts = null;
    if (prompt != null) {
      prompts = new float[c][];
      java.util.Arrays.fill(prompts, prompt);
    }
    requireStateless(criterion);
    Choice[][] out = new Choice[c][c];
    if (criterion == Criterion.BALD) {
      double[][] u = posterior.sampledUtilities(fit, prompts, candidates, SAMPLES, fit.comparisons());
      for (int a = 0; a < c; a++) for (int b = a + 1; b < c; b++) out[a][b] = bald(posterior, u, a, b, a, b);
    } else {
      UserPosterior.Utilities u = posterior.utilities(fit.logits(), prompts, candidates);
      for (int a = 0; a < c; a++) {
        for (int b = a + 1; b < c; b++) out[a][b] = score(posterior, fit, a, b, u.values()[a] - u.values()[b], u.grad()[a], u.grad()[b]);
      }
    }
    return out;
  }

  /**
   * The best of a pool of given pairs (row i: {@code left[i]} against {@code right[i]} under
   * {@code prompts[i]}, prompts null for models without them); {@code Choice.first} is the pool index
   * and {@code second} is -1.
   */
  public static Choice bestOfPool(UserPosterior posterior, UserPosterior.Fit fit, float[][] prompts, float[][] left, float[][] right) {
    return bestOfPool(posterior, fit, prompts, left, right, Criterion.D_OPTIMAL);
  }

  public static Choice bestOfPool(UserPosterior posterior, UserPosterior.Fit fit, float[][] prompts, float[][] left, float[][] right, Criterion criterion) {
    int n = left.length;
    if (n == 0) throw PalException.badInput("pool", 0, "give at least one pair to choose from");
    requireStateless(criterion);
    float[][] items = new float[2 * n][], ps = prompts == null ? null : new float[2 * n][];
    for (int i = 0; i < n; i++) {
      items[i] = left[i];
      items[n + i] = right[i];
      if (ps != null) ps[i] = ps[n + i] = prompts[i];
    }
    Choice best = null;
    if (criterion == Criterion.BALD) {
      double[][] u = posterior.sampledUtilities(fit, ps, items, SAMPLES, fit.comparisons());
      for (int i = 0; i < n; i++) {
        Choice ch = bald(posterior, u, i, n + i, i, -1);
        if (best == null || ch.information() > best.information()) best = ch;
      }
      return best;
    }
    UserPosterior.Utilities u = posterior.utilities(fit.logits(), ps, items);
    for (int i = 0; i < n; i++) {
      Choice ch = score(posterior, fit, i, -1, u.values()[i] - u.values()[n + i], u.grad()[i], u.grad()[n + i]);
      if (best == null || ch.information() > best.information()) best = ch;
    }
    return best;
  }

  private static void requireStateless(Criterion criterion) {
    if (criterion == Criterion.PARTICLES) {
      throw PalException.badInput("criterion", criterion, "PARTICLES keeps state across answers: use ParticleQuery (as ActiveStudy does), or BALD or D_OPTIMAL here");
    }
  }

  /** Mutual information of the answer about (a vs b) and θ, from sampled utilities {@code u[s][item]}. */
  static Choice bald(UserPosterior posterior, double[][] u, int a, int b, int first, int second) {
    int s = u.length;
    double pSum = 0, hSum = 0, mSum = 0, mSq = 0;
    for (double[] row : u) {
      double m = row[a] - row[b];
      double p = UserPosterior.clampP(posterior.link().probability(m));
      pSum += p;
      hSum += entropy(p);
      mSum += m;
      mSq += m * m;
    }
    double pBar = pSum / s, mean = mSum / s;
    double info = Math.max(0, entropy(pBar) - hSum / s);
    return new Choice(first, second, info, pBar, Math.sqrt(Math.max(0, mSq / s - mean * mean)));
  }

  static double entropy(double p) {
    if (p <= 0 || p >= 1) return 0;
    return -p * Math.log(p) - (1 - p) * Math.log1p(-p);
  }

  /** D-optimal information of asking about a pair with margin mean {@code m} and margin gradients ga − gb. */
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
