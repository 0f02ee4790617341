package org.pal.core.spi;

import java.util.Random;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/** Turns free user logits (n x K) into weights on the K-simplex. */
public interface SimplexMap {
  /** @param random noise source in training (gumbel), null at evaluation time. */
  Var weights(Tape tape, Var logits, Random random);
}
