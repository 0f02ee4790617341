package org.pal.core.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.pal.core.PalException;
import org.pal.core.archive.InputFiles;

/**
 * The project's one JSON setup. Reading is strict: unknown fields, duplicate keys, an explicit
 * {@code null}, a fraction or a string where a whole number belongs are errors naming the path;
 * nesting depth and number length are bounded, so hostile input is an error, not a crash. Writing
 * never emits NaN or infinity (they become {@code null}: "undefined") and omits absent fields.
 */
public final class Json {
  /** Deep enough for any config; a 100,000-deep document is refused before it is built. */
  public static final int MAX_DEPTH = 200;
  /** Digits in one number literal (a double needs at most ~25). */
  public static final int MAX_NUMBER_LENGTH = 100;

  private static final ObjectMapper STRICT = strictMapper();

  private Json() {}

  public static JsonFactory factory() {
    return JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).maxNumberLength(MAX_NUMBER_LENGTH).build())
        .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
  }

  public static ObjectMapper strictMapper() {
    SimpleModule finite = new SimpleModule("finite-numbers");
    finite.addSerializer(Double.class, new FiniteDouble());
    finite.addSerializer(double.class, new FiniteDouble());
    ObjectMapper m = JsonMapper.builder(factory())
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .enable(SerializationFeature.INDENT_OUTPUT)
        .serializationInclusion(JsonInclude.Include.NON_NULL)
        .addModule(finite)
        .build();
    return m;
  }

  /** Non-finite doubles are written as null: JSON has no NaN, and an output never carries one. */
  private static final class FiniteDouble extends StdSerializer<Double> {
    FiniteDouble() {
      super(Double.class);
    }

    @Override
    public void serialize(Double v, JsonGenerator g, SerializerProvider p) throws IOException {
      if (v == null || !Double.isFinite(v)) g.writeNull();
      else g.writeNumber(v);
    }
  }

  public static ObjectMapper mapper() {
    return STRICT;
  }

  /** JSON text to a tree; malformed text is a user error naming the problem. */
  public static JsonNode parse(String json) {
    try {
      return mapper().readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw org.pal.core.PalException.userInput("not valid JSON: " + e.getOriginalMessage());
    }
  }

  public static JsonNode readTree(Path file) {
    String text = InputFiles.readText(file);
    try {
      return STRICT.readTree(text);
    } catch (JsonProcessingException e) {
      throw PalException.userInput(file + ": not valid JSON" + where(e) + ": " + reason(e));
    }
  }

  /** Parses JSON text from somewhere other than a file ({@code source} names it in errors). */
  public static JsonNode parse(String text, String source) {
    try {
      JsonNode n = STRICT.readTree(text);
      if (n == null || n.isMissingNode()) throw PalException.userInput(source + ": empty; expected JSON");
      return n;
    } catch (JsonProcessingException e) {
      throw PalException.userInput(source + ": not valid JSON" + where(e) + ": " + reason(e));
    }
  }

  private static String where(JsonProcessingException e) {
    // constraint violations carry no location
    return e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
  }

  private static String reason(JsonProcessingException e) {
    if (e instanceof StreamConstraintsException) {
      return e.getOriginalMessage().replaceAll("\\s*\\(.*\\)\\s*$", "") + " (nesting depth at most " + MAX_DEPTH
          + ", number literals at most " + MAX_NUMBER_LENGTH + " characters)";
    }
    return e.getOriginalMessage();
  }

  public static <T> T bind(ObjectMapper mapper, JsonNode node, Class<T> type, String path) {
    rejectNulls(node, path);
    try {
      return mapper.treeToValue(node, type);
    } catch (UnrecognizedPropertyException e) {
      List<String> known = new ArrayList<>();
      if (e.getKnownPropertyIds() != null) for (Object o : e.getKnownPropertyIds()) known.add(String.valueOf(o));
      known.sort(null);
      throw PalException.userInput(join(path, e) + ": unknown field '" + e.getPropertyName() + "'; valid fields: " + known);
    } catch (InvalidNullException e) {
      throw PalException.userInput(join(path, e) + " = null: give a value, or leave the field out for its default");
    } catch (InvalidFormatException e) {
      Class<?> t = e.getTargetType();
      boolean whole = t == Integer.class || t == int.class || t == Long.class || t == long.class;
      throw PalException.userInput(join(path, e) + " = " + e.getValue() + ": expected " + (whole ? "a whole number" : t.getSimpleName()));
    } catch (MismatchedInputException e) {
      Class<?> t = e.getTargetType();
      boolean whole = t == Integer.class || t == int.class || t == Long.class || t == long.class;
      throw PalException.userInput(join(path, e) + ": " + (whole ? "expected a whole number" : "expected " + (t == null ? "another type" : t.getSimpleName()))
          + " (" + e.getOriginalMessage().lines().findFirst().orElse("") + ")");
    } catch (JsonMappingException e) {
      Throwable root = e;
      while (root.getCause() != null) root = root.getCause();
      String msg = root instanceof PalException ? root.getMessage() : e.getOriginalMessage();
      throw PalException.userInput(join(path, e) + ": " + msg);
    } catch (JsonProcessingException e) {
      throw PalException.userInput(path + ": " + e.getOriginalMessage());
    } catch (IllegalArgumentException e) {
      throw PalException.userInput(path + ": " + e.getMessage());
    }
  }

  /**
   * An explicit null is an error, not "use the default": {@code "epochs": null} is more likely a
   * templating slip than a wish. (Absent fields take their defaults.)
   */
  private static void rejectNulls(JsonNode node, String path) {
    if (node == null) return;
    if (node.isObject()) {
      var it = node.fields();
      while (it.hasNext()) {
        var e = it.next();
        String p = path + "." + e.getKey();
        if (e.getValue().isNull()) throw PalException.userInput(p + " = null: give a value, or leave the field out for its default");
        rejectNulls(e.getValue(), p);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        if (node.get(i).isNull()) throw PalException.userInput(path + "[" + i + "] = null: give a value");
        rejectNulls(node.get(i), path + "[" + i + "]");
      }
    }
  }

  private static String join(String path, JsonMappingException e) {
    String inner = e.getPath().stream()
        .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining());
    // the last reference is the unknown field itself for UnrecognizedPropertyException
    if (e instanceof UnrecognizedPropertyException && !e.getPath().isEmpty()) {
      inner = inner.substring(0, inner.lastIndexOf(e.getPath().get(e.getPath().size() - 1).getFieldName() != null ? "." : "["));
    }
    return path + inner;
  }

  public static String write(Object value) {
    try {
      return STRICT.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw PalException.internal("cannot serialise " + value.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /** A parser with the project's limits, for streaming readers (records). */
  public static JsonParser parser(String text) throws IOException {
    return STRICT.getFactory().createParser(text);
  }
}
