package org.pal.core.train;

import java.nio.file.Path;
import java.util.Random;
import java.util.function.IntFunction;
import org.pal.core.PalException;
import org.pal.core.data.SplitDataset;
import org.pal.core.eval.Evaluator;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Threads;

/**
 * Mini-batch Adam over seen users' training pairs, with per-group learning rates, validation every
 * epoch, early stopping, best-epoch selection on validation (never on test), a checkpoint per epoch
 * and resume. Every random draw of epoch e comes from generators seeded by (seed, e), so a resumed
 * run replays exactly what an uninterrupted one would have done. Each mini-batch is split across
 * {@link TrainerSpec#threads()} data-parallel workers ({@link DataParallel}); a run is bit-identical for
 * a given number of them, and one is the plain sequential loop.
 */
public final class Trainer {
  private final TrainerSpec spec;
  private final ProgressListener progress;

  public Trainer(TrainerSpec spec, ProgressListener progress) {
    this.spec = spec;
    this.progress = progress == null ? ProgressListener.NONE : progress;
  }

  public static long mix(long seed, long a, long b) {
    long h = seed * 0x9E3779B97F4A7C15L + a * 0xC2B2AE3D27D4EB4FL + b * 0x165667B19E3779F9L;
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    return h ^ (h >>> 29);
  }

  /** Fisher-Yates in place. */
  public static void shuffle(int[] a, Random r) {
    for (int i = a.length - 1; i > 0; i--) { int j = r.nextInt(i + 1); int t = a[i]; a[i] = a[j]; a[j] = t; }
  }

  /**
   * What must match for a checkpoint to continue a run: the full resolved config (learning rates as
   * applied to each of the model's groups included), the parameter count, and the SHA-256 of the
   * data and of the train/validation split, and the number of workers ({@code threads}: the shards'
   * noise streams and the order of gradient additions depend on it). Only {@code epochs} may differ,
   * and only upwards.
   */
  com.fasterxml.jackson.databind.JsonNode identity(PalModel model, SplitDataset split, int nParams, int shards) {
    var json = org.pal.core.config.Json.mapper();
    com.fasterxml.jackson.databind.node.ObjectNode id = json.createObjectNode();
    var run = model.config().withTrainer(spec); // the settings this trainer applies, not only those the model was built with
    com.fasterxml.jackson.databind.node.ObjectNode config = json.valueToTree(run);
    ((com.fasterxml.jackson.databind.node.ObjectNode) config.get("trainer")).remove("epochs");
    // the workers actually used, below, rather than the setting (absent means the machine's cores)
    ((com.fasterxml.jackson.databind.node.ObjectNode) config.get("trainer")).remove("threads");
    id.set("config", config);
    id.put("epochs", spec.epochs());
    com.fasterxml.jackson.databind.node.ObjectNode groups = id.putObject("effectiveGroups");
    for (String g : model.params().groups()) groups.set(g, json.valueToTree(spec.group(g)));
    id.put("parameters", nParams);
    id.put("threads", shards);
    id.put("dataSha256", split.data().hash());
    id.put("splitSha256", splitHash(split));
    return id;
  }

