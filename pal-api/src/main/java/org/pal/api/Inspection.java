package org.pal.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pal.core.PalException;
import org.pal.core.experiment.RunResult;

/**
 * What a model learned about its users: how many users each prototype dominates (largest weight),
 * the mean weights, and how many users sit at a vertex (a weight above 0.99) or on an edge (a weight
 * below 0.01) of the simplex, where a larger K may fit them better.
 */
public record Inspection(int k, int users, int[] usersPerPrototype, double[] meanWeights, int atVertex, int onEdge) {

  public static Inspection of(RewardModel model) {
    int k = model.k();
    int[] per = new int[k];
    double[] mean = new double[k];
    int vertex = 0, edge = 0, n = model.users().size();
    for (String u : model.users()) {
      double[] row = model.weights(User.id(u));
      int arg = 0;
      double max = 0, min = 1;
      for (int j = 0; j < k; j++) {
        if (row[j] > row[arg]) arg = j;
        max = Math.max(max, row[j]);
        min = Math.min(min, row[j]);
        mean[j] += row[j] / n;
      }
      per[arg]++;
      if (max > 0.99) vertex++;
      else if (min < 0.01) edge++; // K = 1: the one weight is 1, a vertex
    }
    return new Inspection(k, n, per, mean, vertex, edge);
  }

  /** More than half the users on the simplex's boundary: their ideal points may lie outside the prototypes' hull. */
  public boolean manyOnBoundary() {
    return k > 1 && atVertex + onEdge > 0.5 * users;
  }

  /** Mean best-validation accuracy per K over a sweep's runs, and the smallest K within 0.5 points of the best. */
  public record KChoice(Map<Integer, Double> validationAccuracyByK, int suggested) {}

  public static KChoice suggestK(List<RunResult> runs) {
    if (runs.isEmpty()) throw PalException.badInput("results", "[]", "give a sweep's results with at least one run");
    Map<Integer, List<Double>> byK = new TreeMap<>();
    for (RunResult r : runs) byK.computeIfAbsent(r.k(), x -> new ArrayList<>()).add(r.bestValidationAccuracy());
    Map<Integer, Double> mean = new TreeMap<>();
    byK.forEach((k, v) -> mean.put(k, v.stream().mapToDouble(Double::doubleValue).average().orElseThrow()));
    double best = mean.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    int pick = mean.entrySet().stream().filter(e -> e.getValue() >= best - 0.005).findFirst().orElseThrow().getKey();
    return new KChoice(mean, pick);
  }
}
