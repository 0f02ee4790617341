package org.pal.core.model;

import org.pal.core.PalException;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.spi.FactorizedVariant;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Param;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * What a frozen factorized model computes for some pairs of a dataset without the users' weights:
 * both items' latents and the context latents of the ideal points ({@link FactorizedVariant}),
 * computed once. A fit that learns only users' weights (enrolment) then pays per step for the
 * weights' part alone instead of mapping every item and prompt again through the projectors. The
 * margins and loss are the operations {@link PalModel#margins} records for the same pairs (the
 * frozen part as constants), so the fit is the same; every value is a row-wise function of its own
 * pair, so computing it for all pairs at once changes nothing.
 */
public final class PairLatents {
  /** Pairs mapped per projector pass while precomputing (bounds the temporary matrices). */
  private static final int CHUNK = 1024;

  private final PalModel model;
  private final FactorizedVariant variant;
  private final PreferenceDataset data;
  /** Row of each dataset pair in the tables below, -1 for pairs not precomputed. */
  private final int[] slot;
  private final Mat left, right;
  private final Mat[] context;

  private PairLatents(PalModel model, FactorizedVariant variant, PreferenceDataset data, int[] slot, Mat left, Mat right, Mat[] context) {
    this.model = model;
    this.variant = variant;
    this.data = data;
    this.slot = slot;
    this.left = left;
    this.right = right;
    this.context = context;
  }

  /**
   * The latents of the pairs in {@code pairSets} (indices into {@code data}; repeats are computed
   * once), in evaluation mode (no noise), or null when the model's variant does not factorize
   * (its fits then go through {@link PalModel#margins}).
   */
  public static PairLatents of(PalModel model, PreferenceDataset data, int[]... pairSets) {
    if (!(model.variant() instanceof FactorizedVariant fv)) return null;
    int[] slot = new int[data.pairs().size()];
    java.util.Arrays.fill(slot, -1);
    int n = 0;
    for (int[] set : pairSets) for (int p : set) if (slot[p] < 0) slot[p] = n++;
    int[] pairs = new int[n];
    for (int p = 0; p < slot.length; p++) if (slot[p] >= 0) pairs[slot[p]] = p;
    Tape tape = Tape.borrow(model.params().dtype(), null);
    tape.noGrad(true);
    Mat left = null, right = null;
    Mat[] context = null;
    try {
      for (int from = 0; from < n; from += CHUNK) {
        int to = Math.min(n, from + CHUNK), m = to - from;
        tape.reset();
        Batch b = Batch.gather(tape, data, pairs, from, to, null);
        Var prompts = b.prompts() == null ? null : tape.constant(b.prompts());
        // one pass over [left; right] as the variant's utilities map them
        Var items = tape.stackRows(tape.constant(b.left()), tape.constant(b.right()));
        Var itemPrompts = prompts == null || !fv.itemsUsePrompts() ? null : tape.stackRows(prompts, prompts);
        Var latents = fv.itemLatents(tape, items, itemPrompts);
        Var[] ctx = fv.contextLatents(tape, prompts);
        if (left == null) {
          left = Mat.zeros(tape.dtype(), n, latents.cols());
          right = Mat.zeros(tape.dtype(), n, latents.cols());
          context = new Mat[ctx.length];
          for (int c = 0; c < ctx.length; c++) context[c] = Mat.zeros(tape.dtype(), n, ctx[c].cols());
        }
        for (int i = 0; i < m; i++) {
          left.putRow(from + i, latents.value(), i);
          right.putRow(from + i, latents.value(), m + i);
          for (int c = 0; c < ctx.length; c++) context[c].putRow(from + i, ctx[c].value(), i);
        }
      }
    } finally {
      tape.giveBack();
    }
    return new PairLatents(model, fv, data, slot, left, right, context == null ? new Mat[0] : context);
  }

  /**
   * Signed margins of pairs {@code idx[from..to)} with weights from rows of {@code userTable}
   * ({@code userRow} maps dataset user index to table row), as {@link PalModel#margins} with no noise.
   */
  public Var margins(Tape tape, int[] idx, int from, int to, int[] userRow, Param userTable) {
    int n = to - from;
    int[] rows = new int[n];
    Mat l = tape.alloc(n, left.cols), r = tape.alloc(n, right.cols);
    Var[] ctx = new Var[context.length];
    Mat[] c = new Mat[context.length];
    for (int k = 0; k < c.length; k++) c[k] = tape.alloc(n, context[k].cols);
    for (int i = 0; i < n; i++) {
      int p = idx[from + i], s = slot[p];
      if (s < 0) throw PalException.internal("pair " + p + " has no precomputed latents");
      l.putRow(i, left, s);
      r.putRow(i, right, s);
      for (int k = 0; k < c.length; k++) c[k].putRow(i, context[k], s);
      int u = data.pairs().user[p];
      rows[i] = userRow == null ? u : userRow[u];
      if (rows[i] < 0) throw PalException.internal("pair " + p + " belongs to user " + data.userIds().get(u) + " who has no row in this table");
    }
    for (int k = 0; k < c.length; k++) ctx[k] = tape.constant(c[k]);
    Var logits = tape.gatherRows(tape.param(userTable), rows);
    Var w = model.simplex().weights(tape, logits, null);
    Var ideal = variant.idealFromContext(tape, w, ctx);
    return tape.sub(variant.utility(tape, tape.constant(l), ideal), variant.utility(tape, tape.constant(r), ideal));
  }

  /** The mean loss of pairs {@code idx[from..to)}, as {@link PalModel#loss} of {@link #margins}. */
  public Var loss(Tape tape, int[] idx, int from, int to, int[] userRow, Param userTable) {
    Var margins = margins(tape, idx, from, to, userRow, userTable);
    Mat labels = tape.alloc(to - from, 1);
    for (int i = from; i < to; i++) labels.set(i - from, data.pairs().label[idx[i]]);
    return model.loss(tape, margins, labels);
  }
}
