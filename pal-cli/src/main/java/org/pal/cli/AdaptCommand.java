package org.pal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.DatasetDirectory;
import org.pal.core.data.SplitDataset;
import org.pal.core.eval.Adapter;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.ParamStore;
import org.pal.core.train.AdaptSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "adapt", description = {
    "Enrol new users from a JSONL file of their comparisons: only their K simplex weights are learned.",
    "Each line: {\"user\": ID, \"left\": ROW, \"right\": ROW, \"label\": 1 | -1 | 0, \"prompt\": ROW (if the data has prompts)}",
    "with rows of the --data directory's item and prompt tables; label 1 = left preferred (0 is read as -1)."})
final class AdaptCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--model", required = true) Path model;
  @Option(names = "--data", required = true, description = "dataset directory whose tables the comparisons index") Path data;
  @Option(names = "--comparisons", required = true, description = "JSONL file of the new users' comparisons") Path comparisons;
  @Option(names = "--out", required = true, description = "archive to write: the model plus the new users") Path out;
  @Option(names = "--threads", description = PalCommand.THREADS) Integer threads;

  @Override
  public void run() {
    PalCommand.configureThreads(threads);
    Pal pal = Pal.load();
    PalModel m = ModelArchive.load(pal.registry(), model);
    SplitDataset base = DatasetDirectory.read(data);
    List<String> ids = new ArrayList<>();
    List<int[]> rows = new ArrayList<>();
    readComparisons(base.data(), m, ids, rows);
    int n = rows.size();
    int[] user = new int[n], prompt = new int[n], left = new int[n], right = new int[n];
    byte[] label = new byte[n];
    for (int i = 0; i < n; i++) { int[] r = rows.get(i); user[i] = r[0]; prompt[i] = r[1]; left[i] = r[2]; right[i] = r[3]; label[i] = (byte) r[4]; }
    PreferenceDataset d = new PreferenceDataset(base.data().items(), base.data().prompts(), ids, new Pairs(user, prompt, left, right, label));
    AdaptSpec a = m.config().trainer().adapt();
    // per user: the last validationShare of their comparisons choose the epoch
    Map<Integer, List<Integer>> byUser = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) byUser.computeIfAbsent(user[i], k -> new ArrayList<>()).add(i);
    List<Integer> tr = new ArrayList<>(), va = new ArrayList<>();
    for (List<Integer> ps : byUser.values()) {
      int nVal = ps.size() < 5 ? 0 : (int) Math.round(ps.size() * a.validationShare());
      for (int i = 0; i < ps.size(); i++) (i < ps.size() - nVal ? tr : va).add(ps.get(i));
    }
    int[] identity = new int[ids.size()];
    for (int i = 0; i < identity.length; i++) identity[i] = i;
    long t0 = System.nanoTime();
    ParamStore table = Adapter.enrol(m, d, tr.stream().mapToInt(Integer::intValue).toArray(),
        va.stream().mapToInt(Integer::intValue).toArray(), identity, ids.size(), a, m.config().trainer().seed());
    double ms = (System.nanoTime() - t0) / 1e6;
    PalModel enrolled = m.withUsers(pal.registry(), ids, table.get(PalModel.USERS));
    JsonNode prov = ModelArchive.manifest(model).get("provenance");
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("adaptedFrom", model.toAbsolutePath().toString());
    extra.put("enrolledUsers", ids);
    ModelArchive.save(enrolled, out, new ModelArchive.Provenance(prov.path("seed").asLong(), prov.path("dataHash").asText(),
        ModelArchive.VERSION, Instant.now().toString(), extra));
    double[][] w = enrolled.weightsOf(enrolled.users());
    List<Map<String, Object>> users = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) users.add(Map.of("user", ids.get(i), "weights", w[m.userIds().size() + i]));
    spec.commandLine().getOut().println(Json.write(Map.of("model", out.toString(), "enrolled", users, "milliseconds", ms)));
  }

  private void readComparisons(PreferenceDataset data, PalModel m, List<String> ids, List<int[]> rows) {
    List<String> lines;
    try {
      lines = Files.readAllLines(comparisons);
    } catch (NoSuchFileException e) {
      throw PalException.badInput("--comparisons", comparisons, "does not exist");
    } catch (IOException e) {
      throw PalException.environment("cannot read " + comparisons + ": " + e.getMessage(), e);
    }
    Map<String, Integer> index = new LinkedHashMap<>();
    for (int ln = 0; ln < lines.size(); ln++) {
      String line = lines.get(ln).trim();
      if (line.isEmpty()) continue;
      String where = comparisons + " line " + (ln + 1);
      JsonNode j;
      try {
        j = Json.mapper().readTree(line);
      } catch (IOException e) {
        throw PalException.userInput(where + ": not valid JSON");
      }
      for (String f : List.of("user", "left", "right", "label")) {
        if (!j.hasNonNull(f)) throw PalException.userInput(where + ": field '" + f + "' is missing");
      }
      String id = j.get("user").asText();
      if (m.userIds().contains(id)) throw PalException.badInput(where + " user", id, "is already a user of the model; adapt enrols new users only");
      int left = row(j, "left", data.items().rows(), where), right = row(j, "right", data.items().rows(), where);
      int prompt = -1;
      if (data.prompts() != null) prompt = row(j, "prompt", data.prompts().rows(), where);
      else if (j.has("prompt") && j.get("prompt").asInt() != -1) throw PalException.badInput(where + " prompt", j.get("prompt"), "the dataset has no prompts; omit the field");
      JsonNode l = j.get("label");
      int label;
      if (l.isNumber() && (l.asDouble() == 1 || l.asDouble() == -1 || l.asDouble() == 0)) label = l.asDouble() == 1 ? 1 : -1;
      else throw PalException.badInput(where + " label", l, "must be 1 (left preferred), -1 or 0 (right preferred)");
      int u = index.computeIfAbsent(id, k -> { ids.add(k); return ids.size() - 1; });
      rows.add(new int[] {u, prompt, left, right, label});
    }
    if (rows.isEmpty()) throw PalException.badInput("--comparisons", comparisons, "has no comparisons");
  }

  private static int row(JsonNode j, String f, int bound, String where) {
    JsonNode v = j.get(f);
    if (v == null || !v.canConvertToInt()) throw PalException.badInput(where + " " + f, v, "must be a row number in 0.." + (bound - 1));
    int r = v.asInt();
    if (r < 0 || r >= bound) throw PalException.badInput(where + " " + f, r, "must be a row number in 0.." + (bound - 1));
    return r;
  }
}
