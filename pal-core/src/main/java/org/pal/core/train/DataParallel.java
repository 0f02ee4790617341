package org.pal.core.train;

import java.util.Random;
import java.util.function.IntFunction;
import org.pal.core.PalException;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.model.Batch;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.GradBuffer;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;
import org.pal.core.tensor.SharedWeights;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * Parallelism inside a training step. A large model with as many independent branches as threads runs
 * them side by side on one tape ({@link Tape#branches}; see {@link #MIN_BRANCH_PARAMS}); otherwise
 * this is data parallelism. A mini-batch of n pairs is cut into N contiguous shards
 * (shard s holds pairs [n s / N, n (s + 1) / N)); worker s runs forward and backward of its shard on
 * its own tape, reading the shared parameters in place, with the backward pass weighted by n_s / n so
 * that the shards' gradients add up to the gradient of the batch's mean loss. Worker 0 accumulates
 * into the store's own gradient, worker s &gt; 0 into a private {@link GradBuffer}; the optimizer
 * adds the buffers to the store's gradient in the order 1, ..., N-1 ({@link Adam#step(Mat[], int)}).
 * Nothing depends on thread timing, so a run is bit-identical for a given N; with N = 1 it is the
 * plain sequential step. The workers read the weights for BLAS from one shared off-heap copy per step
 * ({@link SharedWeights}). Tapes come from (and {@link #close} gives them back to) the pool of idle
 * tapes, so a second fit in the same process starts with its buffers allocated.
 */
public final class DataParallel implements AutoCloseable {
  /** Parameters per worker below which the optimizer update stays on one thread. */
  private static final int MIN_UPDATE_PIECE = 1 << 15;

  private final int shards;
  private final Tape[] tapes;
  private final GradBuffer[] buffers;
  private final Mat[] addends;
  private final double[] losses;
  private final SharedWeights shared;
  /** Per shard: task start, forward done, backward done (nanoTime), for {@link StepProfile}. */
  private final long[][] stamps;

  /**
   * Parameters from which a model with as many branches as threads runs them side by side instead
   * of splitting the batch. Measured on a 2-vCPU VM with PAL-B (2 branches): at L's 3.15 M parameters
   * (D = 1024, d = 512) a batch split into 2 shards ran 1.65-1.7x one thread (each worker's products
   * on half the rows cost more than half, and every worker writes a full-size gradient that the
   * optimizer folds); at S's 37.5 k (D = 384, d = 16) the split reaches 1.7-1.8x while its branches
   * (f on 2n rows, K = 4 prompt functions on n) would not balance.
   */
  public static final int MIN_BRANCH_PARAMS = 1 << 20;

  private final boolean byBranches;
  private final int threads;

  /** @param store the parameters being trained (others the model reads are frozen constants) */
  public DataParallel(ParamStore store, int shards) {
    this(store, shards, 1);
  }

  /**
   * Training on {@code threads} threads: a model with that many independent branches
   * ({@link org.pal.core.spi.ModelVariant#branches}) and at least {@link #MIN_BRANCH_PARAMS}
   * parameters runs its branches side by side on one tape ({@link Tape#branches}: every product at
   * the batch's full size, nothing to fold, the same numbers as one thread when nothing is random);
   * anything else splits the batch into {@code threads} shards.
   */
  public DataParallel(ParamStore store, int threads, int modelBranches) {
    if (threads < 1) throw PalException.badInput("threads", threads, "must be at least 1");
    this.byBranches = threads > 1 && modelBranches == threads && store.size() >= MIN_BRANCH_PARAMS;
    this.threads = threads;
    int shards = byBranches ? 1 : threads;
    this.shards = shards;
    this.tapes = new Tape[shards];
    this.buffers = new GradBuffer[shards];
    this.addends = new Mat[shards - 1];
    this.losses = new double[shards];
    this.stamps = new long[3][shards];
    tapes[0] = Tape.borrow(store.dtype(), null);
    for (int s = 1; s < shards; s++) {
      buffers[s] = new GradBuffer(store);
      addends[s - 1] = buffers[s].flat();
      tapes[s] = Tape.borrow(store.dtype(), buffers[s]);
    }
    this.shared = new SharedWeights(store, tapes[0]);
    if (byBranches) tapes[0].forkBranches(Workers.shared()::run);
  }

  /** "branches" when the model's branches run side by side, else "batch" (the batch is split into {@link #shards}). */
  public String parallelism() {
    return byBranches ? "branches" : "batch";
  }

  /** Gives the tapes back to the pool; this object and its tapes must not be used afterwards. */
  @Override
  public void close() {
    for (Tape t : tapes) t.giveBack();
  }

  public int shards() {
    return shards;
  }

  /** One tape per worker; tape 0 is an ordinary tape (for validation and the like between steps). */
  public Tape[] tapes() {
    return tapes;
  }

  /** Workers' gradients still to be added to the store's: for {@link Adam#step(Mat[], int)}. */
  public Mat[] addends() {
    return addends;
  }

  /**
   * One optimizer step on the whole batch's gradient: the workers' gradients are added to the
   * store's in worker order inside the update, and every buffer counts as zero for the next step.
   */
  public void step(Adam adam) {
    boolean timed = StepProfile.on();
    long t0 = timed ? System.nanoTime() : 0;
    if (threads == 1) {
      adam.step();
    } else {
      // by branches there is one shard and nothing to fold, but the update is still split over the threads
      for (int s = 1; s < shards; s++) buffers[s].zeroUntouched();
      // the update is element-wise: split it only where a piece is worth a thread's wake-up
      adam.step(addends, Math.min(threads, 1 + adam.size() / MIN_UPDATE_PIECE));
      for (int s = 1; s < shards; s++) buffers[s].markZero();
    }
    if (timed) StepProfile.update(System.nanoTime() - t0);
  }

  /** First pair of shard s of [from, to) cut into {@code shards} contiguous pieces. */
  public static int shardStart(int from, int to, int shards, int s) {
    return from + (int) ((long) (to - from) * s / shards);
  }

  /** The mean loss of pairs {@code idx[lo..hi)} on a worker's tape (shard {@code shard}): what a step differentiates. */
  @FunctionalInterface
  public interface ShardLoss {
    Var loss(Tape tape, int[] idx, int lo, int hi, int shard);
  }

  /** The model's loss on pairs gathered from {@code data}, each shard with its own noise (dropout, Gumbel noise; null for none). */
  public static ShardLoss gathered(PalModel model, PreferenceDataset data, int[] userRow, Param table, IntFunction<Random> noise) {
    return (tape, idx, lo, hi, s) -> {
      Batch b = Batch.gather(tape, data, idx, lo, hi, userRow);
      return model.loss(tape, model.margins(tape, b, table, noise.apply(s)), b);
    };
  }

  /**
   * Loss of pairs {@code idx[from..to)} (the mean over them) and its gradient: the store's gradient
   * holds worker 0's part, {@link #addends()} the others' until the optimizer folds them in.
   *
   * @param noise the random stream of each shard (dropout, Gumbel noise)
   */
  public double lossAndGradient(PalModel model, PreferenceDataset data, int[] idx, int from, int to, int[] userRow,
                                Param table, IntFunction<Random> noise) {
    return lossAndGradient(idx, from, to, gathered(model, data, userRow, table, noise));
  }

  /** The same with the loss of a shard given. */
  public double lossAndGradient(int[] idx, int from, int to, ShardLoss shardLoss) {
    int n = to - from;
    shared.nextStep(); // the optimizer changed the weights since the last copy
    boolean timed = StepProfile.on();
    long regionStart = timed ? System.nanoTime() : 0;
    Workers.shared().run(shards, s -> {
      if (timed) stamps[0][s] = System.nanoTime();
      int lo = shardStart(from, to, shards, s), hi = shardStart(from, to, shards, s + 1);
      losses[s] = 0;
      if (lo == hi) {
        if (timed) stamps[1][s] = stamps[2][s] = System.nanoTime();
        return;
      }
      Tape tape = tapes[s];
      tape.reset();
      tape.shareWeights(shared);
      try {
        Var loss = shardLoss.loss(tape, idx, lo, hi, s);
        if (timed) stamps[1][s] = System.nanoTime();
        double w = (double) (hi - lo) / n;
        tape.backward(loss, w);
        losses[s] = w * loss.scalar();
      } finally {
        tape.shareWeights(null);
        if (timed) stamps[2][s] = System.nanoTime();
      }
    });
    if (timed) {
      StepProfile.region(regionStart, System.nanoTime(), stamps[0], stamps[1], stamps[2]);
    }
    double sum = 0;
    for (int s = 0; s < shards; s++) sum += losses[s];
    return sum;
  }

  /**
   * Mean loss of pairs {@code idx[from..to)} without gradients (evaluation mode: the shard loss must
   * add no noise, e.g. {@link #gathered} with null noise); leaves the tapes reset.
   */
  public double loss(int[] idx, int from, int to, ShardLoss shardLoss) {
    int n = to - from;
    shared.nextStep();
    Workers.shared().run(shards, s -> {
      int lo = shardStart(from, to, shards, s), hi = shardStart(from, to, shards, s + 1);
      losses[s] = 0;
      if (lo == hi) return;
      Tape tape = tapes[s];
      tape.reset();
      tape.noGrad(true);
      tape.shareWeights(shared);
      try {
        losses[s] = (double) (hi - lo) / n * shardLoss.loss(tape, idx, lo, hi, s).scalar();
      } finally {
        tape.shareWeights(null);
        tape.noGrad(false);
        tape.reset();
      }
    });
    double sum = 0;
    for (int s = 0; s < shards; s++) sum += losses[s];
    return sum;
  }
}
