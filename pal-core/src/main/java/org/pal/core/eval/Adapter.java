package org.pal.core.eval;

import java.util.Random;
import org.pal.core.PalException;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.model.PairLatents;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.ParamStore;
import org.pal.core.tensor.Threads;
import org.pal.core.train.Adam;
import org.pal.core.train.AdaptSpec;
import org.pal.core.train.DataParallel;
import org.pal.core.train.GroupSpec;
import org.pal.core.train.Trainer;

/**
 * Few-shot enrolment: learns only new users' K simplex logits with the model frozen, keeping the
 * epoch with the lowest validation loss (validation pairs are each user's last share of shots).
 */
public final class Adapter {
  private Adapter() {}

  /**
   * How many of a user's {@code n} enrolment comparisons choose the epoch (the last ones): none
   * below 5, where one held-out pair says nothing, else {@code share} of them. The one rule for
   * evaluation, enrolment and few-shot curves.
   */
  public static int validationCount(int n, double share) {
    return n < 5 ? 0 : Math.min(n - 1, (int) Math.round(n * share));
  }

  /**
   * @param row dataset user index to row of the new table (-1 for others)
   * @return a sealed store whose "users" parameter holds the new users' logits
   */
  public static ParamStore enrol(PalModel model, PreferenceDataset data, int[] train, int[] validation, int[] row,
                                 int nUsers, AdaptSpec spec, long seed) {
    return enrol(model, data, train, validation, row, nUsers, spec, seed, Threads.workers());
  }

  /**
   * The same with each mini-batch split across {@code threads} data-parallel workers (see
   * {@link DataParallel}): bit-identical for a given number of threads, and 1 is the sequential loop.
   */
  public static ParamStore enrol(PalModel model, PreferenceDataset data, int[] train, int[] validation, int[] row,
                                 int nUsers, AdaptSpec spec, long seed, int threads) {
    if (train.length == 0) throw PalException.badInput("adaptation pairs", 0, "each new user needs at least one comparison to enrol");
    ParamStore table = model.newUserTable(nUsers);
    Param users = table.get(PalModel.USERS);
    boolean wasFrozen = model.params().frozen();
    model.params().freeze(true);
    int shards = Math.max(1, Math.min(threads, spec.batchSize()));
    try (Threads.Scope kernels = shards > 1 ? Threads.singleThreadedKernels() : null) {
      Adam adam = new Adam(table, g -> new GroupSpec(spec.lr(), 0.0));
      // the frozen model maps each pair's items and prompts once, not in every epoch (a variant that
      // does not factorize maps them in every step, through its utilities)
      PairLatents latents = PairLatents.of(model, data, train, validation);
      DataParallel.ShardLoss loss = latents != null ? (t, idx, lo, hi, s) -> latents.loss(t, idx, lo, hi, row, users)
          : DataParallel.gathered(model, data, row, users, s -> null);
      try (DataParallel workers = new DataParallel(table, shards)) {
        table.zeroGrad(); // Adam.step leaves them zeroed from here on
        int[] order = train.clone();
        double bestLoss = Double.POSITIVE_INFINITY;
        double[] best = table.flatValue().toDoubleArray();
        int bad = 0;
        int[] selection = validation.length > 0 ? validation : train;
        for (int epoch = 0; epoch < spec.epochs(); epoch++) {
          Trainer.shuffle(order, new Random(Trainer.mix(seed, epoch, 7)));
          for (int from = 0; from < order.length; from += spec.batchSize()) {
            int to = Math.min(order.length, from + spec.batchSize());
            workers.lossAndGradient(order, from, to, loss);
            workers.step(adam);
          }
          double vl = workers.loss(selection, 0, selection.length, loss);
          if (vl < bestLoss - 1e-9) {
            bestLoss = vl;
            best = table.flatValue().toDoubleArray();
            bad = 0;
          } else if (++bad >= spec.patience()) {
            break;
          }
        }
        for (int i = 0; i < best.length; i++) table.flatValue().set(i, best[i]);
        return table;
      }
    } finally {
      model.params().freeze(wasFrozen);
    }
  }
}
