package org.pal.core.spi;

import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/** A monotone link h with h(0) = 1/2: Pr(left preferred) = h(margin). */
public interface LinkFunction {
  double probability(double margin);

  /** log h(x) element-wise, differentiable. */
  Var logProbability(Tape tape, Var x);
}
