package org.pal.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Json;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ImageEmbedder;

/**
 * The encoders of one model's items and prompts, opened once and shared by its calls (embedders are
 * thread-safe). Turns lists of {@link Input}s into vectors: each distinct input once, vectors checked
 * against the model's dimension, texts and images through the recorded encoder.
 */
final class Encoders implements AutoCloseable {
  private final ModelArchive.Inputs recorded;
  private final Embedder items;
  private final Embedder prompts;
  private final int itemDim;
  private final int promptDim;
  private final java.util.concurrent.atomic.AtomicInteger users = new java.util.concurrent.atomic.AtomicInteger(1);

  private Encoders(ModelArchive.Inputs recorded, Embedder items, Embedder prompts, int itemDim, int promptDim) {
    this.recorded = recorded;
    this.items = items;
    this.prompts = prompts;
    this.itemDim = itemDim;
    this.promptDim = promptDim;
  }

  static Encoders none(int itemDim, int promptDim) {
    return new Encoders(null, null, null, itemDim, promptDim);
  }

  /**
   * Opens the encoders of a model trained from raw values, recording their fingerprints.
   * @param encoder the dataset's embedder config (one encoder for items and prompts), or null
   */
  static Encoders forTraining(ComponentRegistry registry, JsonNode encoder, int itemDim, int promptDim) {
    if (encoder == null) return none(itemDim, promptDim);
    Embedder e = registry.embedder(encoder);
    ModelArchive.Encoder rec = new ModelArchive.Encoder(encoder, e.fingerprint(), e.dimension());
    return new Encoders(new ModelArchive.Inputs(rec, promptDim > 0 ? rec : null), e, promptDim > 0 ? e : null, itemDim, promptDim);
  }

  /**
   * Opens the encoders an archive records and checks each against the recorded fingerprint and the
   * model's dimension. {@code replacement}, when given, is used instead (the caller accepts its
   * different fingerprint explicitly); its dimension must still match.
   */
  static Encoders forArchive(ComponentRegistry registry, Path dir, ModelArchive.Inputs recorded, JsonNode replacement,
                             int itemDim, int promptDim) {
    if (recorded == null && replacement == null) return none(itemDim, promptDim);
    Map<String, Embedder> open = new LinkedHashMap<>(); // one instance per distinct config
    try {
      Embedder it = open(registry, dir, "items", recorded == null ? null : recorded.items(), replacement, itemDim, open);
      Embedder pr = promptDim > 0 ? open(registry, dir, "prompts", recorded == null ? null : recorded.prompts(), replacement, promptDim, open) : null;
      ModelArchive.Inputs in = recorded;
      if (replacement != null) {
        ModelArchive.Encoder r = new ModelArchive.Encoder(replacement, it.fingerprint(), it.dimension());
        in = new ModelArchive.Inputs(r, pr == null ? null : r);
      }
      return new Encoders(in, it, pr, itemDim, promptDim);
    } catch (RuntimeException e) {
      open.values().forEach(Embedder::close);
      throw e;
    }
  }

  private static Embedder open(ComponentRegistry registry, Path dir, String role, ModelArchive.Encoder rec, JsonNode replacement,
                               int dim, Map<String, Embedder> open) {
    JsonNode config = replacement != null ? replacement : rec == null ? null : rec.config();
    if (config == null) return null;
    String key = Json.write(config);
    Embedder e = open.get(key);
    if (e == null) {
      try {
        e = registry.embedder(config);
      } catch (PalException ex) {
        throw PalException.userInput("model " + dir + " records the " + role + " encoder " + describe(config)
            + ", which cannot be opened here: " + ex.getMessage() + ". Install that encoder, or accept another one explicitly (encoder option)");
      }
      open.put(key, e);
    }
    if (replacement == null && !e.fingerprint().equals(rec.fingerprint())) {
      String found = e.fingerprint();
      throw PalException.userInput("model " + dir + " was trained with the " + role + " encoder " + describe(config) + " of fingerprint "
          + rec.fingerprint() + ", but that config now opens an encoder of fingerprint " + found
          + " (other weights or settings); restore the original encoder files, or accept this one explicitly (encoder option)");
    }
    if (e.dimension() != dim) {
      throw PalException.badInput(role + " encoder dimension", e.dimension(), "the model reads " + role + " of dimension " + dim + "; use an encoder with that output");
    }
    return e;
  }

  static String describe(JsonNode config) {
    JsonNode c = config.deepCopy();
    if (c instanceof com.fasterxml.jackson.databind.node.ObjectNode o) o.remove("cache");
    return Json.write(c).replaceAll("\\s+", " ");
  }

  ModelArchive.Inputs recorded() {
    return recorded;
  }

  /** Vectors for the given inputs, in order; each distinct input is encoded once. */
  float[][] encode(List<Input> inputs, boolean prompt, String field) {
    Embedder e = prompt ? prompts : items;
    int dim = prompt ? promptDim : itemDim;
    float[][] out = new float[inputs.size()][];
    Map<Input, List<Integer>> texts = new LinkedHashMap<>(), images = new LinkedHashMap<>();
    for (int i = 0; i < out.length; i++) {
      Input in = inputs.get(i);
      if (in == null) throw PalException.badInput(field + "[" + i + "]", "null", "give text, an image or a vector");
      if (in instanceof Input.Vector v) {
        if (v.values().length != dim) {
          throw PalException.badInput(field + "[" + i + "] length", v.values().length, "the model reads " + (prompt ? "prompt" : "response") + " vectors of dimension " + dim);
        }
        out[i] = v.values();
      } else if (in instanceof Input.Text) {
        texts.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
      } else {
        images.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
      }
    }
    if ((!texts.isEmpty() || !images.isEmpty()) && e == null) {
      throw PalException.badInput(field, texts.isEmpty() ? "an image" : "text",
          "this model was trained on vectors and records no encoder; give vectors (npy:FILE#ROW or float arrays)");
    }
    if (!texts.isEmpty()) fill(out, texts, e.embed(texts.keySet().stream().map(t -> ((Input.Text) t).text()).toList()), field);
    if (!images.isEmpty()) {
      // a text-only encoder refuses images with a message naming it (exit 2)
      if (!(e instanceof ImageEmbedder ie)) {
        throw PalException.badInput(field, "an image", "this model's encoder embeds text only; give text or vectors");
      }
      fill(out, images, ie.embedImages(images.keySet().stream().map(m -> ((Input.Image) m).path()).toList()), field);
    }
    return out;
  }

  private static void fill(float[][] out, Map<Input, List<Integer>> at, float[][] vectors, String field) {
    int j = 0;
    for (List<Integer> idx : at.values()) {
      float[] v = vectors[j++];
      for (int i = 0; i < v.length; i++) {
        if (!Float.isFinite(v[i])) throw PalException.environment("the encoder returned a non-finite value for " + field + "[" + idx.get(0) + "]", null);
      }
      for (int i : idx) out[i] = v;
    }
  }

  /** One more model uses these encoders (an enrolled copy); each user closes once. */
  Encoders share() {
    users.incrementAndGet();
    return this;
  }

  @Override
  public void close() {
    if (users.decrementAndGet() != 0) return;
    if (items != null) items.close();
    if (prompts != null && prompts != items) prompts.close();
  }
}
