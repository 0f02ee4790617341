package org.pal.models;

import org.pal.core.spi.LinkFunction;
import org.pal.core.spi.Loss;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/** The built-in losses over signed margins y * z. */
public final class Losses {
  private Losses() {}

  /** Negative log-likelihood under the link: -log h(y z). With the logistic link, the logistic loss. */
  public static final class LogLikelihood implements Loss {
    @Override
    public Var loss(Tape tape, Var margins, Var labels, LinkFunction link) {
      Var logp = link.logProbability(tape, tape.mul(margins, labels));
      return tape.map(tape.mean(logp), v -> -v, v -> -1);
    }
  }

  /** Hinge with margin 1: max(0, 1 - y z). Ignores the link (it only ranks). */
  public static final class Hinge implements Loss {
    @Override
    public Var loss(Tape tape, Var margins, Var labels, LinkFunction link) {
      Var yz = tape.mul(margins, labels);
      return tape.mean(tape.map(yz, v -> v < 1 ? 1 - v : 0, v -> v < 1 ? -1 : 0));
    }
  }
}
