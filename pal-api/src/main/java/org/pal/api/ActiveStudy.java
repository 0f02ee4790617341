package org.pal.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.pal.core.PalException;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Table;
import org.pal.core.eval.Evaluator;
import org.pal.core.model.PalModel;

/**
 * Active against random enrolment of unseen users, on a trained model: each unseen user's first
 * {@code pool} pairs are the questions one may ask (their answers are the user's labels), the rest
 * are the test. After t answered questions the user's weights are the {@link UserPosterior} MAP fit
 * on those answers; "random" asks the pool in a seeded random order, "active" asks, one at a time,
 * the pool pair the criterion picks given the answers so far (default {@link ParticleQuery}: the seen
 * users as particles, falling back to {@link ActiveQuery#bestOfPool}'s D-optimal criterion). Both strategies use the
 * same fit, so the curves differ only in which questions were asked.
 */
public final class ActiveStudy {
  private ActiveStudy() {}

  /** @param questions most questions asked (curve points 0..questions) */
  public record Options(int pool, int questions, UserPosterior.Options posterior, ActiveQuery.Criterion criterion) {
    public Options(int pool, int questions, UserPosterior.Options posterior) {
      this(pool, questions, posterior, ActiveQuery.Criterion.PARTICLES);
    }

    public Options {
      // PARTICLES is the default: it beat D_OPTIMAL on Persona seeds 0-5 and synthetic seeds 0-2 (BENCHMARKS.md)
      if (criterion == null) criterion = ActiveQuery.Criterion.PARTICLES;
      if (questions < 1) throw PalException.badInput("active questions", questions, "must be at least 1");
      if (pool < questions) throw PalException.badInput("active pool", pool, "the pool must hold at least the " + questions + " questions asked");
      if (posterior == null) posterior = UserPosterior.Options.DEFAULT;
    }
  }

  /**
   * Per-user test accuracy after t questions, {@code [user][t]} for t = 0..questions, for both
   * strategies; users are the unseen users with more than {@code pool} pairs.
   */
  public record Result(long seed, int k, List<String> users, double[][] active, double[][] random) {
    public double[] meanActive() {
      return columnMeans(active);
    }

    public double[] meanRandom() {
      return columnMeans(random);
    }
  }

