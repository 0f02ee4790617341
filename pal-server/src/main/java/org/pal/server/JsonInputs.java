package org.pal.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;
import org.pal.api.Input;
import org.pal.api.InputParser;
import org.pal.api.RewardModel;
import org.pal.core.PalException;

/**
 * Request values to {@link Input}s: a JSON string is text ({@code image:PATH} an image inside the
 * images root, when the server has one), an array of numbers a vector of the model's dimension.
 * Every refusal names the field; text is never echoed (only its length).
 */
final class JsonInputs {
  private final RewardModel model;
  private final ServerSettings settings;
  private final InputParser images;

  JsonInputs(RewardModel model, ServerSettings settings) {
    this.model = model;
    this.settings = settings;
    this.images = settings.imagesRoot() == null ? null : new InputParser(settings.imagesRoot());
  }

  Input value(JsonNode v, String field, boolean prompt) {
    if (v == null || v.isNull() || v.isMissingNode()) throw ApiError.bad(field, "missing", "give text, image:PATH or an array of numbers");
    if (v.isTextual()) {
      String s = v.textValue();
      if (s.length() > settings.maxTextChars()) {
        throw ApiError.bad(field, "a string of " + s.length() + " chars", "texts are capped at " + settings.maxTextChars() + " characters");
      }
      if (s.startsWith("image:")) {
        if (images == null) throw ApiError.bad(field, "(image path)", "this server was started without an images root; give text or vectors");
        Path p;
        try {
          p = images.confined(s.substring(6), field);
        } catch (PalException e) {
          p = null;
        }
        // missing, outside the root, malformed or a folder: one answer, which never says what exists outside the root
        if (p == null || !Files.isRegularFile(p)) {
          throw ApiError.bad(field, "(image path)", "names no file under the images root (give a path relative to it, inside it)");
        }
        return Input.image(p);
      }
      return Input.text(s);
    }
    if (v.isArray()) {
      int dim = prompt ? model.promptDim() : model.itemDim();
      if (v.size() != dim) throw ApiError.bad(field, "an array of " + v.size() + " numbers", "vectors have the model's " + (prompt ? "prompt" : "item") + " dimension " + dim);
      float[] x = new float[dim];
      for (int i = 0; i < dim; i++) {
        JsonNode e = v.get(i);
        if (!e.isNumber()) throw ApiError.bad(field + "[" + i + "]", e.getNodeType().toString().toLowerCase(), "vector entries are numbers");
        double d = e.doubleValue();
        if (!Double.isFinite(d) || !Float.isFinite((float) d)) throw ApiError.bad(field + "[" + i + "]", d, "vector entries must be finite");
        x[i] = (float) d;
      }
      return Input.vector(x);
    }
    throw ApiError.bad(field, v.getNodeType().toString().toLowerCase(), "give text, image:PATH or an array of numbers");
  }

  /** Fails on any field of {@code o} outside {@code allowed}, naming it; {@code o} must be an object. */
  static void only(JsonNode o, String where, Set<String> allowed) {
    if (o == null || !o.isObject()) throw ApiError.bad(where, o == null ? "missing" : o.getNodeType().toString().toLowerCase(), "give a JSON object");
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) throw ApiError.bad(where.isEmpty() ? f : where + "." + f, "(unknown field)", "valid fields: " + new java.util.TreeSet<>(allowed));
    }
  }

  static JsonNode array(JsonNode o, String name, String where, int min, int max) {
    JsonNode a = o.get(name);
    String f = where.isEmpty() ? name : where + "." + name;
    if (a == null || a.isNull()) throw ApiError.bad(f, "missing", "give an array");
    if (!a.isArray()) throw ApiError.bad(f, a.getNodeType().toString().toLowerCase(), "give an array");
    if (a.size() < min) throw ApiError.bad(f, "an array of " + a.size(), "give at least " + min);
    if (a.size() > max) throw ApiError.bad(f, "an array of " + a.size(), "at most " + max + " per request");
    return a;
  }
}
