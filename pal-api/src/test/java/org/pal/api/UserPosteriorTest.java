package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;

/** The Laplace posterior over a new user's logits, next-query selection, and the active study, on the synthetic study. */
class UserPosteriorTest {
  static PalApi pal;
  static Dataset data;
  static RewardModel model;
  static UserPosterior post;

  @BeforeAll
  static void train() {
    pal = PalApi.create();
    data = pal.dataset(Json.parse("{\"type\": \"synthetic\", \"dim\": 8, \"trueK\": 3, \"users\": 40, \"pairs\": 60,"
        + " \"testPairs\": 20, \"unseenUsers\": 6, \"unseenPairs\": 40}"), 0);
    PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 3, \"dim\": 8, \"projector\": {\"type\": \"linear\", \"bias\": false}},"
        + " \"loss\": {\"type\": \"hinge\"}, \"trainer\": {\"epochs\": 150, \"batchSize\": 128, \"patience\": 40}}");
    model = pal.train(cfg, data).model();
    post = new UserPosterior(model);
  }

  /** An unseen user's pairs as answers (preferred side first) and the rest as a test. */
  static UserPosterior.Answers answers(List<Integer> pairs) {
    PreferenceDataset d = data.split().data();
    int n = pairs.size();
    float[][] ch = new float[n][], rj = new float[n][];
    for (int i = 0; i < n; i++) {
      int p = pairs.get(i);
      float[] l = row(d, d.pairs().left[p]), r = row(d, d.pairs().right[p]);
      ch[i] = d.pairs().label[p] > 0 ? l : r;
      rj[i] = d.pairs().label[p] > 0 ? r : l;
    }
    return new UserPosterior.Answers(null, ch, rj);
  }

  static float[] row(PreferenceDataset d, int r) {
    return Arrays.copyOfRange(d.items().data(), r * d.items().dim(), (r + 1) * d.items().dim());
  }

  static List<Integer> unseenPairs(int user) {
    SplitDataset s = data.split();
    return new ArrayList<>(s.byUser(s.unseen()).values()).get(user);
  }

  static double accuracy(UserPosterior.Fit fit, UserPosterior.Answers test) {
    int correct = 0;
    double[] w = fit.weights();
    for (int i = 0; i < test.size(); i++) {
      double[] r = model.rewards(new double[][] {w, w}, null, new float[][] {test.chosen()[i], test.rejected()[i]});
      if (r[0] > r[1]) correct++;
    }
    return correct / (double) test.size();
  }

  @Test
  void noAnswersIsTheZeroShotPointWithThePriorsSpread() {
    UserPosterior.Fit f = post.fit(UserPosterior.Answers.NONE);
    assertThat(f.weights()).containsExactly(model.zeroShotWeights(), within(1e-5));
    assertThat(f.covariance()[0][0]).isCloseTo(1.5 * 1.5, within(1e-12));
    assertThat(f.comparisons()).isZero();
  }

  /** More answers: the fit predicts the user's held-out choices and the posterior narrows. */
  @Test
  void answersNarrowThePosteriorAndPredictTheUser() {
    List<Integer> ps = unseenPairs(0);
    UserPosterior.Answers test = answers(ps.subList(40, ps.size()));
    UserPosterior.Fit prior = post.prior(), few = post.fit(answers(ps.subList(0, 3))), many = post.fit(answers(ps.subList(0, 40)));
    assertThat(few.uncertainty()).isLessThan(prior.uncertainty());
    assertThat(many.uncertainty()).isLessThan(few.uncertainty());
    assertThat(many.comparisons()).isEqualTo(40);
    assertThat(accuracy(many, test)).as("held-out accuracy after 40 answers").isGreaterThan(0.8);
    double s = 0;
    for (double w : many.weights()) s += w;
    assertThat(s).isCloseTo(1.0, within(1e-12));
    // the same optimum from another start: the fit is a point, not a path
    UserPosterior.Fit again = post.fit(answers(ps.subList(0, 40)), new double[] {2, -1, -1});
    assertThat(again.weights()).containsExactly(many.weights(), within(1e-3));
  }

  /** The MAP point: moving the logits in any direction does not make the answers more probable under the prior. */
  @Test
  void theFitIsAMaximumOfThePosterior() {
    List<Integer> ps = unseenPairs(1);
    UserPosterior.Answers a = answers(ps.subList(0, 15));
    UserPosterior.Fit f = post.fit(a);
    double best = logPosterior(f.logits(), a);
    for (int j = 0; j < 3; j++) {
      for (double d : new double[] {-0.05, 0.05}) {
        double[] t = f.logits().clone();
        t[j] += d;
        assertThat(logPosterior(t, a)).as("logit %d moved by %s", j, d).isLessThanOrEqualTo(best + 1e-6);
      }
    }
  }

  private static double logPosterior(double[] theta, UserPosterior.Answers a) {
    double[] w = UserPosterior.softmax(theta);
    double[] prior = UserPosterior.centredLog(model.zeroShotWeights());
    double lp = 0;
    for (int j = 0; j < 3; j++) lp -= (theta[j] - prior[j]) * (theta[j] - prior[j]) / (2 * 1.5 * 1.5);
    for (int i = 0; i < a.size(); i++) {
      double[] r = model.rewards(new double[][] {w, w}, null, new float[][] {a.chosen()[i], a.rejected()[i]});
      lp += Math.log(UserPosterior.clampP(model.engine().link().probability(r[0] - r[1])));
    }
    return lp;
  }

  /** Reverse-mode gradients of the rewards in the logits against central differences. */
  @Test
  void utilityGradientsMatchFiniteDifferences() {
    PreferenceDataset d = data.split().data();
    float[][] items = {row(d, 0), row(d, 5), row(d, 9)};
    double[] theta = {0.3, -0.2, -0.1};
    UserPosterior.Utilities u = post.utilities(theta, null, items);
    double eps = 1e-2;
    for (int j = 0; j < 3; j++) {
      double[] up = theta.clone(), dn = theta.clone();
      up[j] += eps;
      dn[j] -= eps;
      double[] a = post.utilities(up, null, items).values(), b = post.utilities(dn, null, items).values();
      for (int i = 0; i < items.length; i++) {
        double fd = (a[i] - b[i]) / (2 * eps);
        assertThat(u.grad()[i][j]).as("du_%d/dtheta_%d", i, j).isCloseTo(fd, within(2e-3 + 2e-2 * Math.abs(fd)));
      }
    }
  }

  /** The chosen pair is the best of all pairs, and a pair of identical candidates (nothing to learn) is never chosen: both criteria. */
  @Test
  void nextQueryPicksTheMostInformativePair() {
    PreferenceDataset d = data.split().data();
    float[][] c = {row(d, 1), row(d, 1), row(d, 2), row(d, 3), row(d, 4), row(d, 7)};
    UserPosterior.Fit f = post.prior();
    for (ActiveQuery.Criterion crit : new ActiveQuery.Criterion[] {ActiveQuery.Criterion.BALD, ActiveQuery.Criterion.D_OPTIMAL}) {
      ActiveQuery.Choice best = ActiveQuery.bestPair(post, f, null, c, crit);
      assertThat(best.first()).isLessThan(best.second());
      assertThat(best.first() == 0 && best.second() == 1).as(crit + ": identical candidates").isFalse();
      assertThat(best.information()).isPositive();
      ActiveQuery.Choice[][] all = ActiveQuery.pairs(post, f, null, c, crit);
      assertThat(all[0][1].information()).as(crit + ": identical candidates tell nothing").isCloseTo(0.0, within(1e-12));
      for (int a = 0; a < c.length; a++) {
        for (int b = a + 1; b < c.length; b++) assertThat(best.information()).isGreaterThanOrEqualTo(all[a][b].information());
      }
      // after answering that very question, the same pair is worth less
      UserPosterior.Answers ans = new UserPosterior.Answers(null, new float[][] {c[best.first()]}, new float[][] {c[best.second()]});
      UserPosterior.Fit after = post.fit(ans);
      double again = ActiveQuery.pairs(post, after, null, c, crit)[best.first()][best.second()].information();
      assertThat(again).as(crit + ": the same question again").isLessThan(best.information());
    }
  }

  /** Posterior draws: their mean utility approaches the MAP point's as the posterior narrows. */
  @Test
  void sampledUtilitiesSpreadWithThePosterior() {
    PreferenceDataset d = data.split().data();
    float[][] items = {row(d, 0), row(d, 5)};
    List<Integer> ps = unseenPairs(2);
    UserPosterior.Fit prior = post.prior(), many = post.fit(answers(ps.subList(0, 40)));
    double spreadPrior = spread(post.sampledUtilities(prior, null, items, 256, 1)), spreadMany = spread(post.sampledUtilities(many, null, items, 256, 1));
    assertThat(spreadMany).isLessThan(spreadPrior);
    assertThat(post.sampledUtilities(many, null, items, 16, 3)).isDeepEqualTo(post.sampledUtilities(many, null, items, 16, 3));
  }

  private static double spread(double[][] u) {
    double s = 0, s2 = 0;
    for (double[] r : u) {
      double m = r[0] - r[1];
      s += m;
      s2 += m * m;
    }
    return s2 / u.length - (s / u.length) * (s / u.length);
  }

  @Test
  void activeStudyCurvesStartAtTheZeroShotPoint() {
    ActiveStudy.Result r = ActiveStudy.run(model.engine(), data.split(), new ActiveStudy.Options(30, 8, null), 0);
    assertThat(r.users()).hasSize(6);
    assertThat(r.active()[0]).hasSize(9);
    for (int u = 0; u < r.users().size(); u++) assertThat(r.active()[u][0]).isEqualTo(r.random()[u][0]);
    double[] a = r.meanActive();
    assertThat(a[8]).as("active accuracy after 8 questions").isGreaterThan(0.6);
  }
}
