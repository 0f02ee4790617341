package org.pal.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pal.api.Input;
import org.pal.api.RewardModel;

/**
 * Vectors of recently seen texts in memory (least recently used out first), per role, in front of
 * the model's encoder and its disk cache: a hit costs a hash lookup. Images and vectors pass through.
 */
final class EmbeddingMemo {
  private final RewardModel model;
  private final Metrics metrics;
  private final Map<Input, float[]> items, prompts;

  EmbeddingMemo(RewardModel model, int entries, Metrics metrics) {
    this.model = model;
    this.metrics = metrics;
    this.items = lru(entries);
    this.prompts = lru(entries);
  }

  private static Map<Input, float[]> lru(int cap) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Input, float[]> e) {
        return size() > cap;
      }
    };
  }

  /** What memory holds for {@code inputs}, in order: vectors pass through, texts not in memory (and images) are null. */
  float[][] lookup(List<Input> inputs, boolean prompt) {
    Map<Input, float[]> memo = prompt ? prompts : items;
    float[][] out = new float[inputs.size()][];
    int hits = 0;
    synchronized (memo) {
      for (int i = 0; i < out.length; i++) {
        Input in = inputs.get(i);
        if (in instanceof Input.Vector v) out[i] = v.values();
        else if (in instanceof Input.Text && (out[i] = memo.get(in)) != null) hits++;
      }
    }
    if (hits > 0) metrics.memoHits.inc(hits);
    return out;
  }

  /** Vectors of {@code inputs} in order: memory first, the rest through the encoder in one call (each distinct text once). */
  float[][] embed(List<Input> inputs, boolean prompt) {
    Map<Input, float[]> memo = prompt ? prompts : items;
    float[][] out = new float[inputs.size()][];
    List<Integer> missing = new ArrayList<>();
    int hits = 0;
    synchronized (memo) {
      for (int i = 0; i < out.length; i++) {
        Input in = inputs.get(i);
        if (in instanceof Input.Vector v) {
          out[i] = v.values();
        } else if (in instanceof Input.Text && (out[i] = memo.get(in)) != null) {
          hits++;
        } else {
          missing.add(i);
        }
      }
    }
    if (hits > 0) metrics.memoHits.inc(hits);
    if (missing.isEmpty()) return out;
    List<Input> todo = new ArrayList<>(missing.size());
    for (int i : missing) todo.add(inputs.get(i));
    float[][] v = model.embed(todo, prompt);
    metrics.memoMisses.inc(missing.size());
    synchronized (memo) {
      for (int j = 0; j < missing.size(); j++) {
        int i = missing.get(j);
        out[i] = v[j];
        if (inputs.get(i) instanceof Input.Text) memo.put(inputs.get(i), v[j]);
      }
    }
    return out;
  }
}
