package org.pal.datasets;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.pal.core.PalException;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Table;
import org.pal.core.spi.DatasetSource;

/**
 * The heterogeneous synthetic study of Section 4.1 / Appendix C.1: items x ~ N(0, I/d); a true
 * linear map f* with N(0, 1) entries; K* prototypes ~ N(0, I/d) at pairwise distance >= delta;
 * users in their convex hull (mixture, Dirichlet(1) weights) or on them (partition); a user prefers
 * the item whose f* image is closer to f* of their ideal point. Every pair draws two fresh items.
 *
 * <p>Seen users get {@code pairs} training pairs, {@code validationPairs} for early stopping and
 * {@code testPairs} held out; unseen users get {@code unseenPairs} for few-shot enrolment followed by
 * {@code testPairs} to test on.
 */
public final class SyntheticDataset implements DatasetSource {
  public record Spec(Integer dim, Integer trueK, Integer users, Integer pairs, Integer validationPairs, Integer testPairs,
                     Double delta, String setting, Integer unseenUsers, Integer unseenPairs) {
    public Spec {
      if (dim == null) dim = 16;
      if (trueK == null) trueK = 3;
      if (users == null) users = 100;
      if (pairs == null) pairs = 100;
      if (validationPairs == null) validationPairs = Math.max(1, pairs / 5);
      if (testPairs == null) testPairs = 50;
      if (delta == null) delta = 1.0;
      if (setting == null) setting = "mixture";
      if (unseenUsers == null) unseenUsers = 30;
      if (unseenPairs == null) unseenPairs = 20;
      if (dim < 1) throw PalException.badInput("dim", dim, "must be at least 1");
      if (trueK < 1) throw PalException.badInput("trueK", trueK, "must be at least 1");
      if (users < 1) throw PalException.badInput("users", users, "need at least one seen user");
      if (pairs < 1) throw PalException.badInput("pairs", pairs, "need at least one training pair per user");
      if (validationPairs < 1) throw PalException.badInput("validationPairs", validationPairs, "need at least one validation pair per user");
      if (testPairs < 1) throw PalException.badInput("testPairs", testPairs, "need at least one test pair per user");
      if (!(delta >= 0)) throw PalException.badInput("delta", delta, "must be >= 0");
      if (!setting.equals("mixture") && !setting.equals("partition")) {
        throw PalException.badInput("setting", "\"" + setting + "\"", "valid settings: [mixture, partition]");
      }
      if (unseenUsers < 0) throw PalException.badInput("unseenUsers", unseenUsers, "must be >= 0");
      if (unseenPairs < 1) throw PalException.badInput("unseenPairs", unseenPairs, "must be at least 1");
    }

    public static Spec defaults() {
      return new Spec(null, null, null, null, null, null, null, null, null, null);
    }
  }

  private final Spec spec;

  public SyntheticDataset(Spec spec) {
    this.spec = spec;
  }

  @Override
  public SplitDataset load(long seed) {
    int d = spec.dim(), kStar = spec.trueK();
    Random rnd = new Random(seed);
    double sd = 1 / Math.sqrt(d);
    double[][] fStar = new double[d][d];
    for (double[] row : fStar) for (int j = 0; j < d; j++) row[j] = rnd.nextGaussian();
    double[][] protos = prototypes(rnd, kStar, d, sd, spec.delta());
    int nUsers = spec.users() + spec.unseenUsers();
    double[][] ideal = new double[nUsers][];
    for (int u = 0; u < nUsers; u++) {
      double[] w = new double[kStar];
      if (spec.setting().equals("partition")) {
        w[u % kStar] = 1;
      } else {
        double s = 0;
        for (int k = 0; k < kStar; k++) { w[k] = -Math.log(1 - rnd.nextDouble()); s += w[k]; } // Dirichlet(1)
        for (int k = 0; k < kStar; k++) w[k] /= s;
      }
      ideal[u] = new double[d];
      for (int k = 0; k < kStar; k++) for (int j = 0; j < d; j++) ideal[u][j] += w[k] * protos[k][j];
    }
    int perSeen = spec.pairs() + spec.validationPairs() + spec.testPairs();
    int perUnseen = spec.unseenPairs() + spec.testPairs();
    int total = spec.users() * perSeen + spec.unseenUsers() * perUnseen;
    float[] items = new float[2 * total * d];
    int[] user = new int[total], prompt = new int[total], left = new int[total], right = new int[total];
    byte[] label = new byte[total];
    List<Integer> train = new ArrayList<>(), val = new ArrayList<>(), test = new ArrayList<>(), unseen = new ArrayList<>();
    int p = 0;
    for (int u = 0; u < nUsers; u++) {
      double[] fa = apply(fStar, ideal[u]);
      boolean seen = u < spec.users();
      int count = seen ? perSeen : perUnseen;
      for (int j = 0; j < count; j++, p++) {
        double[] xl = new double[d], xr = new double[d];
        for (int c = 0; c < d; c++) xl[c] = rnd.nextGaussian() * sd;
        for (int c = 0; c < d; c++) xr[c] = rnd.nextGaussian() * sd;
        for (int c = 0; c < d; c++) { items[(2 * p) * d + c] = (float) xl[c]; items[(2 * p + 1) * d + c] = (float) xr[c]; }
        double dl = dist2(apply(fStar, xl), fa), dr = dist2(apply(fStar, xr), fa);
        user[p] = u;
        prompt[p] = -1;
        left[p] = 2 * p;
        right[p] = 2 * p + 1;
        label[p] = (byte) (dl < dr ? 1 : -1);
        if (!seen) unseen.add(p);
        else if (j < spec.pairs()) train.add(p);
        else if (j < spec.pairs() + spec.validationPairs()) val.add(p);
        else test.add(p);
      }
    }
    List<String> ids = new ArrayList<>();
    for (int u = 0; u < nUsers; u++) ids.add((u < spec.users() ? "seen-" : "unseen-") + u);
    PreferenceDataset data = new PreferenceDataset(new Table("items", items, 2 * total, d), null, ids,
        new Pairs(user, prompt, left, right, label));
    int[] seenUsers = new int[spec.users()], unseenUsers = new int[spec.unseenUsers()];
    for (int i = 0; i < seenUsers.length; i++) seenUsers[i] = i;
    for (int i = 0; i < unseenUsers.length; i++) unseenUsers[i] = spec.users() + i;
    return new SplitDataset(data, seenUsers, unseenUsers, ints(train), ints(val), ints(test), ints(unseen));
  }

  /** Rejection sampling for the minimum distance, relaxing delta by 1% per 1000 failed draws so it always ends. */
  private static double[][] prototypes(Random rnd, int k, int d, double sd, double delta) {
    double[][] p = new double[k][d];
    double need = delta;
    int tries = 0;
    for (int i = 0; i < k; ) {
      for (int j = 0; j < d; j++) p[i][j] = rnd.nextGaussian() * sd;
      boolean ok = true;
      for (int q = 0; q < i && ok; q++) ok = Math.sqrt(dist2(p[i], p[q])) >= need;
      if (ok) i++;
      else if (++tries % 1000 == 0) need *= 0.99;
    }
    return p;
  }

  private static double[] apply(double[][] f, double[] x) {
    int d = x.length;
    double[] y = new double[d];
    for (int i = 0; i < d; i++) { double s = 0; for (int j = 0; j < d; j++) s += x[j] * f[j][i]; y[i] = s; }
    return y;
  }

  private static double dist2(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) { double t = a[i] - b[i]; s += t * t; }
    return s;
  }

  private static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }
}
