package org.pal.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.pal.core.PalException;
import org.pal.core.archive.Npy;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.PalConfig;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Splits;
import org.pal.core.data.Table;
import org.pal.core.spi.DatasetSource;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ImageEmbedder;

/**
 * The generic record format: one comparison per row of a JSONL, CSV or Parquet file with
 * {@code user_id}, optional {@code prompt}, and either {@code left}, {@code right}, {@code label}
 * (1 = left preferred; -1 or 0 = right) or {@code chosen}, {@code rejected}. A prompt or response is
 * text, {@code image:PATH} (through an image encoder), or {@code npy:PATH#ROW} (a precomputed vector:
 * row ROW of a .npy file); paths are relative to the record file. Values are deduplicated into the
 * prompt and item tables, so memory grows with distinct values, not with records. Splits are
 * seeded ({@link Splits#bySeed}).
 */
public final class RecordsDataset implements DatasetSource {
  public record Spec(String path, JsonNode encoder, Double unseenShare, Double validationShare, Double testShare, Boolean skipInvalid) {
    public Spec {
      if (path == null) throw PalException.badInput("path", "null", "give the record file (.jsonl, .csv or .parquet)");
      if (encoder == null) encoder = PalConfig.typed("onnx-sentence");
      if (unseenShare == null) unseenShare = 0.2;
      if (validationShare == null) validationShare = 0.1;
      if (testShare == null) testShare = 0.2;
      if (skipInvalid == null) skipInvalid = false;
    }
  }

  /** What loading saw: rows read, rows skipped with --skip-invalid, and the first few reasons. */
  public record LoadReport(long rows, long skipped, List<String> problems) {}

  private final Spec spec;
  private final ComponentRegistry registry;
  private LoadReport report;
  private PreferenceDataset cached;

  public RecordsDataset(Spec spec, ComponentRegistry registry) {
    this.spec = spec;
    this.registry = registry;
  }

  public LoadReport loadReport() {
    return report;
  }

  @Override
  public Map<String, Object> report() {
    if (report == null) return Map.of();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("records", report.rows());
    m.put("skipped", report.skipped());
    if (!report.problems().isEmpty()) m.put("firstProblems", report.problems());
    return m;
  }

  @Override
  public com.fasterxml.jackson.databind.JsonNode encoder() {
    return spec.encoder();
  }

  @Override
  public SplitDataset load(long seed) {
    return Splits.bySeed(data(), spec.unseenShare(), spec.validationShare(), spec.testShare(), seed);
  }

  /** The deduplicated, embedded dataset (read once, then reused for every seed). */
  public synchronized PreferenceDataset data() {
    if (cached == null) cached = read();
    return cached;
  }

  private PreferenceDataset read() {
    Path file = Path.of(spec.path());
    Path base = file.toAbsolutePath().getParent();
    List<String> cols = TableFile.columns(file);
    boolean chosenForm = cols.contains("chosen") || cols.contains("rejected");
    boolean hasPrompt = cols.contains("prompt");
    for (String req : chosenForm ? List.of("user_id", "chosen", "rejected") : List.of("user_id", "left", "right", "label")) {
      if (!cols.contains(req)) {
        throw PalException.badInput(file + " columns", cols, "the record format needs user_id, prompt (optional) and left, right, label or chosen, rejected; '" + req + "' is missing");
      }
    }
    Map<String, Integer> users = new LinkedHashMap<>(), prompts = new LinkedHashMap<>(), items = new LinkedHashMap<>();
    IntList user = new IntList(), prompt = new IntList(), left = new IntList(), right = new IntList(), label = new IntList();
    long[] counts = new long[2];
    List<String> problems = new ArrayList<>();
    List<String> want = List.of("user_id", "prompt", chosenForm ? "chosen" : "left", chosenForm ? "rejected" : "right", "label");
    TableFile.scan(file, want, (row, v) -> {
      counts[0]++;
      String where = file.getFileName() + " row " + row;
      try {
        String u = required(v[0], where, "user_id");
        String p = hasPrompt ? required(v[1], where, "prompt") : null;
        String l = required(v[2], where, chosenForm ? "chosen" : "left"), r = required(v[3], where, chosenForm ? "rejected" : "right");
        int y = chosenForm ? 1 : parseLabel(v[4], where);
        if (chosenForm && (row * 0x9E3779B97F4A7C15L >>> 63) == 1) { String t = l; l = r; r = t; y = -1; } // no position signal
        user.add(users.computeIfAbsent(u, k -> users.size()));
        prompt.add(p == null ? -1 : prompts.computeIfAbsent(p, k -> prompts.size()));
        left.add(items.computeIfAbsent(l, k -> items.size()));
        right.add(items.computeIfAbsent(r, k -> items.size()));
        label.add(y);
      } catch (PalException e) {
        if (!spec.skipInvalid()) throw e;
        counts[1]++;
        if (problems.size() < 10) problems.add(e.getMessage());
      }
    });
    if (user.size == 0) throw PalException.badInput(file.toString(), "no valid records", counts[1] > 0 ? "all " + counts[1] + " rows were invalid: " + problems : "the file is empty");
    this.report = new LoadReport(counts[0], counts[1], problems);
    Table itemTable = table("items", new ArrayList<>(items.keySet()), base);
    Table promptTable = hasPrompt ? table("prompts", new ArrayList<>(prompts.keySet()), base) : null;
    byte[] labels = new byte[label.size];
    for (int i = 0; i < labels.length; i++) labels[i] = (byte) label.a[i];
    return new PreferenceDataset(itemTable, promptTable, new ArrayList<>(users.keySet()),
        new Pairs(user.array(), prompt.array(), left.array(), right.array(), labels));
  }

