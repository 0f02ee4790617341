package org.pal.core.spi;

import java.util.Random;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/**
 * A PAL reward model. Preference is "higher utility wins": Pr(left preferred) = h(u(left) - u(right)).
 * For PAL-A utility is the negated squared distance to the user's ideal point; for PAL-B it is the
 * scaled cosine with the user's prompt-conditioned ideal point.
 */
public interface ModelVariant {
  /**
   * Utilities of several item batches for the same users and prompts.
   *
   * @param weights user weights on the simplex, n x K
   * @param prompts prompt embeddings n x promptDim, or null when the data has no prompts
   * @param items one or more n x itemDim batches; returns one n x 1 utility per batch
   * @param random noise for dropout; null at evaluation time
   */
  Var[] utilities(Tape tape, Var weights, Var prompts, Random random, Var... items);

  /** Number of prototypes K. */
  int k();

  /**
   * How many independent branches {@link #utilities} runs through {@link Tape#branches} (1: none).
   * Training on that many threads may then run the branches side by side instead of splitting the
   * batch ({@link org.pal.core.train.DataParallel}).
   */
  default int branches() {
    return 1;
  }
}
