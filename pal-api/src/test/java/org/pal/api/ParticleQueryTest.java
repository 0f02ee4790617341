package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;

/** The seen-users-as-particles criterion, on the synthetic model trained in {@link UserPosteriorTest}. */
class ParticleQueryTest {
  static {
    if (UserPosteriorTest.model == null) UserPosteriorTest.train();
  }

  /** Two particles: the mutual information by hand, H(Σ wᵢ pᵢ) − Σ wᵢ H(pᵢ). */
  @Test
  void informationMatchesAHandComputation() {
    // ln 2 − H(0.9) = 0.693147 − 0.325083
    ActiveQuery.Choice even = ParticleQuery.information(new double[] {0.5, 0.5}, new double[] {0.9, 0.1}, 3, -1);
    assertThat(even.information()).isCloseTo(0.3680642, within(1e-6));
    assertThat(even.probability()).isCloseTo(0.5, within(1e-12));
    assertThat(even.first()).isEqualTo(3);
    // p̄ = 0.25·0.8 + 0.75·0.3 = 0.425; H(0.425) − 0.25 H(0.8) − 0.75 H(0.3) = 0.681854 − 0.583248
    ActiveQuery.Choice uneven = ParticleQuery.information(new double[] {0.25, 0.75}, new double[] {0.8, 0.3}, 0, -1);
    assertThat(uneven.information()).isCloseTo(0.0986058, within(1e-6));
    assertThat(uneven.probability()).isCloseTo(0.425, within(1e-12));
    // particles that agree tell nothing
    assertThat(ParticleQuery.information(new double[] {0.5, 0.5}, new double[] {0.7, 0.7}, 0, -1).information()).isCloseTo(0.0, within(1e-12));
  }

  /** Answers as particle 0 would give them pull the weight onto particle 0; identical particles tell nothing. */
  @Test
  void answersReweightTheParticlesAndCollapseFallsBack() {
    UserPosterior post = UserPosteriorTest.post;
    PreferenceDataset d = UserPosteriorTest.data.split().data();
    int n = 12;
    float[][] l = new float[n][], r = new float[n][];
    for (int i = 0; i < n; i++) {
      l[i] = UserPosteriorTest.row(d, d.pairs().left[i]);
      r[i] = UserPosteriorTest.row(d, d.pairs().right[i]);
    }
    double[][] two = {{0.9, 0.05, 0.05}, {0.05, 0.05, 0.9}};
    ParticleQuery q = new ParticleQuery(post, two, null, l, r);
    assertThat(q.weights()).containsExactly(new double[] {0.5, 0.5}, within(1e-12));
    double[][] u = post.utilitiesOf(two, null, concat(l, r));
    int[] all = new int[n];
    for (int i = 0; i < n; i++) all[i] = i;
    // independent: the best pair's information from the two particles' own probabilities at equal weight
    double bestByHand = 0;
    for (int i = 0; i < n; i++) {
      double[] p = {post.link().probability(u[0][i] - u[0][n + i]), post.link().probability(u[1][i] - u[1][n + i])};
      double pBar = (p[0] + p[1]) / 2;
      bestByHand = Math.max(bestByHand, h(pBar) - (h(p[0]) + h(p[1])) / 2);
    }
    // two particles have an effective sample size of 2 < MIN_ESS: collapsed, so the caller falls back
    assertThat(ParticleQuery.effectiveSampleSize(q.weights())).isCloseTo(2.0, within(1e-12));
    assertThat(q.best(all)).isNull();
    // many copies of the two: the same mutual information, and a choice
    double[][] many = new double[20][];
    for (int i = 0; i < many.length; i++) many[i] = two[i % 2];
    ParticleQuery qm = new ParticleQuery(post, many, null, l, r);
    ActiveQuery.Choice c = qm.best(all);
    assertThat(c).isNotNull();
    assertThat(c.information()).isCloseTo(bestByHand, within(1e-9));
    // answer as particle 0 would: its copies gain weight
    for (int i = 0; i < 4; i++) qm.observe(i, u[0][i] > u[0][n + i]);
    double[] w = qm.weights();
    double onZero = 0;
    for (int i = 0; i < w.length; i += 2) onZero += w[i];
    assertThat(onZero).isGreaterThan(0.5);
    // identical particles: nothing to learn about which one the user is
    double[][] same = new double[20][];
    java.util.Arrays.fill(same, two[0]);
    assertThat(new ParticleQuery(post, same, null, l, r).best(all)).isNull();
  }

  /** The selector never reads the unseen users' held-out labels: flipping them turns every accuracy a into 1 − a. */
  @Test
  void theStudyNeverReadsHeldOutLabels() {
    SplitDataset s = UserPosteriorTest.data.split();
    PreferenceDataset d = s.data();
    int pool = 20;
    ActiveStudy.Options o = new ActiveStudy.Options(pool, 6, null, ActiveQuery.Criterion.PARTICLES);
    ActiveStudy.Result before = ActiveStudy.run(UserPosteriorTest.model.engine(), s, o, 0);
    List<List<Integer>> users = new java.util.ArrayList<>(s.byUser(s.unseen()).values());
    try {
      flipHeldOut(d, users, pool);
      ActiveStudy.Result after = ActiveStudy.run(UserPosteriorTest.model.engine(), s, o, 0);
      for (int u = 0; u < before.users().size(); u++) {
        for (int t = 0; t < before.active()[u].length; t++) {
          assertThat(after.active()[u][t]).as("user %d after %d questions", u, t).isCloseTo(1 - before.active()[u][t], within(1e-12));
        }
      }
    } finally {
      flipHeldOut(d, users, pool);
    }
    // the seen users are the particles: the model's own table
    double[][] seen = ParticleQuery.seenUsers(UserPosteriorTest.model.engine());
    assertThat(seen).hasNumberOfRows(UserPosteriorTest.model.engine().users().value().rows);
  }

  private static void flipHeldOut(PreferenceDataset d, List<List<Integer>> users, int pool) {
    for (List<Integer> ps : users) for (int i = pool; i < ps.size(); i++) d.pairs().label[ps.get(i)] = (byte) -d.pairs().label[ps.get(i)];
  }

  private static float[][] concat(float[][] a, float[][] b) {
    float[][] o = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, o, a.length, b.length);
    return o;
  }

  private static double h(double p) {
    return -p * Math.log(p) - (1 - p) * Math.log1p(-p);
  }
}