  private static String required(String v, String where, String field) {
    if (v == null || v.isBlank()) throw PalException.badInput(where + " " + field, v == null ? "missing" : "\"\"", "every record needs " + field);
    return v;
  }

  public static int parseLabel(String v, String where) {
    if (v == null) throw PalException.badInput(where + " label", "missing", "must be 1 (left preferred), -1 or 0 (right preferred)");
    switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "1", "1.0", "+1", "true": return 1;
      case "-1", "-1.0", "0", "0.0", "false": return -1;
      default: throw PalException.badInput(where + " label", v, "must be 1 (left preferred), -1 or 0 (right preferred)");
    }
  }

  /** Turns distinct values into vectors: texts through the encoder, npy: rows read, image: files through the image encoder. */
  private Table table(String name, List<String> values, Path base) {
    float[][] vecs = new float[values.size()][];
    List<Integer> textAt = new ArrayList<>(), imageAt = new ArrayList<>();
    Map<Path, Npy.Array> npys = new HashMap<>();
    for (int i = 0; i < values.size(); i++) {
      String v = values.get(i);
      if (v.startsWith("npy:")) {
        int hash = v.lastIndexOf('#');
        if (hash < 0) throw PalException.badInput(name + " value", v, "vector references look like npy:FILE.npy#ROW");
        Path f = base.resolve(v.substring(4, hash));
        int row;
        try {
          row = Integer.parseInt(v.substring(hash + 1));
        } catch (NumberFormatException e) {
          throw PalException.badInput(name + " value", v, "the row after # must be a whole number");
        }
        Npy.Array a = npys.computeIfAbsent(f, Npy::read);
        if (row < 0 || row >= a.rows()) throw PalException.badInput(name + " value", v, f + " has rows 0.." + (a.rows() - 1));
        float[] x = new float[a.cols()];
        for (int j = 0; j < x.length; j++) x[j] = (float) a.values()[row * a.cols() + j];
        vecs[i] = x;
      } else if (v.startsWith("image:")) {
        imageAt.add(i);
      } else {
        textAt.add(i);
      }
    }
    if (!textAt.isEmpty() || !imageAt.isEmpty()) {
      try (Embedder e = registry.embedder(spec.encoder())) {
        if (!textAt.isEmpty()) fill(vecs, textAt, idx -> e.embed(idx.stream().map(values::get).toList()));
        if (!imageAt.isEmpty()) {
          if (!(e instanceof ImageEmbedder ie)) throw PalException.badInput("encoder.type", spec.encoder().path("type"), "the records contain image: values; use onnx-clip");
          fill(vecs, imageAt, idx -> ie.embedImages(idx.stream().map(i -> base.resolve(values.get(i).substring(6))).toList()));
        }
      }
    }
    int dim = vecs[0].length;
    float[] data = new float[values.size() * dim];
    for (int i = 0; i < vecs.length; i++) {
      if (vecs[i].length != dim) {
        throw PalException.badInput(name + " value " + describe(values.get(i)), vecs[i].length + " numbers", "every " + name + " vector must have the table's dimension " + dim);
      }
      System.arraycopy(vecs[i], 0, data, i * dim, dim);
    }
    return new Table(name, data, values.size(), dim).requireFinite();
  }

  private static String describe(String v) {
    return v.startsWith("npy:") || v.startsWith("image:") ? v : "(text)"; // texts are personal data: never in messages
  }

  private static void fill(float[][] vecs, List<Integer> at, Function<List<Integer>, float[][]> embed) {
    int chunk = 4096;
    for (int from = 0; from < at.size(); from += chunk) {
      List<Integer> part = at.subList(from, Math.min(at.size(), from + chunk));
      float[][] v = embed.apply(part);
      for (int j = 0; j < part.size(); j++) vecs[part.get(j)] = v[j];
    }
  }

  /** A growable int array: records are counted in millions. */
  static final class IntList {
    int[] a = new int[1024];
    int size;

    void add(int v) {
      if (size == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
      a[size++] = v;
    }

    int[] array() {
      return java.util.Arrays.copyOf(a, size);
    }
  }
}
