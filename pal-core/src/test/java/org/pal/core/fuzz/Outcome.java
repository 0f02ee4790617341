package org.pal.core.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.Supplier;
import org.pal.core.PalException;

/**
 * The contract every parser is fuzzed against: a result (which the caller checks, e.g. for finite
 * numbers) or a {@link PalException} of kind user input (exit 2), never any other exception.
 */
public final class Outcome {
  private Outcome() {}

  /** Runs {@code parse}; returns its result, or null when it refused the input properly. */
  public static <T> T of(Supplier<T> parse) {
    try {
      return parse.get();
    } catch (PalException e) {
      assertThat(e.kind()).as("exit 2 for bad input, got %s: %s", e.kind(), e.getMessage()).isEqualTo(PalException.Kind.USER_INPUT);
      assertThat(e.getMessage()).isNotBlank();
      return null;
    } catch (RuntimeException | Error e) {
      throw new AssertionError("not a PalException: " + e, e);
    }
  }

  public static void finite(float[] v) {
    for (float x : v) assertThat(Float.isFinite(x)).as("finite output").isTrue();
  }

  public static void finite(double[] v) {
    for (double x : v) assertThat(Double.isFinite(x)).as("finite output").isTrue();
  }
}
