package org.pal.core.spi;

import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * An optional capability of a {@link ModelVariant} whose utility splits into a part of the item (and
 * its prompt) and a part of the user's weights (and the prompt): u = utility(items(x, c), ideals(w, c)).
 * Scoring uses it to compute each distinct (user, prompt) context's ideal point once for many
 * responses (best-of-n), instead of once per row; results equal {@link ModelVariant#utilities} at
 * evaluation time (no dropout). Variants without it are scored through {@code utilities}.
 */
public interface FactorizedVariant {
  /** Item latents, one row per item; {@code prompts} row-aligned with {@code items}, or null without prompts. */
  Var itemLatents(Tape tape, Var items, Var prompts);

  /** Ideal points, one row per context; {@code prompts} row-aligned with {@code weights}, or null. */
  Var idealLatents(Tape tape, Var weights, Var prompts);

  /**
   * The part of the ideal points that does not depend on the weights, for contexts {@code prompts}
   * (row-aligned; null without prompts): what {@link #idealFromContext} combines with weights. A fit
   * that learns only users' weights (enrolment) computes it once per comparison instead of every
   * step. By default the prompts themselves.
   */
  default Var[] contextLatents(Tape tape, Var prompts) {
    return prompts == null ? new Var[0] : new Var[] {prompts};
  }

  /**
   * Ideal points from weights and {@link #contextLatents} rows, as {@link ModelVariant#utilities}
   * forms them (in the same operations, so that a fit on precomputed latents gives the fit through
   * utilities bit for bit). By default {@link #idealLatents} of the context's prompts.
   */
  default Var idealFromContext(Tape tape, Var weights, Var[] context) {
    return idealLatents(tape, weights, context.length == 0 ? null : context[0]);
  }

  /** False when item latents ignore the prompt (PAL-B), so callers need not gather prompt rows per item. */
  default boolean itemsUsePrompts() {
    return true;
  }

  /** Utilities (n x 1) of row-aligned item latents and ideal points. */
  Var utility(Tape tape, Var itemLatents, Var idealLatents);
}
