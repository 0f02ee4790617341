package org.pal.core.spi;

import java.util.Random;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/** A learned map R^in -> R^out applied row-wise (the paper's f and g_k). */
public interface Projector {
  /** @param random noise source for dropout; null at evaluation time. */
  Var apply(Tape tape, Var x, Random random);

  int inDim();

  int outDim();
}
