package org.pal.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.data.DatasetDirectory;
import org.pal.core.data.SplitDataset;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "score", description = "Reward of each item for one user (or explicit simplex weights): higher is preferred.")
final class ScoreCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--model", required = true) Path model;
  @Option(names = "--data", required = true, description = "dataset directory whose item/prompt tables --items/--prompt index") Path data;
  @Option(names = "--items", required = true, split = ",", description = "item rows to score") int[] items;
  @Option(names = "--prompt", description = "prompt row (required when the data has prompts)") Integer prompt;
  @Option(names = "--user", description = "a user id of the model") String user;
  @Option(names = "--weights", split = ",", description = "explicit simplex weights (K values, non-negative, sum 1)") double[] weights;

  @Override
  public void run() {
    PalModel m = ModelArchive.load(Pal.load().registry(), model);
    SplitDataset split = DatasetDirectory.read(data);
    var d = split.data();
    if (d.items().dim() != m.itemDim()) throw PalException.badInput("items.dim", d.items().dim(), "the model expects " + m.itemDim());
    if ((user == null) == (weights == null)) throw PalException.userInput("give exactly one of --user ID or --weights w1,...,wK");
    double[] w;
    if (user != null) {
      w = m.weightsOf(m.users())[m.userRow(user)];
    } else {
      if (weights.length != m.k()) throw PalException.badInput("--weights", weights.length + " values", "the model has K = " + m.k());
      double s = 0;
      for (double x : weights) { if (!(x >= 0)) throw PalException.badInput("--weights", x, "weights must be >= 0"); s += x; }
      if (Math.abs(s - 1) > 1e-6) throw PalException.badInput("--weights sum", s, "weights lie on the simplex: they must sum to 1");
      w = weights;
    }
    if (m.promptDim() > 0 && prompt == null) throw PalException.userInput("--prompt is required: this model conditions on prompts");
    if (prompt != null && (d.prompts() == null || prompt < 0 || prompt >= d.prompts().rows())) {
      throw PalException.badInput("--prompt", prompt, d.prompts() == null ? "the data has no prompts" : "must be in 0.." + (d.prompts().rows() - 1));
    }
    int n = items.length;
    Tape t = new Tape(m.params().dtype()).noGrad(true);
    Mat x = t.alloc(n, m.itemDim());
    for (int i = 0; i < n; i++) {
      if (items[i] < 0 || items[i] >= d.items().rows()) throw PalException.badInput("--items", items[i], "must be in 0.." + (d.items().rows() - 1));
      x.putRow(i, 0, d.items().data(), items[i], m.itemDim());
    }
    Var prompts = null;
    if (m.promptDim() > 0) {
      Mat p = t.alloc(n, m.promptDim());
      for (int i = 0; i < n; i++) p.putRow(i, 0, d.prompts().data(), prompt, m.promptDim());
      prompts = t.constant(p);
    }
    double[][] ws = new double[n][];
    java.util.Arrays.fill(ws, w);
    Var u = m.variant().utilities(t, m.constantWeights(t, ws), prompts, null, t.constant(x))[0];
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(Map.of("item", items[i], "reward", u.value().get(i)));
    spec.commandLine().getOut().println(Json.write(Map.of("weights", w, "scores", out)));
  }
}
