package org.pal.embeddings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.pal.core.spi.Embedder;

/**
 * An embedder in front of a {@link EmbeddingCache}: only contents never seen by this encoder
 * (same fingerprint) reach the encoder, each at most once per call; new vectors are flushed as one
 * segment per call. Thread-safe when the wrapped embedder is.
 */
public final class CachingEmbedder implements Embedder {
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