  private static String splitHash(SplitDataset split) {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4);
      for (int[] part : new int[][] {split.train(), split.validation(), split.seenUsers()}) {
        b.clear();
        md.update(b.putInt(part.length).array());
        for (int i : part) { b.clear(); md.update(b.putInt(i).array()); }
      }
      return java.util.HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw PalException.environment("SHA-256 unavailable", e);
    }
  }

  /**
   * @param checkpointDir where to checkpoint every epoch, or null for none
   * @param resume continue from the newest checkpoint in checkpointDir (which must exist; a run
   *     killed before its first checkpoint starts over), refusing a checkpoint of another run
   */
  public TrainResult fit(PalModel model, SplitDataset split, Path checkpointDir, boolean resume) {
    int shards = Math.min(spec.resolvedThreads(), spec.batchSize());
    // N workers each calling a multi-threaded BLAS would oversubscribe the cores
    try (Threads.Scope kernels = shards > 1 ? Threads.singleThreadedKernels() : null) {
      return fit(model, split, checkpointDir, resume, shards);
    }
  }

  private TrainResult fit(PalModel model, SplitDataset split, Path checkpointDir, boolean resume, int shards) {
    if (model.userIds().size() != split.seenUsers().length) {
      throw PalException.internal("model has " + model.userIds().size() + " user rows, split has " + split.seenUsers().length + " seen users");
    }
    var data = split.data();
    if (data.items().dim() != model.itemDim()) throw PalException.badInput("items.dim", data.items().dim(), "the model was built for item dimension " + model.itemDim());
    if (data.promptDim() != model.promptDim()) throw PalException.badInput("prompts.dim", data.promptDim(), "the model was built for prompt dimension " + model.promptDim());
    int[] userRow = split.rowIndex(split.seenUsers());
    Adam adam = new Adam(model.params(), spec::group);
    Mat flat = model.params().flatValue();
    int nParams = flat.size();
    double[] best = flat.toDoubleArray();
    int startEpoch = 0, bestEpoch = 0, bad = 0;
    double bestAcc = -1, lastLoss = Double.NaN;
    boolean resumed = false;
    com.fasterxml.jackson.databind.JsonNode identity = checkpointDir == null ? null : identity(model, split, nParams, shards);
    if (resume) {
      if (checkpointDir == null) throw PalException.badInput("resume", true, "needs a checkpoint directory");
      // resuming from nothing would silently start over: the user asked to continue a run
      if (!java.nio.file.Files.isDirectory(checkpointDir)) {
        throw PalException.badInput("checkpoint directory", checkpointDir, "does not exist, so there is nothing to resume; check the path or train without resuming");
      }
      Checkpoints.State s = Checkpoints.load(checkpointDir);
      if (s != null) {
        Checkpoints.requireSameRun(checkpointDir, s.identity(), identity);
        if (s.params().length != nParams) {
          throw PalException.userInput("checkpoint in " + checkpointDir + " has " + s.params().length + " parameters, this model " + nParams + "; it belongs to another config: use another checkpoint directory");
        }
        for (int i = 0; i < nParams; i++) flat.set(i, s.params()[i]);
        best = s.best();
        adam.restore(s.adamSteps(), s.m(), s.v());
        startEpoch = s.epochsDone();
        bestEpoch = s.bestEpoch();
        bestAcc = s.bestValidationAccuracy();
        bad = s.badEpochs();
        lastLoss = s.lastLoss();
        resumed = true;
      }
    }
    // tapes back to the pool when done: the next fit in this process starts with its buffers allocated
    try (DataParallel workers = new DataParallel(model.params(), shards, model.branches())) {
      Tape tape = workers.tapes()[0];
      model.params().zeroGrad(); // Adam.step marks them zero from here on
      int[] train = new int[split.train().length];
      int n = train.length, bs = spec.batchSize();
      long t0 = System.nanoTime();
      long pairsSeen = 0;
      int epoch = startEpoch;
      boolean stopped = spec.patience() > 0 && bad >= spec.patience();
      while (epoch < spec.epochs() && !stopped) {
        Random shuffle = new Random(mix(spec.seed(), epoch, 1));
        Random noise = new Random(mix(spec.seed(), epoch, 2));
        long noiseSeed = mix(spec.seed(), epoch, 2);
        // each epoch permutes the original order, so the permutation depends on (seed, epoch) only
        System.arraycopy(split.train(), 0, train, 0, n);
        shuffle(train, shuffle);
        double lossSum = 0;
        int batches = 0;
        int limit = spec.stepsPerEpoch() == null ? n : (int) Math.min(n, (long) spec.stepsPerEpoch() * bs);
        for (int from = 0; from < limit; from += bs) {
          int to = Math.min(limit, from + bs);
          // one worker draws from the epoch's stream, as the sequential trainer always did; several draw
          // each from its own stream of (seed, epoch, step, shard), so no draw depends on thread timing
          long step = batches;
          IntFunction<Random> shardNoise = shards == 1 ? s -> noise : s -> new Random(mix(noiseSeed, step, s));
          double lv = workers.lossAndGradient(model, data, train, from, to, userRow, model.users(), shardNoise);
          if (!Double.isFinite(lv)) {
            throw PalException.userInput("training diverged at epoch " + (epoch + 1) + " (loss " + lv + "); lower the learning rates in trainer.groups or check the embeddings for huge values");
          }
          lossSum += lv;
          batches++;
          workers.step(adam);
          pairsSeen += to - from;
        }
        epoch++;
        lastLoss = lossSum / batches;
        tape.reset();
        double acc = Evaluator.accuracy(model, data, split.validation(), userRow, model.users(), workers.tapes());
        if (acc > bestAcc) {
          bestAcc = acc;
          bestEpoch = epoch;
          flat.toDoubleArray(best); // into the same array: 8 bytes a parameter, not reallocated every better epoch
          bad = 0;
        } else {
          bad++;
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        progress.onEpoch(new ProgressListener.EpochReport(epoch, spec.epochs(), lastLoss, acc, bestAcc, bestEpoch,
            pairsSeen / Math.max(secs, 1e-9), secs));
        if (checkpointDir != null) {
          Checkpoints.save(checkpointDir, new Checkpoints.State(epoch, adam.steps(), bestEpoch, bestAcc, bad, lastLoss,
              identity, flat.toDoubleArray(), best, adam.firstMoment().toDoubleArray(), adam.secondMoment().toDoubleArray()));
        }
        stopped = spec.patience() > 0 && bad >= spec.patience();
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      for (int i = 0; i < nParams; i++) flat.set(i, best[i]);
      return new TrainResult(epoch, bestEpoch, bestAcc, lastLoss, secs, pairsSeen / Math.max(secs, 1e-9), resumed, shards,
          workers.parallelism());
    }
  }
}
