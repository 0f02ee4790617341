package org.pal.embeddings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ImageEmbedder;

/**
 * An embedder in front of a {@link EmbeddingCache}: only contents never seen by this encoder
 * (same fingerprint) reach the encoder, each at most once per call; new vectors are flushed as one
 * segment per call. Thread-safe when the wrapped embedder is.
 */
public final class CachingEmbedder implements ImageEmbedder {
  private final Embedder inner;
  private final EmbeddingCache cache;
  private final AtomicLong encoded = new AtomicLong();
  private final AtomicLong hits = new AtomicLong();

  public CachingEmbedder(Embedder inner, Path root) {
    this.inner = inner;
    this.cache = new EmbeddingCache(root, inner.fingerprint(), inner.dimension());
  }

  @Override
  public float[][] embed(List<String> texts) {
    float[][] out = new float[texts.size()][];
    Map<String, List<Integer>> missing = new LinkedHashMap<>();
    EmbeddingCache.Key[] keys = new EmbeddingCache.Key[texts.size()];
    for (int i = 0; i < texts.size(); i++) {
      keys[i] = EmbeddingCache.key(texts.get(i) == null ? "" : texts.get(i));
      float[] v = cache.get(keys[i]);
      if (v != null) {
        out[i] = v.clone();
        hits.incrementAndGet();
      } else {
        missing.computeIfAbsent(texts.get(i), k -> new ArrayList<>()).add(i);
      }
    }
    if (!missing.isEmpty()) {
      List<String> todo = new ArrayList<>(missing.keySet());
      float[][] vs = inner.embed(todo);
      encoded.addAndGet(todo.size());
      for (int j = 0; j < todo.size(); j++) {
        List<Integer> at = missing.get(todo.get(j));
        cache.put(keys[at.get(0)], vs[j]);
        for (int i : at) out[i] = vs[j].clone();
      }
      cache.flush();
    }
    return out;
  }

  /** Images are keyed by the SHA-256 of their file bytes, so a renamed file is still a hit. */
  @Override
  public float[][] embedImages(List<Path> images) {
    if (!(inner instanceof ImageEmbedder ie)) {
      throw org.pal.core.PalException.userInput("this encoder (" + inner.getClass().getSimpleName() + ") embeds text only; use onnx-clip for images");
    }
    float[][] out = new float[images.size()][];
    List<Path> todo = new ArrayList<>();
    List<Integer> at = new ArrayList<>();
    EmbeddingCache.Key[] keys = new EmbeddingCache.Key[images.size()];
    for (int i = 0; i < images.size(); i++) {
      try {
        keys[i] = EmbeddingCache.key("image:" + OnnxSentenceEncoder.sha256(java.nio.file.Files.readAllBytes(images.get(i))));
      } catch (java.io.IOException e) {
        throw org.pal.core.PalException.badInput("image", images.get(i), "cannot be read (" + e.getMessage() + ")");
      }
      float[] v = cache.get(keys[i]);
      if (v != null) { out[i] = v.clone(); hits.incrementAndGet(); } else { todo.add(images.get(i)); at.add(i); }
    }
    if (!todo.isEmpty()) {
      float[][] vs = ie.embedImages(todo);
      encoded.addAndGet(todo.size());
      for (int j = 0; j < vs.length; j++) { cache.put(keys[at.get(j)], vs[j]); out[at.get(j)] = vs[j].clone(); }
      cache.flush();
    }
    return out;
  }

  /** How many texts the wrapped encoder was asked to encode (cache misses). */
  public long encodedCount() {
    return encoded.get();
  }

  public long hitCount() {
    return hits.get();
  }

  public EmbeddingCache cache() {
    return cache;
  }

  @Override
  public int dimension() {
    return inner.dimension();
  }

  @Override
  public String fingerprint() {
    return inner.fingerprint();
  }

  @Override
  public void close() {
    inner.close();
  }
}
