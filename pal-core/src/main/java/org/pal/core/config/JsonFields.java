package org.pal.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import org.pal.core.PalException;

/**
 * Strict reading of single fields from JSON rows (comparison lists, manifests): an id is a
 * non-empty string, a row number is a whole number in range, a label is 1, 0 or -1. Jackson's
 * lenient {@code asText()}/{@code asInt()} would turn {@code {"a": 1}} into an empty id and 1.5 into
 * row 1. Messages name the place and the field, never an id's value (ids can be personal data).
 */
public final class JsonFields {
  private JsonFields() {}

  public static JsonNode required(JsonNode row, String field, String where) {
    JsonNode v = row == null ? null : row.get(field);
    if (v == null || v.isNull()) throw PalException.userInput(where + ": field '" + field + "' is missing");
    return v;
  }

  /** A user (or other) id: a non-blank string. */
  public static String id(JsonNode row, String field, String where) {
    JsonNode v = required(row, field, where);
    if (!v.isTextual()) throw PalException.userInput(where + ": field '" + field + "' must be a string (ids are text), found " + kind(v));
    if (v.asText().isBlank()) throw PalException.userInput(where + ": field '" + field + "' is empty");
    return v.asText();
  }

  /** A row index in {@code [0, bound)}: a whole number, not 1.5, "3" or 1e100. */
  public static int row(JsonNode row, String field, int bound, String where) {
    JsonNode v = required(row, field, where);
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw PalException.badInput(where + " " + field, shown(v), "must be a whole row number in 0.." + (bound - 1));
    }
    int r = v.intValue();
    if (r < 0 || r >= bound) throw PalException.badInput(where + " " + field, r, "must be a row number in 0.." + (bound - 1));
    return r;
  }

  /** A preference label: 1 (left preferred) is +1; -1 and 0 (right preferred) are -1. */
  public static int label(JsonNode row, String field, String where) {
    JsonNode v = required(row, field, where);
    if (v.isNumber() && !v.isBigDecimal() && !v.isBigInteger()) {
      double d = v.doubleValue();
      if (d == 1) return 1;
      if (d == 0 || d == -1) return -1;
    }
    throw PalException.badInput(where + " " + field, shown(v), "must be 1 (left preferred), -1 or 0 (right preferred)");
  }

  private static String kind(JsonNode v) {
    return v.isNumber() ? "a number" : v.isBoolean() ? "a boolean" : v.isObject() ? "an object" : v.isArray() ? "an array" : v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }

  /** Numbers are shown (they are row numbers or labels, not personal data); anything else only by its kind. */
  private static String shown(JsonNode v) {
    return v.isNumber() ? v.toString() : "(" + kind(v) + ")";
  }
}
