package org.pal.api;

import org.pal.core.PalException;
import org.pal.core.model.PalModel;

/**
 * Next-question choice under an empirical-Bayes prior: the seen users' own weights (the model's user
 * table) as particles, each reweighted by the likelihood of the new user's answers so far. The chosen
 * pair has the largest mutual information between its answer and which particle the user is,
 * H(Σ wᵢ pᵢ) − Σ wᵢ H(pᵢ), with pᵢ = h(uᵢ(left) − uᵢ(right)) under the model's link.
 *
 * <p>Why: the Laplace prior ({@link UserPosterior}) is a Gaussian around the population's mean
 * logits, where (on a population of near-pure types such as Persona's) no user is, so the linearised
 * criterion's first questions are judged at the wrong place. The particles put the prior mass where
 * the seen users are. When they stop helping, {@link #best} returns null and the caller falls back
 * to the Laplace criterion: when the effective sample size (Σw)²/Σw² drops below {@link #MIN_ESS}
 * (the user is unlike every seen user, or is pinned to a few of them) or no question is worth
 * {@link #MIN_INFORMATION} nats among the particles (the seen users close to this one all answer
 * alike; only the local Laplace posterior can still tell them apart).
 *
 * <p>Only the model's user table and the pool's vectors are read: the user's held-out pairs never
 * enter. The particles' rewards of the pool are computed once, so each choice costs O(particles x pool).
 */
public final class ParticleQuery {
  /** Below this effective sample size the particles are taken as collapsed. */
  public static final double MIN_ESS = 5;
  /** Below this best mutual information (nats) the particles have nothing left to tell. */
  public static final double MIN_INFORMATION = 0.01;
  /** At most this many seen users are particles (an even stride through the table), to bound the cost. */
  public static final int MAX_PARTICLES = 512;

  private final UserPosterior posterior;
  private final double[][] u;
  private final double[] logW;
  private final int n;

  /**
   * @param particles weights of the particles (rows on the simplex), e.g. {@link #seenUsers}
   * @param prompts pool prompt rows (null for models without prompts)
   * @param left pool row i: {@code left[i]} against {@code right[i]}
   */
  public ParticleQuery(UserPosterior posterior, double[][] particles, float[][] prompts, float[][] left, float[][] right) {
    if (particles.length == 0) throw PalException.badInput("particles", 0, "give at least one seen user's weights");
    if (left.length == 0) throw PalException.badInput("pool", 0, "give at least one pair to choose from");
    this.posterior = posterior;
    this.n = left.length;
    float[][] items = new float[2 * n][], ps = prompts == null ? null : new float[2 * n][];
    for (int i = 0; i < n; i++) {
      items[i] = left[i];
      items[n + i] = right[i];
      if (ps != null) ps[i] = ps[n + i] = prompts[i];
    }
    this.u = posterior.utilitiesOf(particles, ps, items);
    this.logW = new double[particles.length];
  }

  /** The seen users' weights from the model's user table, at most {@link #MAX_PARTICLES} of them. */
  public static double[][] seenUsers(PalModel model) {
    double[][] w = model.weightsOf(model.users());
    if (w.length <= MAX_PARTICLES) return w;
    double[][] out = new double[MAX_PARTICLES][];
    for (int i = 0; i < MAX_PARTICLES; i++) out[i] = w[(int) ((long) i * w.length / MAX_PARTICLES)];
    return out;
  }

  /** Reweights the particles by the answer to pool pair {@code i}. */
  public void observe(int i, boolean leftWins) {
    if (i < 0 || i >= n) throw PalException.badInput("pool index", i, "must be in [0, " + n + ")");
    for (int p = 0; p < logW.length; p++) {
      double m = u[p][i] - u[p][n + i];
      logW[p] += Math.log(UserPosterior.clampP(posterior.link().probability(leftWins ? m : -m)));
    }
  }

  /** The particles' normalised weights. */
  public double[] weights() {
    return UserPosterior.softmax(logW); // the same max-shifted softmax the posterior uses
  }

  public static double effectiveSampleSize(double[] normalised) {
    double s = 0;
    for (double v : normalised) s += v * v;
    return 1 / s;
  }

  /**
   * The best of the pool pairs {@code candidates} (pool indices); {@code Choice.first} is the position
   * in {@code candidates}, {@code second} is -1. Null when the particles have collapsed or tell nothing.
   */
  public ActiveQuery.Choice best(int[] candidates) {
    double[] w = weights();
    if (effectiveSampleSize(w) < MIN_ESS) return null;
    double[] p = new double[w.length];
    ActiveQuery.Choice best = null;
    for (int c = 0; c < candidates.length; c++) {
      int i = candidates[c];
      for (int q = 0; q < p.length; q++) p[q] = posterior.link().probability(u[q][i] - u[q][n + i]);
      ActiveQuery.Choice ch = information(w, p, c, -1);
      if (best == null || ch.information() > best.information()) best = ch;
    }
    return best == null || best.information() < MIN_INFORMATION ? null : best;
  }

  /**
   * Mutual information between one answer and the particle, H(Σ wᵢ pᵢ) − Σ wᵢ H(pᵢ), for normalised
   * weights {@code w} and each particle's probability {@code p} that the first side wins.
   */
  static ActiveQuery.Choice information(double[] w, double[] p, int first, int second) {
    double pBar = 0, h = 0;
    for (int q = 0; q < w.length; q++) {
      double pq = UserPosterior.clampP(p[q]);
      pBar += w[q] * pq;
      h += w[q] * ActiveQuery.entropy(pq);
    }
    double info = Math.max(0, ActiveQuery.entropy(pBar) - h);
    return new ActiveQuery.Choice(first, second, info, pBar, Double.NaN);
  }
}
