package org.pal.api;

import org.pal.core.PalException;

/**
 * Whose rewards: a user of the model by id, explicit simplex weights (K non-negative numbers that
 * sum to 1), or the zero-shot point (the mean of the seen users' weights, for someone the model has
 * never seen).
 */
public sealed interface User permits User.Id, User.Weights, User.ZeroShot {

  static User id(String id) {
    return new Id(id);
  }

  static User weights(double... w) {
    return new Weights(w);
  }

  static User zeroShot() {
    return new ZeroShot();
  }

  record Id(String id) implements User {
    public Id {
      if (id == null || id.isEmpty()) throw PalException.badInput("user", id == null ? "null" : "\"\"", "give a non-empty user id");
    }
  }

  record Weights(double[] weights) implements User {
    public Weights {
      if (weights == null || weights.length == 0) throw PalException.badInput("weights", "[]", "give K weights on the simplex");
      double s = 0;
      for (int i = 0; i < weights.length; i++) {
        if (!(weights[i] >= 0) || Double.isInfinite(weights[i])) {
          throw PalException.badInput("weights[" + i + "]", weights[i], "weights lie on the simplex: each must be a finite number >= 0");
        }
        s += weights[i];
      }
      if (Math.abs(s - 1) > 1e-6) throw PalException.badInput("weights (sum)", s, "weights lie on the simplex: they must sum to 1");
      weights = weights.clone();
    }
  }

  record ZeroShot() implements User {}
}
