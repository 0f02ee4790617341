package org.pal.core.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pal.core.PalException;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.model.Batch;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Threads;
import org.pal.core.tensor.Var;
import org.pal.core.train.AdaptSpec;
import org.pal.core.train.Workers;

/**
 * The paper's three accuracies (Section 3.3.1): seen (new pairs of training users), unseen few-shot
 * (only new users' weights learned on their first pairs, tested on the rest) and zero-shot (the mean
 * of seen users' weights). A prediction is correct when the sign of the margin matches the label.
 */
public final class Evaluator {
  private static final int EVAL_BATCH = 4096;

  private Evaluator() {}

  public record Accuracies(double seen, double unseenFewShot, double zeroShot, int seenPairs, int unseenTestPairs) {}

  /**
   * Accuracy on pairs {@code idx}; user rows from {@code userRow} into {@code table}. Chunks of pairs
   * are scored by {@link Threads#workers()} workers at once (a count of correct signs: the same for
   * any number of workers).
   */
  public static double accuracy(PalModel model, PreferenceDataset data, int[] idx, int[] userRow, Param table) {
    return accuracy(model, data, idx, userRow, table, tapes(model, idx.length));
  }

  /** The same on a caller's tape (the trainer's: its pooled buffers are reused every epoch); leaves it reset. */
  public static double accuracy(PalModel model, PreferenceDataset data, int[] idx, int[] userRow, Param table, Tape tape) {
    return accuracy(model, data, idx, userRow, table, new Tape[] {tape});
  }

  /** The same with one worker per tape (a trainer's data-parallel tapes); leaves them reset. */
  public static double accuracy(PalModel model, PreferenceDataset data, int[] idx, int[] userRow, Param table, Tape[] tapes) {
    if (idx.length == 0) return Double.NaN;
    return countCorrect(idx.length, tapes, (tape, from, to) -> {
      Batch b = Batch.gather(tape, data, idx, from, to, userRow);
      return countCorrect(model.margins(tape, b, table, null), b);
    }) / (double) idx.length;
  }

  /** Accuracy when every pair uses the same explicit weights (zero-shot). */
  public static double accuracyWithWeights(PalModel model, PreferenceDataset data, int[] idx, double[] w) {
    if (idx.length == 0) return Double.NaN;
    return countCorrect(idx.length, tapes(model, idx.length), (tape, from, to) -> {
      Batch b = Batch.gather(tape, data, idx, from, to, null); // explicit weights: user rows are not used
      double[][] ws = new double[to - from][];
      java.util.Arrays.fill(ws, w);
      return countCorrect(model.marginsWithWeights(tape, b, model.constantWeights(tape, ws), null), b);
    }) / (double) idx.length;
  }

  private interface Chunk {
    long correct(Tape tape, int from, int to);
  }

  /** Smallest chunk worth a worker of its own. */
  private static final int MIN_CHUNK = 64;

  /**
   * Pairs per chunk: EVAL_BATCH on one worker; with several, small sets are cut so that every worker
   * gets a chunk (a trainer's validation set of a few hundred pairs was one chunk, scored by one worker).
   */
  static int chunkSize(int pairs, int workers) {
    if (workers <= 1) return EVAL_BATCH;
    return Math.min(EVAL_BATCH, Math.max(MIN_CHUNK, (pairs + workers - 1) / workers));
  }

  static int chunks(int pairs, int workers) {
    int size = chunkSize(pairs, workers);
    return (pairs + size - 1) / size;
  }

  /** One fresh tape per worker that has a chunk to score. */
  private static Tape[] tapes(PalModel model, int pairs) {
    int w = Threads.workers();
    Tape[] t = new Tape[Math.max(1, Math.min(w, chunks(pairs, w)))];
    for (int i = 0; i < t.length; i++) t[i] = new Tape(model.params().dtype());
    return t;
  }

  /** Scores chunks of {@link #chunkSize} pairs; worker w takes chunks w, w + W, w + 2W, ... on tapes[w]. */
  private static long countCorrect(int pairs, Tape[] tapes, Chunk chunk) {
    int size = chunkSize(pairs, tapes.length), nChunks = chunks(pairs, tapes.length), workers = Math.min(tapes.length, nChunks);
    long[] correct = new long[workers];
    try (Threads.Scope kernels = workers > 1 ? Threads.singleThreadedKernels() : null) {
      Workers.shared().run(workers, w -> {
        Tape tape = tapes[w];
        tape.noGrad(true);
        try {
          for (int c = w; c < nChunks; c += workers) {
            tape.reset();
            correct[w] += chunk.correct(tape, c * size, Math.min(pairs, (c + 1) * size));
          }
        } finally {
          tape.noGrad(false);
          tape.reset();
        }
      });
    }
    long sum = 0;
    for (long c : correct) sum += c;
    return sum;
  }

  private static long countCorrect(Var margins, Batch b) {
    long c = 0;
    for (int i = 0; i < b.size(); i++) {
      double z = margins.value().get(i);
      if ((z > 0 && b.labels().get(i) > 0) || (z < 0 && b.labels().get(i) < 0)) c++;
    }
    return c;
  }

  /** Mean simplex weights of the model's seen users: the zero-shot ideal point. */
  public static double[] meanWeights(PalModel model) {
    double[][] w = model.weightsOf(model.users());
    double[] mean = new double[model.k()];
    for (double[] row : w) for (int j = 0; j < mean.length; j++) mean[j] += row[j] / w.length;
    return mean;
  }

