package org.pal.server;

import org.pal.core.PalException;

/**
 * An answer other than 200, as {@code {"error": {"field", "value", "message"}}}. Values that could be
 * personal text are never put here (callers pass a description such as "a string of 30000 chars").
 */
final class ApiError extends RuntimeException {
  final int status;
  final String field;
  final String value;

  ApiError(int status, String field, Object value, String message) {
    super(message, null, false, false);
    this.status = status;
    this.field = field;
    this.value = value == null ? null : String.valueOf(value);
  }

  static ApiError bad(String field, Object value, String message) {
    return new ApiError(400, field, value, message);
  }

  static ApiError notFound(String field, Object value, String message) {
    return new ApiError(404, field, value, message);
  }

  private static final java.util.regex.Pattern FIELD_VALUE = java.util.regex.Pattern.compile("^(\\S[^=]*?) = (.*?): (.*)$", java.util.regex.Pattern.DOTALL);

  /**
   * A library error as an answer: the user's fault is a 400 naming the field the message names
   * ("field = value: fix"); anything else a 500 whose message says only what kind of failure it was.
   */
  static ApiError of(PalException e) {
    if (e.kind() != PalException.Kind.USER_INPUT) {
      return new ApiError(e.kind() == PalException.Kind.ENVIRONMENT ? 503 : 500, null, null,
          e.kind() == PalException.Kind.ENVIRONMENT ? "the server's environment failed (encoder or disk); try again later" : "internal error");
    }
    var m = FIELD_VALUE.matcher(e.getMessage());
    if (m.matches()) return new ApiError(400, m.group(1), m.group(2), m.group(3));
    return new ApiError(400, null, null, e.getMessage());
  }
}
