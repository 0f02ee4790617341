package org.pal.models;

import java.util.Random;
import org.pal.core.PalException;
import org.pal.core.spi.SimplexMap;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;

/** The built-in maps from user logits to simplex weights. */
public final class SimplexMaps {
  private SimplexMaps() {}

  public record TemperatureSpec(Double temperature) {
    public TemperatureSpec {
      if (temperature == null) temperature = 1.0;
      if (!(temperature > 0)) throw PalException.badInput("temperature", temperature, "must be positive");
    }
  }

  /** w = softmax(theta / T). */
  public static final class Softmax implements SimplexMap {
    private final double t;

    public Softmax(TemperatureSpec spec) {
      this.t = spec.temperature();
    }

    @Override
    public Var weights(Tape tape, Var logits, Random random) {
      return tape.softmaxRows(logits, t);
    }
  }

  /** Training: softmax((theta + Gumbel noise) / T), a relaxed sample; evaluation: softmax(theta / T). */
  public static final class GumbelSoftmax implements SimplexMap {
    private final double t;

    public GumbelSoftmax(TemperatureSpec spec) {
      this.t = spec.temperature();
    }

    @Override
    public Var weights(Tape tape, Var logits, Random random) {
      if (random == null) return tape.softmaxRows(logits, t);
      Mat noise = tape.alloc(logits.rows(), logits.cols());
      for (int i = 0; i < noise.size(); i++) {
        double u = Math.max(random.nextDouble(), 1e-20);
        noise.set(i, -Math.log(-Math.log(u) + 1e-20));
      }
      return tape.softmaxRows(tape.add(logits, tape.constant(noise)), t);
    }
  }

  /**
   * Users belong to one prototype: training uses softmax(theta / T) so the choice is learnable;
   * evaluation uses the hard argmax (a one-hot weight vector).
   */
  public static final class Partition implements SimplexMap {
    private final double t;

    public Partition(TemperatureSpec spec) {
      this.t = spec.temperature();
    }

    @Override
    public Var weights(Tape tape, Var logits, Random random) {
      if (random != null) return tape.softmaxRows(logits, t);
      Mat hard = tape.alloc(logits.rows(), logits.cols());
      int k = logits.cols();
      for (int i = 0; i < logits.rows(); i++) {
        int arg = 0;
        for (int j = 1; j < k; j++) if (logits.value().get(i, j) > logits.value().get(i, arg)) arg = j;
        for (int j = 0; j < k; j++) hard.set(i, j, j == arg ? 1 : 0);
      }
      return tape.constant(hard);
    }
  }
}
