package org.pal.datasets;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import org.pal.core.PalException;
import org.pal.core.archive.InputFiles;
import org.pal.core.config.Json;

/**
 * Tabular record files: JSONL read by PAL's own streaming parser (values as their literal text, an
 * id stays text whatever it looks like, errors name the line), CSV/TSV and Parquet through an
 * embedded DuckDB with every CSV column read as text: no column type is guessed from a sample, so
 * a text id after thousands of numeric ones is just another id. Rows come back in file order.
 *
 * <p>Messages name the file, the line (JSONL) or record (CSV, Parquet) and the field, never a
 * value: records hold personal data.
 */
public final class TableFile {
  private TableFile() {}

  public enum Format { JSONL, CSV, PARQUET }

  public static Format format(Path file) {
    String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.endsWith(".jsonl") || n.endsWith(".ndjson") || n.endsWith(".json")) return Format.JSONL;
    if (n.endsWith(".csv") || n.endsWith(".tsv")) return Format.CSV;
    if (n.endsWith(".parquet")) return Format.PARQUET;
    throw PalException.badInput("file", file, "has an unknown extension; use .jsonl, .json, .ndjson, .csv, .tsv or .parquet");
  }

  /** Where a row is, for messages: "file line N" for JSONL, "file record N" otherwise. */
  public static String place(Path file, long row) {
    return file.getFileName() + (format(file) == Format.JSONL ? " line " : " record ") + row;
  }

  private static String source(Path file) {
    String p = file.toAbsolutePath().toString().replace("'", "''");
    return switch (format(file)) {
      case JSONL -> throw PalException.internal("JSONL is read by PAL's own parser");
      case CSV -> "read_csv('" + p + "', header = true, all_varchar = true" + (p.toLowerCase(Locale.ROOT).endsWith(".tsv") ? ", delim = '\t'" : "") + ")";
      case PARQUET -> "read_parquet('" + p + "')";
    };
  }

  /** The column names of a file (for JSONL: every key of any line, in order of first appearance). */
  public static List<String> columns(Path file) {
    requireFile(file);
    if (format(file) == Format.JSONL) {
      Set<String> keys = new LinkedHashSet<>();
      readJsonl(file, null, (row, fields) -> keys.addAll(fields.keySet()), e -> { });
      return new ArrayList<>(keys);
    }
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("DESCRIBE SELECT * FROM " + source(file))) {
      List<String> cols = new ArrayList<>();
      while (r.next()) cols.add(r.getString(1));
      return cols;
    } catch (SQLException e) {
      throw unreadable(file, e);
    }
  }

  /** The values of one column as text, in file order; a missing value stays null. */
  public static List<String> readColumn(Path file, String column) {
    List<String> cols = columns(file);
    if (!cols.contains(column)) throw PalException.badInput("column", column, "is not a column of " + file + "; its columns: " + cols);
    List<String> out = new ArrayList<>();
    scan(file, List.of(column), (row, v) -> out.add(v[0]));
    return out;
  }

  /** Receives one row: values as text (null when absent) in the order of the requested columns. */
  @FunctionalInterface
  public interface RowConsumer {
    /** @param row the line number (JSONL) or record number (others), from 1: see {@link #place} */
    void accept(long row, String[] values);
  }

  /** Streams the given columns of every row in file order; a row that cannot be read fails the scan. */
  public static void scan(Path file, List<String> wanted, RowConsumer consumer) {
    scan(file, wanted, consumer, e -> { throw e; });
  }

  /**
   * Streams the given columns of every row in file order; columns absent from the file come back as
   * null (callers decide which are required). A row that cannot be read at all (a JSONL line that is
   * not a JSON object of texts and numbers) goes to {@code invalid}, which may rethrow or count it.
   */
  public static void scan(Path file, List<String> wanted, RowConsumer consumer, Consumer<PalException> invalid) {
    requireFile(file);
    if (format(file) == Format.JSONL) {
      readJsonl(file, wanted, (row, fields) -> {
        String[] values = new String[wanted.size()];
        for (int i = 0; i < values.length; i++) values[i] = fields.get(wanted.get(i));
        consumer.accept(row, values);
      }, invalid);
      return;
    }
    List<String> cols = columns(file);
    StringBuilder q = new StringBuilder("SELECT ");
    for (int i = 0; i < wanted.size(); i++) {
      if (i > 0) q.append(", ");
      String c = wanted.get(i);
      q.append(cols.contains(c) ? "CAST(\"" + c.replace("\"", "\"\"") + "\" AS VARCHAR)" : "NULL");
    }
    q.append(" FROM ").append(source(file));
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(q.toString())) {
      long row = 0;
      String[] values = new String[wanted.size()];
      while (r.next()) {
        row++;
        for (int i = 0; i < values.length; i++) values[i] = r.getString(i + 1);
        consumer.accept(row, values);
      }
    } catch (SQLException e) {
      throw unreadable(file, e);
    }
  }

  /** Receives one row as JDBC objects (BLOBs as byte[]), columns in the requested order. */
  @FunctionalInterface
  public interface RawRowConsumer {
    void accept(long row, Object[] values);
  }

  /** For Parquet with binary columns (encoded images): values keep their types, BLOBs arrive as byte arrays. */
  public static void scanRaw(Path file, List<String> wanted, RawRowConsumer consumer) {
    if (format(file) != Format.PARQUET) throw PalException.internal("scanRaw reads Parquet only");
    List<String> cols = columns(file);
    StringBuilder q = new StringBuilder("SELECT ");
    for (int i = 0; i < wanted.size(); i++) {
      if (i > 0) q.append(", ");
      String c = wanted.get(i);
      q.append(cols.contains(c) ? "\"" + c.replace("\"", "\"\"") + "\"" : "NULL");
    }
    q.append(" FROM ").append(source(file));
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(q.toString())) {
      long row = 0;
      while (r.next()) {
        row++;
        Object[] values = new Object[wanted.size()];
        for (int i = 0; i < values.length; i++) {
          Object o = r.getObject(i + 1);
          if (o instanceof java.sql.Blob b) o = b.getBytes(1, (int) b.length());
          values[i] = o;
        }
        consumer.accept(row, values);
      }
    } catch (SQLException e) {
      throw unreadable(file, e);
    }
  }

  // ---------------------------------------------------------------- JSONL

  @FunctionalInterface
  interface FieldsConsumer {
    void accept(long line, java.util.Map<String, String> fields);
  }

  /**
   * One JSON object per line; blank lines are skipped. A value is kept as its literal text: a
   * string's content, a number as written (so id 007 in a string stays "007", 1.0 stays "1.0"),
   * true/false; null is absent. Objects and arrays as values, duplicate keys, bad UTF-8 or JSON make
   * the line invalid.
   */
  static void readJsonl(Path file, List<String> wanted, FieldsConsumer consumer, Consumer<PalException> invalid) {
    var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder), 1 << 16)) {
      long line = 0;
      String text;
      while (true) {
        try {
          text = in.readLine();
        } catch (CharacterCodingException e) {
          throw PalException.badInput("file", file, "is not UTF-8 text (near line " + (line + 1) + ")");
        }
        if (text == null) break;
        line++;
        if (text.isBlank()) continue;
        java.util.Map<String, String> fields;
        try {
          fields = parseLine(text, wanted);
        } catch (PalException e) {
          invalid.accept(PalException.userInput(place(file, line) + ": " + e.getMessage()));
          continue;
        }
        consumer.accept(line, fields);
      }
    } catch (IOException e) {
      throw PalException.environment("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  static java.util.Map<String, String> parseLine(String text, List<String> wanted) {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    try (JsonParser p = Json.parser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw PalException.userInput("not a JSON object");
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        boolean keep = wanted == null || wanted.contains(name);
        switch (v) {
          case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> { if (keep) out.put(name, p.getText()); else out.put(name, ""); }
          case VALUE_TRUE, VALUE_FALSE -> { if (keep) out.put(name, p.getText()); else out.put(name, ""); }
          case VALUE_NULL -> { if (wanted == null) out.put(name, ""); }
          case START_OBJECT, START_ARRAY -> {
            if (keep) throw PalException.userInput("field '" + name + "' must be text or a number, not " + (v == JsonToken.START_OBJECT ? "an object" : "an array"));
            p.skipChildren();
            out.put(name, "");
          }
          default -> throw PalException.userInput("not valid JSON");
        }
      }
      if (t != JsonToken.END_OBJECT) throw PalException.userInput("not valid JSON");
      if (p.nextToken() != null) throw PalException.userInput("more than one JSON value on the line");
      return out;
    } catch (StreamConstraintsException e) {
      throw PalException.userInput("not valid JSON (nesting or a number beyond PAL's limits)");
    } catch (JsonProcessingException e) {
      // Jackson's own message can quote the text around the error: only the column is kept
      String dup = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field") ? ", a field appears twice" : "";
      throw PalException.userInput("not valid JSON (column " + (e.getLocation() == null ? "?" : e.getLocation().getColumnNr()) + dup + ")");
    } catch (IOException e) {
      throw PalException.userInput("not valid JSON");
    }
  }

  // ---------------------------------------------------------------- DuckDB

  private static void requireFile(Path file) {
    format(file);
    InputFiles.requireFile(file);
  }

  private static Connection connect() throws SQLException {
    try {
      Class.forName("org.duckdb.DuckDBDriver");
    } catch (ClassNotFoundException e) {
      throw PalException.environment("DuckDB's JDBC driver is not on the class path", e);
    }
    Connection c = DriverManager.getConnection("jdbc:duckdb:");
    try (Statement s = c.createStatement()) {
      s.execute("SET preserve_insertion_order = true");
    }
    return c;
  }

  private static PalException unreadable(Path file, SQLException e) {
    // DuckDB quotes offending lines in its messages: keep only the kind of error (records are personal data)
    String msg = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
    int at = msg.indexOf("Error");
    String kind = at > 0 ? msg.substring(0, at + 5).trim() : "error";
    return PalException.userInput(file + " cannot be read as " + format(file) + " (" + kind + "); check that the content matches the extension");
  }
}
