package org.pal.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pal.api.Inspection;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.core.config.Json;
import org.pal.core.experiment.RunResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "inspect", description = {"What a model learned about its users: users per prototype (largest weight), each user's weights,",
    "users pressed against the simplex's edge, and, given an experiment's results.json, a suggested K."})
final class InspectCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Parameters(index = "0", description = "model archive directory") Path model;
  @Option(names = "--results", description = "an experiment's results.json: suggest K from validation accuracy") Path results;
  @Option(names = "--weights-out", description = "write every user's weights to this JSON file (a new path: an existing one is never replaced)") Path weightsOut;

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    // checked before the model loads; a file the user owns is never replaced (there is no --force for it)
    if (weightsOut != null && java.nio.file.Files.exists(weightsOut, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw org.pal.core.PalException.userInput("--weights-out " + weightsOut + " already exists; PAL never replaces it: choose a new path");
    }
    try (RewardModel m = PalApi.create().load(model, PalApi.LoadOptions.vectors())) {
      Inspection in = Inspection.of(m);
      int k = in.k();
      out.printf(Locale.ROOT, "model %s: K = %d, %d users, item dim %d, prompt dim %d%n", model, k, in.users(), m.itemDim(), m.promptDim());
      out.println("users per prototype (by largest weight):");
      for (int j = 0; j < k; j++) out.printf(Locale.ROOT, "  prototype %d: %d users, mean weight %.3f%n", j, in.usersPerPrototype()[j], in.meanWeights()[j]);
      out.printf(Locale.ROOT, "users at a vertex (a weight > 0.99): %d (%.0f%%); on an edge (a weight < 0.01): %d (%.0f%%)%n",
          in.atVertex(), 100.0 * in.atVertex() / in.users(), in.onEdge(), 100.0 * in.onEdge() / in.users());
      if (in.manyOnBoundary()) {
        out.println("  many users sit on the simplex's boundary: their ideal points may lie outside the prototypes' hull; a larger K may fit them better");
      }
      int show = Math.min(10, in.users());
      out.println("first " + show + " users' weights:");
      for (int i = 0; i < show; i++) out.printf(Locale.ROOT, "  %s %s%n", m.users().get(i), fmt(m.weights(User.id(m.users().get(i)))));
      if (weightsOut != null) {
        Map<String, double[]> all = new LinkedHashMap<>();
        for (String u : m.users()) all.put(u, m.weights(User.id(u)));
        org.pal.core.archive.AtomicFiles.writeString(weightsOut, Json.write(all));
        out.println("wrote " + weightsOut);
      }
    }
    if (results != null) {
      List<RunResult> runs = Json.mapper().convertValue(Json.readTree(results),
          Json.mapper().getTypeFactory().constructCollectionType(List.class, RunResult.class));
      Inspection.KChoice c = Inspection.suggestK(runs);
      out.println("validation accuracy by K (from " + results + "):");
      c.validationAccuracyByK().forEach((k, v) -> out.printf(Locale.ROOT, "  K = %d: %.4f%n", k, v));
      out.printf(Locale.ROOT, "suggested K: %d (the smallest K within 0.5 points of the best validation accuracy)%n", c.suggested());
    }
  }

  private static String fmt(double[] w) {
    StringBuilder sb = new StringBuilder("[");
    for (int j = 0; j < w.length; j++) sb.append(j == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", w[j]));
    return sb.append("]").toString();
  }
}
