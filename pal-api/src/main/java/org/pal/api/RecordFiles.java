package org.pal.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import org.pal.core.config.JsonFields;
import org.pal.core.data.PreferenceDataset;
import org.pal.datasets.RecordsDataset;
import org.pal.datasets.TableFile;

/**
 * Files in the generic record format (JSONL, CSV or Parquet) as API inputs: comparisons of users to
 * enrol, and rows to score. Values are text, {@code image:PATH} or {@code npy:FILE#ROW} with paths
 * confined to a data root (the file's folder unless given). Messages name the line and the field,
 * never a user's text.
 */
public final class RecordFiles {
  private RecordFiles() {}

  /** One JSON object per line: the project's mapper indents. */
  private static final com.fasterxml.jackson.databind.ObjectWriter LINE =
      Json.mapper().writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);

  /**
   * Comparisons with {@code user_id}, optional {@code prompt}, and {@code chosen}/{@code rejected} or
   * {@code left}/{@code right}/{@code label} (1 = left preferred, -1 or 0 = right).
   */
  public static List<Comparison> comparisons(Path file, Path dataRoot) {
    List<String> cols = TableFile.columns(file);
    boolean chosenForm = cols.contains("chosen") || cols.contains("rejected");
    for (String req : chosenForm ? List.of("user_id", "chosen", "rejected") : List.of("user_id", "left", "right", "label")) {
      if (!cols.contains(req)) {
        throw PalException.badInput(file + " columns", cols, "comparisons need user_id, prompt (optional) and chosen, rejected or left, right, label; '" + req + "' is missing");
      }
    }
    boolean hasPrompt = cols.contains("prompt");
    List<Comparison> out = new ArrayList<>();
    try (InputParser parser = new InputParser(dataRoot != null ? dataRoot : file.toAbsolutePath().getParent())) {
    List<String> want = List.of("user_id", "prompt", chosenForm ? "chosen" : "left", chosenForm ? "rejected" : "right", "label");
    TableFile.scan(file, want, (row, v) -> {
      String where = TableFile.place(file, row);
      String user = required(v[0], where, "user_id");
      Input prompt = hasPrompt ? parser.parse(required(v[1], where, "prompt"), where + " prompt") : null;
      Input a = parser.parse(required(v[2], where, want.get(2)), where + " " + want.get(2));
      Input b = parser.parse(required(v[3], where, want.get(3)), where + " " + want.get(3));
      boolean leftWins = chosenForm || RecordsDataset.parseLabel(v[4], where) == 1;
      out.add(new Comparison(user, prompt, leftWins ? a : b, leftWins ? b : a));
    });
    }
    if (out.isEmpty()) throw PalException.badInput(file.toString(), "no rows", "the file has no comparisons");
    return out;
  }

  /**
   * The row form of 'pal adapt': JSONL lines {"user": ID, "left": ROW, "right": ROW, "label": 1|-1|0,
   * "prompt": ROW} indexing the item and prompt tables of a dataset directory.
   */
  public static List<Comparison> rowComparisons(Path file, PreferenceDataset tables) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw PalException.badInput("comparisons", file, "does not exist");
    } catch (IOException e) {
      throw PalException.badInput("comparisons", file, "cannot be read as UTF-8 text (" + e.getClass().getSimpleName() + ")");
    }
    List<Comparison> out = new ArrayList<>();
    for (int ln = 0; ln < lines.size(); ln++) {
      String line = lines.get(ln).trim();
      if (line.isEmpty()) continue;
      String where = file.getFileName() + " line " + (ln + 1);
      JsonNode j;
      try {
        j = Json.mapper().readTree(line);
      } catch (IOException e) {
        throw PalException.userInput(where + ": not valid JSON");
      }
      if (!j.isObject()) throw PalException.userInput(where + ": expected a JSON object");
      String user = JsonFields.id(j, "user", where);
      Input left = row(j, "left", where, tables.items());
      Input right = row(j, "right", where, tables.items());
      Input prompt = null;
      if (tables.prompts() != null) {
        prompt = row(j, "prompt", where, tables.prompts());
      } else if (j.has("prompt") && !(j.get("prompt").isIntegralNumber() && j.get("prompt").asInt() == -1)) {
        throw PalException.badInput(where + " prompt", j.get("prompt"), "the dataset has no prompts; omit the field");
      }
      boolean leftWins = JsonFields.label(j, "label", where) == 1;
      out.add(new Comparison(user, prompt, leftWins ? left : right, leftWins ? right : left));
    }
    if (out.isEmpty()) throw PalException.badInput("comparisons", file, "has no comparisons");
    return out;
  }

  private static Input row(JsonNode j, String f, String where, org.pal.core.data.Table table) {
    int r = JsonFields.row(j, f, table.rows(), where);
    return Input.vector(java.util.Arrays.copyOfRange(table.data(), r * table.dim(), (r + 1) * table.dim()));
  }

  private static String required(String v, String where, String field) {
    if (v == null || v.isBlank()) throw PalException.badInput(where + " " + field, v == null ? "missing" : "empty", "every record needs " + field);
    return v;
  }

  /** What {@link #score} did. */
  public record ScoreReport(long rows, long distinctTexts, double seconds) {}

  /**
   * Scores every row of {@code in} (columns {@code user_id} or {@code weights}, {@code prompt} when
   * the model has prompts, {@code response}) into JSONL at {@code out}: each input row's columns plus
   * {@code reward}. Rows go through the model in batches of {@code batch}; each distinct text of a
   * batch is encoded once (and the encoder's cache, when configured, spans batches). The output
   * appears whole or not at all.
   *
   * @param zeroShotUnknown score users the model does not know with zero-shot weights instead of failing
   */
  public static ScoreReport score(RewardModel model, Path in, Path out, Path dataRoot, boolean zeroShotUnknown, int batch, LongConsumer progress) {
    long t0 = System.nanoTime();
    List<String> cols = TableFile.columns(in);
    if (!cols.contains("response")) throw PalException.badInput(in + " columns", cols, "rows to score need a 'response' column");
    if (!cols.contains("user_id") && !cols.contains("weights")) throw PalException.badInput(in + " columns", cols, "rows to score need 'user_id' or 'weights'");
    if (model.hasPrompts() && !cols.contains("prompt")) throw PalException.badInput(in + " columns", cols, "this model conditions on prompts: add a 'prompt' column");
    Path abs = out.toAbsolutePath();
    long[] rows = {0};
    java.util.Set<String> distinct = new java.util.HashSet<>();
    try {
      Files.createDirectories(abs.getParent());
      Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
      try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
           InputParser parser = new InputParser(dataRoot != null ? dataRoot : in.toAbsolutePath().getParent())) {
        List<ScoreRequest> reqs = new ArrayList<>();
        List<ObjectNode> pending = new ArrayList<>();
        int iu = cols.indexOf("user_id"), iw = cols.indexOf("weights"), ip = cols.indexOf("prompt"), ir = cols.indexOf("response");
        TableFile.scan(in, cols, (row, v) -> {
          String where = TableFile.place(in, row);
          User user;
          if (iw >= 0 && v[iw] != null && !v[iw].isBlank()) {
            user = User.weights(parseWeights(v[iw], where));
          } else {
            String id = required(iu < 0 ? null : v[iu], where, "user_id");
            user = zeroShotUnknown && !model.hasUser(id) ? User.zeroShot() : User.id(id);
          }
          Input prompt = model.hasPrompts() ? parser.parse(required(v[ip], where, "prompt"), where + " prompt") : null;
          String resp = required(v[ir], where, "response");
          if (distinct.size() < 10_000_000) { distinct.add(resp); if (prompt != null) distinct.add(v[ip]); }
          reqs.add(new ScoreRequest(user, prompt, List.of(parser.parse(resp, where + " response"))));
          ObjectNode o = Json.mapper().createObjectNode();
          for (int c = 0; c < cols.size(); c++) if (v[c] != null) o.put(cols.get(c), v[c]);
          pending.add(o);
          if (reqs.size() >= batch) flush(model, reqs, pending, w, rows, progress);
        });
        flush(model, reqs, pending, w, rows, progress);
      }
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw PalException.environment("cannot write " + out + ": " + e.getMessage(), e);
    } finally {
      try (var s = Files.list(abs.getParent())) {
        s.filter(p -> p.getFileName().toString().startsWith("." + abs.getFileName()) && p.getFileName().toString().endsWith(".tmp"))
            .forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // best effort: a leftover temporary file is harmless and named after the output
      }
    }
    return new ScoreReport(rows[0], distinct.size(), (System.nanoTime() - t0) / 1e9);
  }

  private static void flush(RewardModel model, List<ScoreRequest> reqs, List<ObjectNode> pending, BufferedWriter w, long[] rows,
                            LongConsumer progress) {
    if (reqs.isEmpty()) return;
    List<Scores> s = model.score(reqs);
    try {
      for (int i = 0; i < s.size(); i++) {
        pending.get(i).put("reward", s.get(i).rewards()[0]);
        w.write(LINE.writeValueAsString(pending.get(i)));
        w.write('\n');
      }
    } catch (IOException e) {
      throw PalException.environment("cannot write scores: " + e.getMessage(), e);
    }
    rows[0] += reqs.size();
    reqs.clear();
    pending.clear();
    if (progress != null) progress.accept(rows[0]);
  }

  /** Weights as comma-separated numbers (optionally in brackets): record values are text. */
  static double[] parseWeights(String s, String where) {
    String t = s.trim();
    if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1);
    String[] parts = t.split(",");
    double[] w = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        w[i] = Double.parseDouble(parts[i].trim());
      } catch (NumberFormatException e) {
        throw PalException.badInput(where + " weights[" + i + "]", parts[i].trim(), "weights are numbers: a JSON array or comma-separated");
      }
    }
    return w;
  }
}