  /**
   * Fails, naming both settings, when an evaluation with {@code shots} enrolment pairs per unseen user
   * would have nothing to test on: no seen test pairs, or unseen users none of whom has more than
   * {@code shots} pairs. A dataset without unseen users passes (those accuracies are absent).
   */
  public static void requireTestPairs(SplitDataset split, int shots) {
    if (split.test().length == 0) {
      throw PalException.badInput("test pairs", 0, "the seen users' test split is empty; give seen users more comparisons or a larger test share");
    }
    if (split.unseen().length == 0) return;
    if (shots < 1) throw PalException.badInput("shots", shots, "enrolment needs at least 1 comparison per unseen user");
    int max = 0;
    for (List<Integer> ps : split.byUser(split.unseen()).values()) max = Math.max(max, ps.size());
    if (max <= shots) {
      throw PalException.badInput("shots", shots, "every unseen user has at most " + max + " comparisons, so none is left to test on after enrolling on "
          + shots + "; use fewer shots than " + max + " or give unseen users more comparisons");
    }
  }

  /** Each unseen user's pairs split into the first {@code shots} (adaptation) and the rest (test). */
  public record FewShotSplit(int[] users, int[] adaptTrain, int[] adaptValidation, int[] test) {}

  public static FewShotSplit fewShotSplit(SplitDataset split, int shots, double validationShare) {
    if (shots < 1) throw PalException.badInput("unseen pairs per user (shots)", shots, "must be at least 1");
    Map<Integer, List<Integer>> byUser = split.byUser(split.unseen());
    List<Integer> users = new ArrayList<>(), te = new ArrayList<>();
    for (var e : byUser.entrySet()) {
      List<Integer> ps = e.getValue();
      if (ps.size() <= shots) continue; // nothing left to test this user on
      users.add(e.getKey());
      for (int i = shots; i < ps.size(); i++) te.add(ps.get(i));
    }
    int[] u = ints(users);
    int[][] enrol = enrolmentPairs(byUser, u, shots, validationShare);
    return new FewShotSplit(u, enrol[0], enrol[1], ints(te));
  }

  /**
   * Each of {@code users}' first {@code n} pairs, user by user: training pairs, then (the last
   * {@link Adapter#validationCount} of each user's n) validation pairs. The one rule for the few-shot
   * split and every point of the few-shot curve.
   */
  private static int[][] enrolmentPairs(Map<Integer, List<Integer>> byUser, int[] users, int n, double validationShare) {
    List<Integer> tr = new ArrayList<>(), va = new ArrayList<>();
    int nVal = Adapter.validationCount(n, validationShare);
    for (int u : users) {
      List<Integer> ps = byUser.get(u);
      for (int i = 0; i < n; i++) (i < n - nVal ? tr : va).add(ps.get(i));
    }
    return new int[][] {ints(tr), ints(va)};
  }

  /** Few-shot accuracy on unseen users: enrol on their first {@code shots} pairs, test on the rest. */
  public static double fewShotAccuracy(PalModel model, SplitDataset split, int shots, AdaptSpec spec, long seed) {
    return fewShotAccuracy(model, split, fewShotSplit(split, shots, spec.validationShare()), spec, seed);
  }

  private static double fewShotAccuracy(PalModel model, SplitDataset split, FewShotSplit fs, AdaptSpec spec, long seed) {
    if (fs.users().length == 0) return Double.NaN;
    int[] row = split.rowIndex(fs.users());
    ParamStore table = Adapter.enrol(model, split.data(), fs.adaptTrain(), fs.adaptValidation(), row, fs.users().length, spec, seed);
    return accuracy(model, split.data(), fs.test(), row, table.get(PalModel.USERS));
  }

  /**
   * Few-shot accuracy as a function of the number of enrolment pairs: for each n in {@code shots},
   * enrol on each unseen user's first n pairs; always test on the pairs after the largest n, so every
   * point of the curve is measured on the same pairs.
   */
  public static java.util.Map<Integer, Double> fewShotCurve(PalModel model, SplitDataset split, List<Integer> shots, AdaptSpec spec, long seed) {
    int max = shots.stream().mapToInt(Integer::intValue).max().orElseThrow();
    FewShotSplit outer = fewShotSplit(split, max, 0);
    java.util.Map<Integer, Double> out = new java.util.TreeMap<>();
    if (outer.users().length == 0) return out;
    int[] row = split.rowIndex(outer.users());
    Map<Integer, List<Integer>> byUser = split.byUser(split.unseen());
    for (int n : shots) {
      int[][] enrol = enrolmentPairs(byUser, outer.users(), n, spec.validationShare());
      ParamStore table = Adapter.enrol(model, split.data(), enrol[0], enrol[1], row, outer.users().length, spec, seed);
      out.put(n, accuracy(model, split.data(), outer.test(), row, table.get(PalModel.USERS)));
    }
    return out;
  }

  public static Accuracies evaluate(PalModel model, SplitDataset split, int shots, AdaptSpec spec, long seed) {
    requireTestPairs(split, shots); // an accuracy over no pairs would be NaN, not a number
    int[] seenRow = split.rowIndex(split.seenUsers());
    double seen = accuracy(model, split.data(), split.test(), seenRow, model.users());
    // one split of the unseen users' pairs: its test pairs (after the first shots) serve few-shot and zero-shot alike
    FewShotSplit fs = fewShotSplit(split, shots, spec.validationShare());
    double few = split.unseen().length == 0 ? Double.NaN : fewShotAccuracy(model, split, fs, spec, seed);
    double zero = split.unseen().length == 0 ? Double.NaN : accuracyWithWeights(model, split.data(), fs.test(), meanWeights(model));
    return new Accuracies(seen, few, zero, split.test().length, fs.test().length);
  }

  static int[] ints(List<Integer> l) {
    int[] a = new int[l.size()];
    for (int i = 0; i < a.length; i++) a[i] = l.get(i);
    return a;
  }
}
