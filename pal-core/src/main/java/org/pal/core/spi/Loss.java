package org.pal.core.spi;

import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/** A training loss: mean over the batch of l(y * margin), labels y in {+1, -1}. */
public interface Loss {
  Var loss(Tape tape, Var margins, Var labels, LinkFunction link);
}
