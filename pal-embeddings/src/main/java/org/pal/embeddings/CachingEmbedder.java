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
 * segment per call. The cache only ever saves work: when it cannot be opened or written the
 * vectors are still returned, with one warning naming the cause. A non-finite encoder output is an
 * error and is never cached. Thread-safe when the wrapped embedder is.
 */
public final class CachingEmbedder implements ImageEmbedder {
  private final Embedder inner;
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(CachingEmbedder.class.getName());
  private final EmbeddingCache cache; // null when it cannot be opened
  private volatile boolean writable = true;
  private final AtomicLong encoded = new AtomicLong();
  private final AtomicLong hits = new AtomicLong();

  public CachingEmbedder(Embedder inner, Path root) {
    this.inner = inner;
    EmbeddingCache c = null;
    try {
      c = new EmbeddingCache(root, inner.fingerprint(), inner.dimension());
    } catch (org.pal.core.PalException e) {
      LOG.warning(e.getMessage() + "; embedding without a cache (turn it off with --no-cache, or \"cache\" unset in an encoder config)");
    }
    this.cache = c;
  }

  @Override
  public float[][] embed(List<String> texts) {
    EmbeddingCache.Key[] keys = new EmbeddingCache.Key[texts.size()];
    for (int i = 0; i < keys.length; i++) keys[i] = EmbeddingCache.key(texts.get(i) == null ? "" : texts.get(i));
    return cached(texts, keys, inner::embed);
  }

  /** Images are keyed by the SHA-256 of their file bytes, so a renamed file is still a hit. */
  @Override
  public float[][] embedImages(List<Path> images) {
    if (!(inner instanceof ImageEmbedder ie)) {
      throw org.pal.core.PalException.userInput("this encoder (" + inner.getClass().getSimpleName() + ") embeds text only; use onnx-clip for images");
    }
    EmbeddingCache.Key[] keys = new EmbeddingCache.Key[images.size()];
    for (int i = 0; i < keys.length; i++) {
      try {
        keys[i] = EmbeddingCache.key("image:" + OnnxSentenceEncoder.sha256(java.nio.file.Files.readAllBytes(images.get(i))));
      } catch (java.io.IOException e) {
        throw org.pal.core.PalException.badInput("image", images.get(i), "cannot be read (" + e.getMessage() + ")");
      }
    }
    return cached(images, keys, ie::embedImages);
  }

  /** Hits from the cache; each distinct missing key encoded once, stored and flushed as one segment. */
  private <T> float[][] cached(List<T> items, EmbeddingCache.Key[] keys, java.util.function.Function<List<T>, float[][]> encode) {
    float[][] out = new float[items.size()][];
    Map<EmbeddingCache.Key, List<Integer>> missing = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i++) {
      float[] v = cache == null ? null : cache.get(keys[i]);
      if (v != null) {
        out[i] = v.clone();
        hits.incrementAndGet();
      } else {
        missing.computeIfAbsent(keys[i], k -> new ArrayList<>()).add(i);
      }
    }
    if (!missing.isEmpty()) {
      List<List<Integer>> groups = new ArrayList<>(missing.values());
      List<T> todo = new ArrayList<>(groups.size());
      for (List<Integer> g : groups) todo.add(items.get(g.get(0)));
      float[][] vs = encode.apply(todo);
      encoded.addAndGet(todo.size());
      for (int j = 0; j < groups.size(); j++) requireFinite(vs[j], groups.get(j).get(0));
      for (int j = 0; j < groups.size(); j++) {
        if (cache != null) cache.put(keys[groups.get(j).get(0)], vs[j]);
        for (int i : groups.get(j)) out[i] = vs[j].clone();
      }
      flush();
    }
    return out;
  }

  /** Fails on a non-finite encoder output: it is never written anywhere. */
  public static void requireFinite(float[] v, int input) {
    for (int d = 0; d < v.length; d++) {
      if (!Float.isFinite(v[d])) {
        throw org.pal.core.PalException.userInput("the encoder produced the non-finite value " + v[d] + " (input " + input + " of the batch, dimension " + d
            + "); check the encoder model");
      }
    }
  }

  /** Finished vectors are never thrown away because the cache cannot be written: warn once and go on. */
  private void flush() {
    if (cache == null) return;
    if (!writable) {
      cache.discardPending();
      return;
    }
    try {
      cache.flush();
    } catch (org.pal.core.PalException e) {
      writable = false;
      LOG.warning(e.getMessage() + "; the vectors are used but not cached (fix the directory, or turn the cache off with --no-cache)");
    }
  }

  /** How many texts the wrapped encoder was asked to encode (cache misses). */
  public long encodedCount() {
    return encoded.get();
  }

  public long hitCount() {
    return hits.get();
  }

  /** The cache, or null when it could not be opened. */
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
