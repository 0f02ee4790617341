package org.pal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.model.PalModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "inspect", description = {"What a model learned about its users: users per prototype (largest weight), each user's weights,",
    "users pressed against the simplex's edge, and, given an experiment's results.json, a suggested K."})
final class InspectCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Parameters(index = "0", description = "model archive directory") Path model;
  @Option(names = "--results", description = "an experiment's results.json: suggest K from validation accuracy") Path results;
  @Option(names = "--weights-out", description = "write every user's weights to this JSON file") Path weightsOut;

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    PalModel m = ModelArchive.load(Pal.load().registry(), model);
    double[][] w = m.weightsOf(m.users());
    int k = m.k();
    int[] per = new int[k];
    int vertex = 0, edge = 0;
    double[] mean = new double[k];
    for (double[] row : w) {
      int arg = 0;
      double max = 0, min = 1;
      for (int j = 0; j < k; j++) {
        if (row[j] > row[arg]) arg = j;
        max = Math.max(max, row[j]);
        min = Math.min(min, row[j]);
        mean[j] += row[j] / w.length;
      }
      per[arg]++;
      if (max > 0.99) vertex++;
      else if (k > 1 && min < 0.01) edge++;
    }
    out.printf(Locale.ROOT, "model %s: K = %d, %d users, item dim %d, prompt dim %d%n", model, k, w.length, m.itemDim(), m.promptDim());
    out.println("users per prototype (by largest weight):");
    for (int j = 0; j < k; j++) out.printf(Locale.ROOT, "  prototype %d: %d users, mean weight %.3f%n", j, per[j], mean[j]);
    out.printf(Locale.ROOT, "users at a vertex (a weight > 0.99): %d (%.0f%%); on an edge (a weight < 0.01): %d (%.0f%%)%n",
        vertex, 100.0 * vertex / w.length, edge, 100.0 * edge / w.length);
    if (k > 1 && vertex + edge > 0.5 * w.length) {
      out.println("  many users sit on the simplex's boundary: their ideal points may lie outside the prototypes' hull; a larger K may fit them better");
    }
    int show = Math.min(10, w.length);
    out.println("first " + show + " users' weights:");
    for (int i = 0; i < show; i++) out.printf(Locale.ROOT, "  %s %s%n", m.userIds().get(i), fmt(w[i]));
    if (weightsOut != null) {
      Map<String, double[]> all = new LinkedHashMap<>();
      for (int i = 0; i < w.length; i++) all.put(m.userIds().get(i), w[i]);
      org.pal.core.archive.AtomicFiles.writeString(weightsOut, Json.write(all));
      out.println("wrote " + weightsOut);
    }
    if (results != null) suggestK(out);
  }

  private void suggestK(PrintWriter out) {
    JsonNode runs = Json.readTree(results);
    Map<Integer, List<Double>> byK = new TreeMap<>();
    for (JsonNode r : runs) byK.computeIfAbsent(r.get("k").asInt(), x -> new ArrayList<>()).add(r.get("bestValidationAccuracy").asDouble());
    double best = byK.values().stream().mapToDouble(l -> l.stream().mapToDouble(Double::doubleValue).average().orElse(0)).max().orElse(0);
    out.println("validation accuracy by K (from " + results + "):");
    Integer pick = null;
    for (var e : byK.entrySet()) {
      double v = e.getValue().stream().mapToDouble(Double::doubleValue).average().orElse(0);
      out.printf(Locale.ROOT, "  K = %d: %.4f%n", e.getKey(), v);
      if (pick == null && v >= best - 0.005) pick = e.getKey();
    }
    out.printf(Locale.ROOT, "suggested K: %d (the smallest K within 0.5 points of the best validation accuracy)%n", pick);
  }

  private static String fmt(double[] w) {
    StringBuilder sb = new StringBuilder("[");
    for (int j = 0; j < w.length; j++) sb.append(j == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", w[j]));
    return sb.append("]").toString();
  }
}
