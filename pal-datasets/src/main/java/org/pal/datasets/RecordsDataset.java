package org.pal.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.pal.core.PalException;
import org.pal.core.archive.ConfinedPaths;
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
 * row ROW of a .npy file); paths are relative to the record file's folder (or {@code dataRoot}) and
 * may not leave it. Values are deduplicated into the
 * prompt and item tables, so memory grows with distinct values, not with records. Splits are
 * seeded ({@link Splits#bySeed}).
 */
public final class RecordsDataset implements DatasetSource {
  /**
   * @param dataRoot the folder npy: and image: paths must stay in (default: the record file's folder)
   */
  public record Spec(String path, JsonNode encoder, Double unseenShare, Double validationShare, Double testShare, Boolean skipInvalid,
                     String dataRoot) {
    public Spec {
      if (path == null) throw PalException.badInput("path", "null", "give the record file (.jsonl, .csv or .parquet)");
      if (encoder == null) encoder = PalConfig.typed("onnx-sentence");
      if (unseenShare == null) unseenShare = 0.2;
      if (validationShare == null) validationShare = 0.1;
      if (testShare == null) testShare = 0.2;
      if (skipInvalid == null) skipInvalid = false;
    }

    public Spec(String path, JsonNode encoder, Double unseenShare, Double validationShare, Double testShare, Boolean skipInvalid) {
      this(path, encoder, unseenShare, validationShare, testShare, skipInvalid, null);
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
    Path root = spec.dataRoot() != null ? Path.of(spec.dataRoot()) : base;
    if (!Files.isDirectory(root)) throw PalException.badInput("data root", root, "is not a folder");
    List<String> cols = TableFile.columns(file);
    if (cols.isEmpty()) throw PalException.badInput("file", file, "has no records");
    boolean chosenForm = cols.contains("chosen") || cols.contains("rejected");
    boolean hasPrompt = cols.contains("prompt");
    for (String req : chosenForm ? List.of("user_id", "chosen", "rejected") : List.of("user_id", "left", "right", "label")) {
      if (!cols.contains(req)) {
        throw PalException.badInput(file + " columns", cols, "the record format needs user_id, prompt (optional) and left, right, label or chosen, rejected; '" + req + "' is missing");
      }
    }
    Map<String, Integer> users = new LinkedHashMap<>();
    Values prompts = new Values("prompt", root, base), items = new Values("item", root, base);
    IntList user = new IntList(), prompt = new IntList(), left = new IntList(), right = new IntList(), label = new IntList();
    LongList rowOf = new LongList();
    long[] counts = new long[2];
    List<String> problems = new ArrayList<>();
    String leftField = chosenForm ? "chosen" : "left", rightField = chosenForm ? "rejected" : "right";
    java.util.function.Consumer<PalException> invalid = e -> {
      if (!spec.skipInvalid()) throw e;
      counts[1]++;
      if (problems.size() < 10) problems.add(e.getMessage());
    };
    List<String> want = List.of("user_id", "prompt", leftField, rightField, "label");
    try (prompts; items) {
      TableFile.scan(file, want, (row, v) -> {
        counts[0]++;
        String where = TableFile.place(file, row);
        try {
          String u = required(v[0], where, "user_id");
          int p = hasPrompt ? prompts.index(required(v[1], where, "prompt"), where, "prompt") : -1;
          int l = items.index(required(v[2], where, leftField), where, leftField);
          int r = items.index(required(v[3], where, rightField), where, rightField);
          int y = chosenForm ? 1 : parseLabel(v[4], where);
          if (chosenForm && (row * 0x9E3779B97F4A7C15L >>> 63) == 1) { int t = l; l = r; r = t; y = -1; } // no position signal
          user.add(users.computeIfAbsent(u, k -> users.size()));
          prompt.add(p);
          left.add(l);
          right.add(r);
          label.add(y);
          rowOf.add(row);
        } catch (PalException e) {
          invalid.accept(e);
        }
      }, e -> { counts[0]++; invalid.accept(e); });
      if (user.size == 0) throw PalException.badInput(file.toString(), "no valid records", counts[1] > 0 ? "all " + counts[1] + " rows were invalid: " + problems : "the file is empty");
      // vectors: texts and images now (in batches), npy: rows were read during the scan
      embed(prompts, items);
      // a record whose value turned out bad (an image that does not decode, a vector of another
      // length) is reported with its own line, or skipped with --skip-invalid like any other bad record
      boolean[] keep = new boolean[user.size];
      int kept = 0;
      for (int i = 0; i < user.size; i++) {
        String reason = hasPrompt && prompts.bad(prompt.a[i]) != null ? "prompt: " + prompts.bad(prompt.a[i])
            : items.bad(left.a[i]) != null ? leftField + ": " + items.bad(left.a[i])
            : items.bad(right.a[i]) != null ? rightField + ": " + items.bad(right.a[i]) : null;
        if (reason == null) { keep[i] = true; kept++; continue; }
        invalid.accept(PalException.userInput(TableFile.place(file, rowOf.a[i]) + " " + reason));
      }
      if (kept == 0) throw PalException.badInput(file.toString(), "no valid records", "all " + counts[1] + " rows were invalid: " + problems);
      this.report = new LoadReport(counts[0], counts[1], problems);
      // only values some kept record uses become table rows
      int[] itemRow = items.compact(keep, left, right), promptRow = hasPrompt ? prompts.compact(keep, prompt, null) : null;
      Map<Integer, Integer> userRow = new LinkedHashMap<>();
      List<String> userIds = new ArrayList<>(users.keySet()), keptIds = new ArrayList<>();
      int[] uu = new int[kept], pp = new int[kept], ll = new int[kept], rr = new int[kept];
      byte[] labels = new byte[kept];
      for (int i = 0, j = 0; i < user.size; i++) {
        if (!keep[i]) continue;
        uu[j] = userRow.computeIfAbsent(user.a[i], k -> { keptIds.add(userIds.get(k)); return keptIds.size() - 1; });
        pp[j] = hasPrompt ? promptRow[prompt.a[i]] : -1;
        ll[j] = itemRow[left.a[i]];
        rr[j] = itemRow[right.a[i]];
        labels[j] = (byte) label.a[i];
        j++;
      }
      return new PreferenceDataset(items.table("items"), hasPrompt ? prompts.table("prompts") : null, keptIds,
          new Pairs(uu, pp, ll, rr, labels));
    }
  }

  private static String required(String v, String where, String field) {
    // the value itself is never shown: ids, prompts and responses are personal data
    if (v == null) throw PalException.userInput(where + " " + field + ": missing; every record needs " + field);
    if (v.isBlank()) throw PalException.userInput(where + " " + field + ": empty; every record needs " + field);
    return v;
  }

  public static int parseLabel(String v, String where) {
    if (v == null) throw PalException.badInput(where + " label", "missing", "must be 1 (left preferred), -1 or 0 (right preferred)");
    switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "1", "1.0", "+1", "true": return 1;
      case "-1", "-1.0", "0", "0.0", "false": return -1;
      default: throw PalException.badInput(where + " label", v.length() > 20 ? "(" + v.length() + " characters)" : v,
          "must be 1 (left preferred), -1 or 0 (right preferred)");
    }
  }

  /** Texts through the encoder, images through the image encoder; a failing or non-finite vector marks its value bad. */
  private void embed(Values prompts, Values items) {
    boolean texts = prompts.hasTexts() || items.hasTexts(), images = prompts.hasImages() || items.hasImages();
    if (!texts && !images) return;
    try (Embedder e = registry.embedder(spec.encoder())) {
      for (Values vs : List.of(prompts, items)) {
        fill(vs, vs.texts, idx -> e.embed(idx.stream().map(vs.values::get).toList()));
        if (!vs.images.isEmpty()) {
          if (!(e instanceof ImageEmbedder ie)) throw PalException.badInput("encoder.type", spec.encoder().path("type"), "the records contain image: values; use onnx-clip");
          fill(vs, vs.images, idx -> ie.embedImages(idx.stream().map(vs.imagePath::get).toList()));
        }
      }
    }
  }

  /**
   * Embeds in chunks; when a chunk fails (one undecodable image), its values are embedded one by one
   * so that only the bad ones are marked, with the reason.
   */
  private static void fill(Values vs, List<Integer> at, Function<List<Integer>, float[][]> embed) {
    int chunk = 4096;
    for (int from = 0; from < at.size(); from += chunk) {
      List<Integer> part = at.subList(from, Math.min(at.size(), from + chunk));
      try {
        float[][] v = embed.apply(part);
        for (int j = 0; j < part.size(); j++) vs.set(part.get(j), v[j]);
      } catch (PalException batch) {
        if (batch.kind() != PalException.Kind.USER_INPUT) throw batch;
        for (int i : part) {
          try {
            vs.set(i, embed.apply(List.of(i))[0]);
          } catch (PalException one) {
            if (one.kind() != PalException.Kind.USER_INPUT) throw one;
            vs.markBad(i, one.getMessage());
          }
        }
      }
    }
  }

  /**
   * The distinct values of one table (prompts or items), each with its vector once known. npy:
   * references are resolved when first seen (inside the data root, only the referenced row read),
   * so that a bad reference fails the record that carries it.
   */
  private static final class Values implements AutoCloseable {
    final String name;
    final Path root, base;
    final Map<String, Integer> index = new HashMap<>();
    final List<String> values = new ArrayList<>();
    final List<float[]> vectors = new ArrayList<>();
    final List<String> badReason = new ArrayList<>();
    final List<Integer> texts = new ArrayList<>(), images = new ArrayList<>();
    final Map<Integer, Path> imagePath = new HashMap<>();
    final Map<Path, Npy.Rows> files = new HashMap<>();
    final Map<String, PalException> badFiles = new HashMap<>();
    final Map<String, String> badValues = new HashMap<>();
    int npyDim = -1;

    Values(String name, Path root, Path base) {
      this.name = name;
      this.root = root;
      this.base = base;
    }

    int index(String v, String where, String field) {
      Integer i = index.get(v);
      if (i != null) return i;
      String bad = badValues.get(v);
      if (bad != null) throw PalException.userInput(where + " " + field + " = " + v + ": " + bad);
      float[] vector = null;
      Path image = null;
      try {
        if (v.startsWith("npy:")) vector = npy(v);
        else if (v.startsWith("image:")) image = ConfinedPaths.resolve(root, base, v.substring(6), "image path");
      } catch (PalException e) {
        String reason = e.getMessage();
        if (badValues.size() < 100_000) badValues.put(v, reason);
        throw PalException.userInput(where + " " + field + " = " + v + ": " + reason);
      }
      int n = values.size();
      index.put(v, n);
      values.add(v);
      vectors.add(vector);
      badReason.add(null);
      if (image != null) { images.add(n); imagePath.put(n, image); }
      else if (vector == null) texts.add(n);
      return n;
    }

    private float[] npy(String v) {
      int hash = v.lastIndexOf('#');
      if (hash < 0) throw PalException.userInput("vector references look like npy:FILE.npy#ROW");
      String rowText = v.substring(hash + 1);
      if (!rowText.matches("\\d{1,10}")) throw PalException.userInput("the row after # must be a whole number");
      long row = Long.parseLong(rowText);
      String rel = v.substring(4, hash);
      PalException failed = badFiles.get(rel);
      if (failed != null) throw failed;
      Npy.Rows rows;
      try {
        Path f = ConfinedPaths.resolve(root, base, rel, "npy path");
        rows = files.get(f);
        if (rows == null) {
          rows = Npy.openRows(f);
          files.put(f, rows);
        }
      } catch (PalException e) {
        badFiles.put(rel, e);
        throw e;
      }
      if (row >= rows.rows()) throw PalException.userInput(rel + " has rows 0.." + (rows.rows() - 1));
      if (npyDim >= 0 && rows.cols() != npyDim) {
        throw PalException.userInput(rows.cols() + " numbers; every " + name + " vector must have the table's dimension " + npyDim);
      }
      float[] x = rows.row((int) row);
      for (int j = 0; j < x.length; j++) {
        if (!Float.isFinite(x[j])) throw PalException.userInput("column " + j + " is " + x[j] + "; vectors must be finite");
      }
      npyDim = x.length;
      return x;
    }

    boolean hasTexts() {
      return !texts.isEmpty();
    }

    boolean hasImages() {
      return !images.isEmpty();
    }

    void set(int i, float[] v) {
      for (float x : v) {
        if (!Float.isFinite(x)) {
          markBad(i, "the encoder produced a non-finite vector");
          return;
        }
      }
      vectors.set(i, v);
    }

    void markBad(int i, String reason) {
      badReason.set(i, reason);
    }

    /** Why value i cannot be used, or null; a vector of another length than the table's is bad too. */
    String bad(int i) {
      if (dim < 0) dim = firstDim();
      String r = badReason.get(i);
      if (r != null) return describe(i) + ": " + r;
      float[] v = vectors.get(i);
      if (v == null) return describe(i) + ": no vector";
      if (v.length != dim) return describe(i) + ": " + v.length + " numbers; every " + name + " vector must have the table's dimension " + dim;
      return null;
    }

    private int dim = -1;

    private int firstDim() {
      for (int i = 0; i < vectors.size(); i++) if (badReason.get(i) == null && vectors.get(i) != null) return vectors.get(i).length;
      return 0;
    }

    private String describe(int i) {
      String v = values.get(i);
      return v.startsWith("npy:") || v.startsWith("image:") ? v : "(text)"; // texts are personal data: never in messages
    }

    /** Renumbers the values kept records use; returns old index to new row. */
    int[] compact(boolean[] keep, IntList a, IntList b) {
      boolean[] used = new boolean[values.size()];
      for (int i = 0; i < keep.length; i++) {
        if (!keep[i]) continue;
        used[a.a[i]] = true;
        if (b != null) used[b.a[i]] = true;
      }
      int[] row = new int[values.size()];
      int n = 0;
      for (int i = 0; i < row.length; i++) row[i] = used[i] ? n++ : -1;
      List<float[]> kept = new ArrayList<>(n);
      for (int i = 0; i < row.length; i++) if (used[i]) kept.add(vectors.get(i));
      compacted = kept;
      return row;
    }

    private List<float[]> compacted;

    Table table(String tableName) {
      int d = compacted.get(0).length;
      float[] data = new float[compacted.size() * d];
      for (int i = 0; i < compacted.size(); i++) System.arraycopy(compacted.get(i), 0, data, i * d, d);
      return new Table(tableName, data, compacted.size(), d).requireFinite();
    }

    @Override
    public void close() {
      for (Npy.Rows r : files.values()) r.close();
    }
  }

  /** A growable long array (row numbers of records). */
  static final class LongList {
    long[] a = new long[1024];
    int size;

    void add(long v) {
      if (size == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
      a[size++] = v;
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
