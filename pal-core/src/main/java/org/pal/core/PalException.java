package org.pal.core;

/**
 * The one exception type of PAL. {@link Kind} says whose fault it is, so that the CLI can map
 * user-input errors to exit code 2 and everything else to 1. Messages name the field, the bad
 * value and the fix; they never contain preference text or prompts (personal data).
 */
public final class PalException extends RuntimeException {
  public enum Kind { USER_INPUT, ENVIRONMENT, INTERNAL }

  private final Kind kind;

  public PalException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public PalException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** A bad value given by the user: names the field, the value, and what would be valid. */
  public static PalException badInput(String field, Object value, String fix) {
    return new PalException(Kind.USER_INPUT, field + " = " + value + ": " + fix);
  }

  public static PalException userInput(String message) {
    return new PalException(Kind.USER_INPUT, message);
  }

  public static PalException environment(String message, Throwable cause) {
    return new PalException(Kind.ENVIRONMENT, message, cause);
  }

  public static PalException internal(String message) {
    return new PalException(Kind.INTERNAL, message);
  }
}
