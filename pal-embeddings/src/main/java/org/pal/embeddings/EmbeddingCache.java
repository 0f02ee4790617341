package org.pal.embeddings;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Logger;
import org.pal.core.PalException;

/**
 * Content-addressed embedding cache on disk: {@code ROOT/<sha256(encoder fingerprint)>/seg-*.bin},
 * each segment a batch of (SHA-256 of the content, vector) records. A segment is written to a
 * temporary file and renamed into place whole, so a killed run leaves no partial entry and
 * concurrent runs never write the same file (duplicates across segments are harmless). Opening
 * loads every segment into memory: a hit is a hash and a map lookup.
 *
 * <p>Thread-safe.
 */
public final class EmbeddingCache {
  private static final Logger LOG = Logger.getLogger(EmbeddingCache.class.getName());
  private static final int MAGIC = 0x50414c43; // "PALC"

  record Key(long a, long b, long c, long d) {}

  private final Path dir;
  private final int dim;
  private final Map<Key, float[]> entries = new HashMap<>();
  private final List<Map.Entry<Key, float[]>> pending = new ArrayList<>();

  public EmbeddingCache(Path root, String fingerprint, int dim) {
    this.dir = root.resolve(OnnxSentenceEncoder.sha256(fingerprint.getBytes(StandardCharsets.UTF_8)).substring(0, 32));
    this.dim = dim;
    try {
      Files.createDirectories(dir);
      try (var segs = Files.list(dir)) {
        for (Path p : segs.filter(p -> p.getFileName().toString().startsWith("seg-") && p.toString().endsWith(".bin")).sorted().toList()) load(p);
      }
    } catch (IOException e) {
      throw PalException.environment("cannot open embedding cache " + dir + ": " + e.getMessage(), e);
    }
  }

  private void load(Path p) throws IOException {
    long expectRecord = 32 + 4L * dim;
    long size = Files.size(p);
    if (size < 8 || (size - 8) % expectRecord != 0) {
      LOG.warning("skipping malformed cache segment " + p + " (" + size + " bytes)");
      return;
    }
    try (InputStream raw = Files.newInputStream(p); DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 1 << 16))) {
      if (in.readInt() != MAGIC || in.readInt() != dim) {
        LOG.warning("skipping cache segment " + p + ": wrong header");
        return;
      }
      byte[] rec = new byte[(int) expectRecord];
      long n = (size - 8) / expectRecord;
      for (long i = 0; i < n; i++) {
        in.readFully(rec);
        ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
        Key k = new Key(b.getLong(), b.getLong(), b.getLong(), b.getLong());
        float[] v = new float[dim];
        for (int j = 0; j < dim; j++) v[j] = b.getFloat();
        entries.put(k, v);
      }
    }
  }

  public static Key key(String content) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8));
      ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
      return new Key(b.getLong(), b.getLong(), b.getLong(), b.getLong());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw PalException.environment("SHA-256 unavailable", e);
    }
  }

  public synchronized float[] get(Key k) {
    return entries.get(k);
  }

  public synchronized void put(Key k, float[] v) {
    if (v.length != dim) throw PalException.internal("cache entry of length " + v.length + " for dimension " + dim);
    if (entries.putIfAbsent(k, v) == null) pending.add(Map.entry(k, v));
  }

  public synchronized int size() {
    return entries.size();
  }

  /** Writes the entries added since the last flush as one new segment, atomically. */
  public synchronized void flush() {
    if (pending.isEmpty()) return;
    ByteBuffer b = ByteBuffer.allocate(8 + pending.size() * (32 + 4 * dim)).order(ByteOrder.LITTLE_ENDIAN);
    b.order(ByteOrder.BIG_ENDIAN).putInt(MAGIC).putInt(dim).order(ByteOrder.LITTLE_ENDIAN);
    for (Map.Entry<Key, float[]> e : pending) {
      Key k = e.getKey();
      b.putLong(k.a()).putLong(k.b()).putLong(k.c()).putLong(k.d());
      for (float f : e.getValue()) b.putFloat(f);
    }
    String name = "seg-" + System.currentTimeMillis() + "-" + UUID.randomUUID();
    Path tmp = dir.resolve("." + name + ".tmp");
    try {
      Files.write(tmp, b.array());
      Files.move(tmp, dir.resolve(name + ".bin"), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw PalException.environment("cannot write embedding cache segment in " + dir + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // a leftover temporary file is never read
      }
    }
    pending.clear();
  }

  public Path directory() {
    return dir;
  }
}
