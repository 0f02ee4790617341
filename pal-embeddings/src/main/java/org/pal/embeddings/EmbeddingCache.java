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
import java.util.zip.CRC32C;
import java.util.logging.Logger;
import org.pal.core.PalException;

/**
 * Content-addressed embedding cache on disk: {@code ROOT/<sha256(encoder fingerprint)>/seg-*.bin},
 * each segment a batch of (SHA-256 of the content, vector, CRC-32C of both) records. A segment is
 * written to a temporary file and renamed into place whole, so a killed run leaves no partial entry
 * and concurrent runs never write the same file (duplicates across segments are harmless). Opening
 * loads every segment into memory: a hit is a hash and a map lookup.
 *
 * <p>Corruption is never served: a record whose checksum fails or whose vector is not finite is
 * dropped (and so recomputed on its next use); its segment is moved to {@code quarantine/} and its
 * good records are written again; one warning reports it all. A non-finite vector is never stored.
 *
 * <p>Thread-safe.
 */
public final class EmbeddingCache {
  private static final Logger LOG = Logger.getLogger(EmbeddingCache.class.getName());
  /** "PAL2": segments with a checksum per record. */
  private static final int MAGIC = 0x50414c32;
  private static final int KEY_BYTES = 32, CRC_BYTES = 4;

  record Key(long a, long b, long c, long d) {}

  private final Path dir;
  private final int dim;
  private final Map<Key, float[]> entries = new HashMap<>();
  private final List<Map.Entry<Key, float[]>> pending = new ArrayList<>();
  private long droppedRecords;
  private final List<Path> quarantined = new ArrayList<>();

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
    if (droppedRecords > 0 || !quarantined.isEmpty()) {
      LOG.warning("embedding cache " + dir + ": " + droppedRecords + " damaged record(s) dropped (they will be recomputed); "
          + quarantined.size() + " segment(s) moved to " + dir.resolve("quarantine"));
    }
  }

  private int recordBytes() {
    return KEY_BYTES + 4 * dim + CRC_BYTES;
  }

  private void load(Path p) throws IOException {
    long size = Files.size(p);
    int rec = recordBytes();
    boolean damaged = size < 8 || (size - 8) % rec != 0;
    List<Map.Entry<Key, float[]>> good = new ArrayList<>();
    long dropped = 0;
    try (InputStream raw = Files.newInputStream(p); DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 1 << 16))) {
      if (size < 8 || in.readInt() != MAGIC || in.readInt() != dim) {
        // an old format or a damaged header: nothing in it can be trusted
        dropped += Math.max(1, (size - 8) / rec);
        quarantine(p, dropped);
        return;
      }
      byte[] buf = new byte[rec];
      long n = (size - 8) / rec;
      CRC32C crc = new CRC32C();
      for (long i = 0; i < n; i++) {
        in.readFully(buf);
        crc.reset();
        crc.update(buf, 0, rec - CRC_BYTES);
        ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        if ((int) crc.getValue() != b.getInt(rec - CRC_BYTES)) { dropped++; continue; }
        Key k = new Key(b.getLong(), b.getLong(), b.getLong(), b.getLong());
        float[] v = new float[dim];
        boolean finite = true;
        for (int j = 0; j < dim; j++) { v[j] = b.getFloat(); finite &= Float.isFinite(v[j]); }
        if (!finite) { dropped++; continue; }
        good.add(Map.entry(k, v));
      }
    }
    for (Map.Entry<Key, float[]> e : good) entries.putIfAbsent(e.getKey(), e.getValue());
    if (dropped > 0 || damaged) {
      quarantine(p, Math.max(dropped, 1));
      pending.addAll(good); // the good records of a quarantined segment are written again on the next flush
    }
  }

  private void quarantine(Path p, long dropped) {
    droppedRecords += dropped;
    try {
      Path q = Files.createDirectories(dir.resolve("quarantine"));
      Files.move(p, q.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      quarantined.add(p);
    } catch (IOException e) {
      LOG.warning("embedding cache: cannot move damaged segment " + p + " to quarantine (" + e.getMessage() + "); it is ignored");
    }
  }

  /** Records dropped as damaged when the cache was opened. */
  public long droppedRecords() {
    return droppedRecords;
  }

  /** Segments moved to quarantine when the cache was opened. */
  public List<Path> quarantinedSegments() {
    return List.copyOf(quarantined);
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
    for (float x : v) if (!Float.isFinite(x)) throw PalException.internal("refusing to cache a non-finite vector");
    if (entries.putIfAbsent(k, v) == null) pending.add(Map.entry(k, v));
  }

  public synchronized int size() {
    return entries.size();
  }

  /** Writes the entries added since the last flush as one new segment, atomically. */
  public synchronized void flush() {
    if (pending.isEmpty()) return;
    int rec = recordBytes();
    ByteBuffer b = ByteBuffer.allocate(8 + pending.size() * rec).order(ByteOrder.LITTLE_ENDIAN);
    b.order(ByteOrder.BIG_ENDIAN).putInt(MAGIC).putInt(dim).order(ByteOrder.LITTLE_ENDIAN);
    CRC32C crc = new CRC32C();
    for (Map.Entry<Key, float[]> e : pending) {
      int start = b.position();
      Key k = e.getKey();
      b.putLong(k.a()).putLong(k.b()).putLong(k.c()).putLong(k.d());
      for (float f : e.getValue()) b.putFloat(f);
      crc.reset();
      crc.update(b.array(), start, rec - CRC_BYTES);
      b.putInt((int) crc.getValue());
    }
    pending.clear(); // written or not, they are not retried: a cache that cannot be written must not grow in memory
    String name = "seg-" + System.currentTimeMillis() + "-" + UUID.randomUUID();
    Path tmp = dir.resolve("." + name + ".tmp");
    try {
      Files.write(tmp, b.array());
      Files.move(tmp, dir.resolve(name + ".bin"), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw PalException.environment("cannot write embedding cache segment in " + dir + ": " + e, e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // a leftover temporary file is never read
      }
    }
  }

  /** Forgets what was added since the last flush (the entries stay usable in memory). */
  public synchronized void discardPending() {
    pending.clear();
  }

  public Path directory() {
    return dir;
  }
}
