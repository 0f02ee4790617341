package org.pal.datasets;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.pal.core.PalException;

/**
 * Tabular record files (JSONL, CSV/TSV, Parquet) read through an embedded DuckDB, one engine for
 * all three. Rows come back in file order.
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

  private static String source(Path file) {
    String p = file.toAbsolutePath().toString().replace("'", "''");
    return switch (format(file)) {
      case JSONL -> "read_json_auto('" + p + "', format = 'newline_delimited')";
      case CSV -> "read_csv_auto('" + p + "', header = true" + (p.toLowerCase(Locale.ROOT).endsWith(".tsv") ? ", delim = '\t'" : "") + ")";
      case PARQUET -> "read_parquet('" + p + "')";
    };
  }

  /** The column names of a file. */
  public static List<String> columns(Path file) {
    requireFile(file);
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("DESCRIBE SELECT * FROM " + source(file))) {
      List<String> cols = new ArrayList<>();
      while (r.next()) cols.add(r.getString(1));
      return cols;
    } catch (SQLException e) {
      throw unreadable(file, e);
    }
  }

  /** The values of one column as text, in file order; SQL NULL stays null. */
  public static List<String> readColumn(Path file, String column) {
    List<String> cols = columns(file);
    if (!cols.contains(column)) throw PalException.badInput("--column", column, "is not a column of " + file + "; columns: " + cols);
    String q = "SELECT CAST(\"" + column.replace("\"", "\"\"") + "\" AS VARCHAR) FROM " + source(file);
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(q)) {
      List<String> out = new ArrayList<>();
      while (r.next()) out.add(r.getString(1));
      return out;
    } catch (SQLException e) {
      throw unreadable(file, e);
    }
  }

  /** Receives one row: values as text (null for SQL NULL) in the order of the requested columns. */
  @FunctionalInterface
  public interface RowConsumer {
    void accept(long row, String[] values);
  }

  /**
   * Streams the given columns of every row in file order; columns absent from the file come back
   * as null (callers decide which are required). Rows are numbered from 1.
   */
  public static void scan(Path file, List<String> wanted, RowConsumer consumer) {
    String[] values = new String[wanted.size()];
    scanRaw(file, wanted, (row, raw) -> {
      for (int i = 0; i < values.length; i++) values[i] = raw[i] == null ? null : String.valueOf(raw[i]);
      consumer.accept(row, values);
    });
  }

  /** Receives one row as JDBC objects (BLOBs as byte[]), columns in the requested order. */
  @FunctionalInterface
  public interface RawRowConsumer {
    void accept(long row, Object[] values);
  }

  /** Like {@link #scan} but keeps types: BLOB columns (encoded images) arrive as byte arrays. */
  public static void scanRaw(Path file, List<String> wanted, RawRowConsumer consumer) {
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

  private static void requireFile(Path file) {
    if (!Files.isRegularFile(file)) throw PalException.badInput("file", file, "does not exist or is not a file");
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
    String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
    return PalException.userInput(file + " cannot be read as " + format(file) + " (" + msg + "); check that the content matches the extension");
  }
}
