package org.pal.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.pal.core.PalException;

/** The project's one JSON setup: strict binding with errors that name the path and the valid fields. */
public final class Json {
  private static final ObjectMapper STRICT = strictMapper();

  private Json() {}

  public static ObjectMapper strictMapper() {
    return new ObjectMapper()
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(SerializationFeature.INDENT_OUTPUT);
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
    try {
      return STRICT.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw PalException.badInput("file", file, "does not exist; check the path");
    } catch (JsonProcessingException e) {
      throw PalException.userInput(file + ": not valid JSON at line " + e.getLocation().getLineNr()
          + ", column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw PalException.environment(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  public static <T> T bind(ObjectMapper mapper, JsonNode node, Class<T> type, String path) {
    try {
      return mapper.treeToValue(node, type);
    } catch (UnrecognizedPropertyException e) {
      List<String> known = new ArrayList<>();
      if (e.getKnownPropertyIds() != null) for (Object o : e.getKnownPropertyIds()) known.add(String.valueOf(o));
      known.sort(null);
      throw PalException.userInput(join(path, e) + ": unknown field '" + e.getPropertyName() + "'; valid fields: " + known);
    } catch (InvalidFormatException e) {
      throw PalException.userInput(join(path, e) + " = " + e.getValue() + ": expected " + e.getTargetType().getSimpleName());
    } catch (JsonMappingException e) {
      Throwable root = e;
      while (root.getCause() != null) root = root.getCause();
      String msg = root instanceof PalException ? root.getMessage() : e.getOriginalMessage();
      throw PalException.userInput(join(path, e) + ": " + msg);
    } catch (JsonProcessingException e) {
      throw PalException.userInput(path + ": " + e.getOriginalMessage());
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
}
