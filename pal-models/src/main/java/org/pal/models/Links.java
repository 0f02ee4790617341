package org.pal.models;

import org.pal.core.spi.LinkFunction;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/** The built-in monotone links. */
public final class Links {
  private Links() {}

  public record NoSpec() {}

  /** Bradley-Terry-Luce: h(z) = 1 / (1 + e^-z). */
  public static final class Logistic implements LinkFunction {
    @Override
    public double probability(double z) {
      return 1 / (1 + Math.exp(-z));
    }

    @Override
    public Var logProbability(Tape tape, Var x) {
      // log sigmoid(v) = -softplus(-v), computed without overflow; derivative sigmoid(-v)
      return tape.map(x, v -> v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v)), v -> 1 / (1 + Math.exp(v)));
    }
  }

  /** Cauchit: h(z) = 1/2 + atan(z)/pi; heavy tails make it forgiving of confidently wrong labels. */
  public static final class Cauchit implements LinkFunction {
    @Override
    public double probability(double z) {
      return 0.5 + Math.atan(z) / Math.PI;
    }

    @Override
    public Var logProbability(Tape tape, Var x) {
      return tape.map(x, v -> Math.log(probability(v)), v -> 1 / (Math.PI * (1 + v * v) * probability(v)));
    }
  }
}
