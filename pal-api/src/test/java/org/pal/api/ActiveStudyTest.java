package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.pal.api.RewardModelTest.assertUserError;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;

/**
 * The active study's curves on a small case, recounted here: at 0 questions both strategies score
 * with the prior (the zero-shot point); when every pool question is asked, both fit the same
 * answers, whatever the order. Each accuracy is recounted by scoring the user's test pairs through
 * the reward model's own scoring path with the fit's weights; the users are the unseen users with
 * more pairs than the pool, in order.
 */
class ActiveStudyTest {
  static final PalApi PAL = PalApi.create();

  @Test
  void curvesAreTheTestAccuracyOfTheFitsAtZeroAndAllQuestions() {
    Dataset data = PAL.dataset(Json.parse("{\"type\": \"synthetic\", \"dim\": 4, \"trueK\": 2, \"users\": 10, \"pairs\": 20,"
        + " \"testPairs\": 6, \"unseenUsers\": 4, \"unseenPairs\": 12}"), 1);
    RewardModel model = PAL.train(PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 2, \"dim\": 4}, \"trainer\": {\"epochs\": 20, \"batchSize\": 64}}"),
        data).model();
    SplitDataset s = data.split();
    PreferenceDataset d = s.data();
    int pool = 5;
    UserPosterior.Options po = new UserPosterior.Options(1.0, 40);
    UserPosterior post = new UserPosterior(model, po);
    ActiveStudy.Result r = ActiveStudy.run(model.engine(), s, new ActiveStudy.Options(pool, pool, po, ActiveQuery.Criterion.D_OPTIMAL), 7);
    assertThat(r.seed()).isEqualTo(7);
    assertThat(r.k()).isEqualTo(2);
    List<String> users = new ArrayList<>();
    List<List<Integer>> pairs = new ArrayList<>();
    for (Map.Entry<Integer, List<Integer>> e : s.byUser(s.unseen()).entrySet()) {
      if (e.getValue().size() > pool) {
        users.add(d.userIds().get(e.getKey()));
        pairs.add(e.getValue());
      }
    }
    assertThat(users).isNotEmpty();
    assertThat(r.users()).isEqualTo(users);
    double[] meanA = new double[pool + 1], meanR = new double[pool + 1];
    for (int u = 0; u < users.size(); u++) {
      List<Integer> ps = pairs.get(u);
      UserPosterior.Answers all = answers(d, ps.subList(0, pool));
      double zero = accuracy(model, d, ps.subList(pool, ps.size()), post.prior().weights());
      double full = accuracy(model, d, ps.subList(pool, ps.size()), post.fit(all).weights());
      assertThat(r.active()[u]).hasSize(pool + 1);
      assertThat(r.active()[u][0]).as("user %d, no question", u).isCloseTo(zero, within(1e-12));
      assertThat(r.random()[u][0]).isCloseTo(zero, within(1e-12));
      assertThat(r.active()[u][pool]).as("user %d, every question", u).isCloseTo(full, within(1e-12));
      assertThat(r.random()[u][pool]).isCloseTo(full, within(1e-12));
      for (int t = 0; t <= pool; t++) {
        meanA[t] += r.active()[u][t] / users.size();
        meanR[t] += r.random()[u][t] / users.size();
      }
    }
    assertThat(r.meanActive()).containsExactly(meanA, within(1e-12));
    assertThat(r.meanRandom()).containsExactly(meanR, within(1e-12));
    // a pool as large as every unseen user's pairs leaves nothing to test on
    int most = s.byUser(s.unseen()).values().stream().mapToInt(List::size).max().orElseThrow();
    assertUserError(() -> ActiveStudy.run(model.engine(), s, new ActiveStudy.Options(most, 2, po), 0),
        "active pool = " + most + ": no unseen user has more than " + most);
  }

  @Test
  void optionsAreCheckedAndDefaulted() {
    ActiveStudy.Options o = new ActiveStudy.Options(3, 3, null);
    assertThat(o.criterion()).isEqualTo(ActiveQuery.Criterion.PARTICLES);
    assertThat(o.posterior()).isEqualTo(UserPosterior.Options.DEFAULT);
    assertThat(new ActiveStudy.Options(3, 1, null, null).criterion()).isEqualTo(ActiveQuery.Criterion.PARTICLES);
    assertUserError(() -> new ActiveStudy.Options(3, 0, null), "active questions = 0: must be at least 1");
    assertUserError(() -> new ActiveStudy.Options(2, 3, null), "active pool = 2: the pool must hold at least the 3 questions asked");
  }

  /** A user's pairs as answers: the side the label prefers first. */
  static UserPosterior.Answers answers(PreferenceDataset d, List<Integer> ps) {
    int n = ps.size();
    float[][] ch = new float[n][], rj = new float[n][];
    for (int i = 0; i < n; i++) {
      int p = ps.get(i);
      boolean leftWins = d.pairs().label[p] > 0;
      ch[i] = RewardModelTest.row(d.items().data(), d.items().dim(), leftWins ? d.pairs().left[p] : d.pairs().right[p]);
      rj[i] = RewardModelTest.row(d.items().data(), d.items().dim(), leftWins ? d.pairs().right[p] : d.pairs().left[p]);
    }
    return new UserPosterior.Answers(null, ch, rj);
  }

  /** Share of test pairs whose label side gets the higher reward under {@code w}, scored by the reward model. */
  static double accuracy(RewardModel m, PreferenceDataset d, List<Integer> test, double[] w) {
    int n = test.size(), correct = 0;
    double[][] ws = new double[2 * n][];
    float[][] x = new float[2 * n][];
    for (int i = 0; i < n; i++) {
      int p = test.get(i);
      ws[i] = w;
      ws[n + i] = w;
      x[i] = RewardModelTest.row(d.items().data(), d.items().dim(), d.pairs().left[p]);
      x[n + i] = RewardModelTest.row(d.items().data(), d.items().dim(), d.pairs().right[p]);
    }
    double[] u = m.rewards(ws, null, x);
    for (int i = 0; i < n; i++) if ((u[i] > u[n + i]) == (d.pairs().label[test.get(i)] > 0)) correct++;
    return correct / (double) n;
  }
}