  public static Result run(PalModel model, SplitDataset split, Options options, long seed) {
    UserPosterior post = new UserPosterior(model, options.posterior(), Evaluator.meanWeights(model));
    double[][] seen = options.criterion() == ActiveQuery.Criterion.PARTICLES ? ParticleQuery.seenUsers(model) : null;
    PreferenceDataset d = split.data();
    Map<Integer, List<Integer>> byUser = split.byUser(split.unseen());
    List<String> ids = new ArrayList<>();
    List<double[]> act = new ArrayList<>(), rnd = new ArrayList<>();
    int t = options.questions();
    for (var e : byUser.entrySet()) {
      List<Integer> ps = e.getValue();
      if (ps.size() <= options.pool()) continue;
      ids.add(d.userIds().get(e.getKey()));
      int[] pool = ps.subList(0, options.pool()).stream().mapToInt(Integer::intValue).toArray();
      int[] test = ps.subList(options.pool(), ps.size()).stream().mapToInt(Integer::intValue).toArray();
      Vectors testV = vectors(d, test);
      Vectors poolV = vectors(d, pool);
      // random: a seeded order of the pool, per user
      int[] order = new int[pool.length];
      for (int i = 0; i < order.length; i++) order[i] = i;
      Random r = new Random(seed * 1_000_003L + e.getKey());
      for (int i = order.length - 1; i > 0; i--) {
        int j = r.nextInt(i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
      }
      double[] ra = new double[t + 1], aa = new double[t + 1];
      for (int q = 0; q <= t; q++) ra[q] = accuracy(post, post.fit(poolV.answers(Arrays.copyOf(order, q))), testV);
      // active: ask, refit, repeat
      List<Integer> asked = new ArrayList<>();
      boolean[] used = new boolean[pool.length];
      UserPosterior.Fit fit = post.prior();
      aa[0] = accuracy(post, fit, testV);
      // the particles are the model's own (seen) users, reweighted by this user's pool answers only
      ParticleQuery particles = options.criterion() == ActiveQuery.Criterion.PARTICLES
          ? new ParticleQuery(post, seen, poolV.prompt(), poolV.left(), poolV.right()) : null;
      for (int q = 1; q <= t; q++) {
        int[] left = remaining(used);
        ActiveQuery.Choice c = particles == null ? null : particles.best(left);
        if (c == null) {
          ActiveQuery.Criterion laplace = particles == null ? options.criterion() : ActiveQuery.Criterion.D_OPTIMAL;
          c = ActiveQuery.bestOfPool(post, fit, poolV.prompts(left), poolV.left(left), poolV.right(left), laplace);
        }
        int pick = left[c.first()];
        used[pick] = true;
        if (particles != null) particles.observe(pick, poolV.label()[pick] > 0);
        asked.add(pick);
        fit = post.fit(poolV.answers(asked.stream().mapToInt(Integer::intValue).toArray()), fit.logits());
        aa[q] = accuracy(post, fit, testV);
      }
      act.add(aa);
      rnd.add(ra);
    }
    if (ids.isEmpty()) {
      throw PalException.badInput("active pool", options.pool(), "no unseen user has more than " + options.pool()
          + " comparisons, so none is left to test on; give unseen users more comparisons or use a smaller pool");
    }
    return new Result(seed, model.k(), ids, act.toArray(double[][]::new), rnd.toArray(double[][]::new));
  }

  /** Mean over users of each column. */
  static double[] columnMeans(double[][] rows) {
    double[] m = new double[rows[0].length];
    for (double[] r : rows) for (int j = 0; j < m.length; j++) m[j] += r[j] / rows.length;
    return m;
  }

  private static int[] remaining(boolean[] used) {
    int n = 0;
    for (boolean u : used) if (!u) n++;
    int[] out = new int[n];
    for (int i = 0, j = 0; i < used.length; i++) if (!used[i]) out[j++] = i;
    return out;
  }

  private static double accuracy(UserPosterior post, UserPosterior.Fit fit, Vectors test) {
    UserPosterior.Utilities u = post.utilities(fit.logits(), test.promptsBoth(), test.both());
    int n = test.left.length, correct = 0;
    for (int i = 0; i < n; i++) {
      double m = u.values()[i] - u.values()[n + i];
      if ((m > 0) == (test.label[i] > 0)) correct++;
    }
    return correct / (double) n;
  }

  /** A user's pairs as rows: left, right, prompt (or null), label. */
  private record Vectors(float[][] left, float[][] right, float[][] prompt, byte[] label) {
    float[][] left(int[] idx) { return pick(left, idx); }
    float[][] right(int[] idx) { return pick(right, idx); }
    float[][] prompts(int[] idx) { return prompt == null ? null : pick(prompt, idx); }

    float[][] both() {
      float[][] o = Arrays.copyOf(left, 2 * left.length);
      System.arraycopy(right, 0, o, left.length, right.length);
      return o;
    }

    float[][] promptsBoth() {
      if (prompt == null) return null;
      float[][] o = Arrays.copyOf(prompt, 2 * prompt.length);
      System.arraycopy(prompt, 0, o, prompt.length, prompt.length);
      return o;
    }

    /** The answers to the given pairs: the preferred side as chosen. */
    UserPosterior.Answers answers(int[] idx) {
      float[][] ch = new float[idx.length][], rj = new float[idx.length][], p = prompt == null ? null : new float[idx.length][];
      for (int i = 0; i < idx.length; i++) {
        boolean leftWins = label[idx[i]] > 0;
        ch[i] = leftWins ? left[idx[i]] : right[idx[i]];
        rj[i] = leftWins ? right[idx[i]] : left[idx[i]];
        if (p != null) p[i] = prompt[idx[i]];
      }
      return new UserPosterior.Answers(p, ch, rj);
    }

    private static float[][] pick(float[][] a, int[] idx) {
      float[][] o = new float[idx.length][];
      for (int i = 0; i < idx.length; i++) o[i] = a[idx[i]];
      return o;
    }
  }

  private static Vectors vectors(PreferenceDataset d, int[] pairs) {
    int n = pairs.length;
    float[][] l = new float[n][], r = new float[n][], p = d.prompts() == null ? null : new float[n][];
    byte[] y = new byte[n];
    for (int i = 0; i < n; i++) {
      int q = pairs[i];
      l[i] = row(d.items(), d.pairs().left[q]);
      r[i] = row(d.items(), d.pairs().right[q]);
      if (p != null) p[i] = row(d.prompts(), d.pairs().prompt[q]);
      y[i] = d.pairs().label[q];
    }
    return new Vectors(l, r, p, y);
  }

  private static float[] row(Table t, int r) {
    return Arrays.copyOfRange(t.data(), r * t.dim(), (r + 1) * t.dim());
  }
}
