package org.pal.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pal.api.Input;
import org.pal.api.InputParser;
import org.pal.api.PalApi;
import org.pal.api.RecordFiles;
import org.pal.api.RewardModel;
import org.pal.api.Scores;
import org.pal.api.User;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import org.pal.core.data.PreferenceDataset;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "score", description = {
    "Rewards (higher is preferred) of responses for one user, explicit simplex weights, or zero-shot weights.",
    "  pal score --model M --user U --prompt TEXT --response TEXT --response TEXT ...",
    "  pal score --model M --input rows.jsonl --out scored.jsonl      (columns user_id or weights, prompt, response)",
    "  pal score --model M --data DIR --items 3,4,5 [--prompt ROW]     (rows of a dataset directory's tables)",
    "Values are text, image:PATH or npy:FILE#ROW (paths inside --data-root, default the current folder or the input's folder)."})
final class ScoreCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--model", required = true, description = "model archive directory") Path model;
  @Option(names = "--user", description = "a user id of the model") String user;
  @Option(names = "--weights", split = ",", description = "explicit simplex weights (K values, non-negative, sum 1)") double[] weights;
  @Option(names = "--zero-shot", description = "the mean of the seen users' weights (a user the model has never seen)") boolean zeroShot;
  @Option(names = "--prompt", description = "the prompt (text, image:PATH, npy:FILE#ROW; with --data: a prompt row)") String prompt;
  @Option(names = "--response", description = "a response to score; repeat for several (two also give the preference probability)") List<String> responses;
  @Option(names = "--input", description = "a JSONL/CSV/Parquet file of rows to score") Path input;
  @Option(names = "--out", description = "with --input: JSONL output, each row plus 'reward'") Path out;
  @Option(names = "--zero-shot-unknown", description = "with --input: score users the model does not know with zero-shot weights instead of failing") boolean zeroShotUnknown;
  @Option(names = "--batch-size", defaultValue = "4096", description = "with --input: rows per batch (default ${DEFAULT-VALUE})") int batch;
  @Option(names = "--data", description = "dataset directory whose item/prompt tables --items/--prompt index") Path data;
  @Option(names = "--items", split = ",", description = "with --data: item rows to score") int[] items;
  @Option(names = "--data-root", description = "folder that image: and npy: paths resolve in (default: the input file's folder, or the current folder)") Path dataRoot;
  @Option(names = "--accept-encoder", description = "JSON embedder config to use instead of the one the model records (its fingerprint may differ)") Path acceptEncoder;

  @Override
  public void run() {
    int modes = (input != null ? 1 : 0) + (data != null ? 1 : 0) + (responses != null ? 1 : 0);
    if (modes != 1) throw PalException.userInput("give exactly one of --response TEXT (repeatable), --input FILE --out FILE, or --data DIR --items ROWS");
    PalApi api = PalApi.create();
    PalApi.LoadOptions lo = acceptEncoder != null ? PalApi.LoadOptions.acceptEncoder(Json.readTree(acceptEncoder))
        : data != null ? PalApi.LoadOptions.vectors() : PalApi.LoadOptions.DEFAULT;
    try (RewardModel m = api.load(model, lo)) {
      if (input != null) {
        scoreFile(m);
        return;
      }
      User who = who();
      Input p;
      List<Input> rs = new ArrayList<>();
      List<Object> labels = new ArrayList<>();
      if (data != null) {
        if (items == null) throw PalException.userInput("--data needs --items ROWS");
        PreferenceDataset d = api.dataset(data).split().data();
        for (int r : items) {
          rs.add(Input.vector(row(d.items().data(), d.items().dim(), d.items().rows(), r, "--items")));
          labels.add(r);
        }
        if (prompt != null && d.prompts() == null) throw PalException.badInput("--prompt", prompt, "the data has no prompts");
        p = prompt == null ? null : Input.vector(row(d.prompts().data(), d.prompts().dim(), d.prompts().rows(), intRow(prompt), "--prompt"));
      } else {
        try (InputParser parser = new InputParser(dataRoot != null ? dataRoot : Path.of(""))) {
          for (int i = 0; i < responses.size(); i++) rs.add(parser.parse(responses.get(i), "--response #" + (i + 1)));
          p = prompt == null ? null : parser.parse(prompt, "--prompt");
        }
      }
      Scores s = m.score(List.of(new org.pal.api.ScoreRequest(who, p, rs))).get(0);
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("weights", s.weights());
      if (data != null) {
        List<Map<String, Object>> sc = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) sc.add(Map.of("item", labels.get(i), "reward", s.rewards()[i]));
        o.put("scores", sc);
      } else {
        o.put("rewards", s.rewards());
      }
      if (s.preference() != null) o.put("preferenceFirst", s.preference());
      spec.commandLine().getOut().println(Json.write(o));
    }
  }

  private User who() {
    int n = (user != null ? 1 : 0) + (weights != null ? 1 : 0) + (zeroShot ? 1 : 0);
    if (n != 1) throw PalException.userInput("give exactly one of --user ID, --weights w1,...,wK or --zero-shot");
    return user != null ? User.id(user) : weights != null ? User.weights(weights) : User.zeroShot();
  }

  private void scoreFile(RewardModel m) {
    if (out == null) throw PalException.userInput("--input needs --out FILE (JSONL)");
    if (batch < 1) throw PalException.badInput("--batch-size", batch, "must be at least 1");
    var err = spec.commandLine().getErr();
    long[] last = {System.nanoTime()};
    RecordFiles.ScoreReport r = RecordFiles.score(m, input, out, dataRoot, zeroShotUnknown, batch, rows -> {
      if (System.nanoTime() - last[0] > 1_000_000_000L) {
        last[0] = System.nanoTime();
        err.printf(Locale.ROOT, "\rscored %,d rows", rows);
        err.flush();
      }
    });
    err.println();
    spec.commandLine().getOut().println(Json.write(Map.of("out", out.toString(), "rows", r.rows(), "seconds", r.seconds(),
        "rowsPerSecond", r.rows() / Math.max(1e-9, r.seconds()))));
  }

  private static int intRow(String s) {
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      throw PalException.badInput("--prompt", s, "with --data, the prompt is a row number of the prompt table");
    }
  }

  private static float[] row(float[] table, int dim, int rows, int r, String flag) {
    if (r < 0 || r >= rows) throw PalException.badInput(flag, r, "must be in 0.." + (rows - 1));
    float[] x = new float[dim];
    System.arraycopy(table, r * dim, x, 0, dim);
    return x;
  }
}
