package org.pal.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.pal.core.PalException;
import org.pal.datasets.TableFile;

/**
 * What each prototype likes: the training responses with the highest and the lowest reward under
 * that prototype alone (weights e_k), each with the prompt it was asked under. The responses come
 * from the record file the model was trained on, as the archive records it (its dataset spec), or
 * from a file the caller names; models trained on vectors only (the synthetic study, a dataset
 * directory) have no responses to show, and {@link #trainingResponses} says so and how to fix it.
 *
 * @param file the record file read
 * @param rows records read
 * @param ranked distinct (prompt, response) pairs ranked
 * @param capped true when the file held more distinct pairs than were ranked (the first ones are kept)
 * @param prototypes one entry per prototype, in order
 */
public record PrototypeRanking(Path file, long rows, int ranked, boolean capped, List<Prototype> prototypes) {

  /** A training response as written in the record file (text, image:PATH or npy:FILE#ROW) with its prompt (null without). */
  public record Response(String prompt, String response) {}

  /** {@code thumbnail}: for an {@code image:} response, a small PNG as a data URL ({@link Thumbnails}); otherwise null. */
  public record Entry(String prompt, String response, double reward, String thumbnail) {}

  /** Longer side of a thumbnail, pixels. */
  public static final int THUMBNAIL_PIXELS = 96;

  public record Prototype(int index, List<Entry> highest, List<Entry> lowest) {}

  /** Distinct training responses of a record file, with where its image: and npy: paths resolve. */
  public record TrainingResponses(Path file, Path dataRoot, long rows, List<Response> responses, boolean capped) {}

  /**
   * The record file behind {@code model}: {@code override} when given, otherwise the path in the
   * archive's dataset spec; at most {@code cap} distinct (prompt, response) pairs, in file order.
   * Fails, naming the fix, when the model's data has no responses to show or the file is not here.
   */
  public static TrainingResponses trainingResponses(RewardModel model, Path override, int cap) {
    if (cap < 1) throw PalException.badInput("cap", cap, "must be at least 1");
    Path file;
    Path root = null;
    String fix = "start pal serve with --dataset FILE, the record file (.jsonl, .csv or .parquet) the model was trained on";
    if (override != null) {
      file = override;
    } else {
      JsonNode d = model.dataset();
      if (d == null || d.isNull()) throw PalException.badInput("dataset", "not recorded", "the model archive does not name its training data; " + fix);
      if (d.hasNonNull("directory")) {
        throw PalException.badInput("dataset", d.get("directory").asText(), "the model was trained on a dataset directory, which holds vectors, not responses; " + fix);
      }
      JsonNode spec = d.path("spec");
      String type = spec.path("type").asText("");
      if (!type.equals("records")) {
        throw PalException.badInput("dataset", type.isEmpty() ? "(no type)" : type, "the model was trained on a '" + type + "' dataset, whose responses this server cannot read back; " + fix);
      }
      file = Path.of(spec.path("path").asText());
      if (spec.hasNonNull("dataRoot")) root = Path.of(spec.get("dataRoot").asText());
      if (!Files.isRegularFile(file)) {
        throw PalException.badInput("dataset", file, "the record file the model was trained on is not here (paths are as given at training time); " + fix);
      }
    }
    if (!Files.isRegularFile(file)) throw PalException.badInput("dataset", file, "is not a file; give the record file (.jsonl, .csv or .parquet) the model was trained on");
    if (root == null) root = file.toAbsolutePath().getParent();
    List<String> cols = TableFile.columns(file);
    boolean chosenForm = cols.contains("chosen") || cols.contains("rejected");
    List<String> want = chosenForm ? List.of("prompt", "chosen", "rejected") : List.of("prompt", "left", "right");
    for (String c : want.subList(1, 3)) {
      if (!cols.contains(c)) throw PalException.badInput(file + " columns", cols, "a record file needs left, right (or chosen, rejected); '" + c + "' is missing");
    }
    boolean prompts = model.hasPrompts();
    if (prompts && !cols.contains("prompt")) throw PalException.badInput(file + " columns", cols, "the model conditions on prompts but the file has no prompt column");
    Set<Response> seen = new LinkedHashSet<>();
    long[] rows = {0};
    boolean[] capped = {false};
    TableFile.scan(file, want, (row, v) -> {
      rows[0]++;
      String p = prompts ? v[0] : null;
      for (int s = 1; s <= 2; s++) {
        if (v[s] == null || v[s].isBlank() || (prompts && (p == null || p.isBlank()))) continue;
        Response r = new Response(p, v[s]);
        if (seen.contains(r)) continue;
        if (seen.size() >= cap) capped[0] = true;
        else seen.add(r);
      }
    }, e -> {});
    if (seen.isEmpty()) throw PalException.badInput("dataset", file, "holds no responses");
    return new TrainingResponses(file, root, rows[0], List.copyOf(seen), capped[0]);
  }

  /** Ranks {@code data}'s responses under each prototype alone; {@code n} highest and {@code n} lowest each. */
  public static PrototypeRanking of(RewardModel model, TrainingResponses data, int n) {
    if (n < 1) throw PalException.badInput("n", n, "must be at least 1");
    List<Response> rs = data.responses();
    int m = rs.size(), k = model.k();
    List<Input> items = new ArrayList<>(m), prompts = new ArrayList<>(m);
    try (InputParser parser = new InputParser(data.dataRoot())) {
      for (int i = 0; i < m; i++) {
        items.add(parser.parse(rs.get(i).response(), data.file().getFileName() + " response " + i));
        if (model.hasPrompts()) prompts.add(parser.parse(rs.get(i).prompt(), data.file().getFileName() + " prompt " + i));
      }
      float[][] x = model.embed(items, false);
      float[][] p = model.hasPrompts() ? model.embed(prompts, true) : null;
      List<Prototype> out = new ArrayList<>(k);
      for (int j = 0; j < k; j++) {
        double[] e = new double[k];
        e[j] = 1;
        double[][] w = new double[m][];
        Arrays.fill(w, e);
        double[] r = model.rewards(w, p, x);
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(r[b], r[a]));
        List<Entry> hi = new ArrayList<>(), lo = new ArrayList<>();
        for (int i = 0; i < Math.min(n, m); i++) {
          hi.add(entry(rs.get(order[i]), items.get(order[i]), r[order[i]]));
          lo.add(entry(rs.get(order[m - 1 - i]), items.get(order[m - 1 - i]), r[order[m - 1 - i]]));
        }
        out.add(new Prototype(j, hi, lo));
      }
      return new PrototypeRanking(data.file(), data.rows(), m, data.capped(), out);
    }
  }

  private static Entry entry(Response r, Input item, double reward) {
    // the path was confined to the data root when the response was parsed
    String thumb = item instanceof Input.Image img ? Thumbnails.dataUrl(img.path(), THUMBNAIL_PIXELS) : null;
    return new Entry(r.prompt(), r.response(), reward, thumb);
  }
}
