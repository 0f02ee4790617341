package org.pal.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;
import org.pal.core.PalException;
import org.pal.core.config.Json;

/**
 * Users as data: each user's comparisons (as they were given) and the fit they produced, kept in
 * memory and made durable by a write-ahead log plus snapshots in one state directory.
 *
 * <p>Log: segments {@code wal-NNNNNNNNNN.log} of frames {@code [length:int][crc32c:int][JSON]}. A
 * change is acknowledged only after its frame is written and the segment is forced to disk; writers
 * that arrive together share one force (group commit). On open, the newest snapshot
 * ({@code snapshot.json}, written to a temporary file, forced, and renamed into place) is loaded and
 * every segment from the one it names is replayed in order; a frame that is short or whose checksum
 * does not match ends the log: it and anything after it are dropped and the file is truncated there,
 * so a kill at any moment loses no acknowledged change and applies no half one.
 *
 * <p>Deleting a user writes a delete frame, then a snapshot without them, then removes the older
 * segments: their comparisons leave the disk, not only the memory.
 */
public final class UserStore implements AutoCloseable {
  /** One user: every comparison so far (JSON objects as given) and the fit on them. */
  public record StoredUser(String id, List<JsonNode> comparisons, double[] logits, double[] weights, double[][] covariance, double[] weightStd) {
    public StoredUser {
      comparisons = List.copyOf(comparisons);
    }
  }

  private static final String SNAPSHOT = "snapshot.json";
  private static final int FORMAT = 1;

  private final Path dir;
  private final int snapshotEvery;
  private final Map<String, StoredUser> users = new ConcurrentHashMap<>();
  /** Changes hold the read side from log append to memory update; a snapshot's cut holds the write side. */
  private final ReentrantReadWriteLock cut = new ReentrantReadWriteLock();
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final Object snapshotLock = new Object();
  private volatile FileChannel wal;
  private long segment;
  private volatile int recordsInSegment;
  private volatile IOException failed;
  private volatile boolean closed;
  private final int replayed;
  private final int dropped;

  private record Pending(byte[] frame, CompletableFuture<Void> done) {}

  public UserStore(Path dir, int snapshotEvery) {
    this.dir = dir;
    this.snapshotEvery = snapshotEvery;
    try {
      Files.createDirectories(dir);
      long from = 0;
      Path snap = dir.resolve(SNAPSHOT);
      if (Files.exists(snap)) from = loadSnapshot(snap);
      int[] counts = replay(from);
      replayed = counts[0];
      dropped = counts[1];
      segment = Math.max(from, lastSegment());
      wal = FileChannel.open(segmentPath(segment), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      forceDirectory();
    } catch (IOException e) {
      throw PalException.environment("cannot open the user state in " + dir + " (" + e.getMessage() + ")", e);
    }
    writer = new Thread(this::writeLoop, "pal-wal-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** Log records replayed at open, and torn or corrupt trailing frames dropped. */
  public int replayed() { return replayed; }

  public int droppedFrames() { return dropped; }

  public StoredUser get(String id) {
    return users.get(id);
  }

  public int size() {
    return users.size();
  }

  /** Every stored user now (a weakly consistent copy: users enrolled meanwhile may be missing). */
  public List<StoredUser> all() {
    return new ArrayList<>(users.values());
  }

  /**
   * Durably sets a user's comparisons (the stored ones plus {@code added}) and fit; returns once the
   * change is on disk. The caller serialises changes to one user.
   */
  public StoredUser put(String id, List<JsonNode> added, double[] logits, double[] weights, double[][] covariance, double[] weightStd) {
    ObjectNode rec = Json.mapper().createObjectNode();
    rec.put("op", "put").put("user", id);
    ArrayNode a = rec.putArray("add");
    added.forEach(a::add);
    StoredUser old = users.get(id);
    List<JsonNode> all = new ArrayList<>(old == null ? List.of() : old.comparisons());
    all.addAll(added);
    rec.put("count", all.size());
    putFit(rec, logits, weights, covariance, weightStd);
    StoredUser next = new StoredUser(id, all, logits, weights, covariance, weightStd);
    append(rec, () -> users.put(id, next));
    maybeSnapshot();
    return next;
  }

  /** Durably forgets a user: a delete frame, then a snapshot and the removal of older log segments. */
  public boolean delete(String id) {
    if (!users.containsKey(id)) return false;
    ObjectNode rec = Json.mapper().createObjectNode();
    rec.put("op", "delete").put("user", id);
    append(rec, () -> users.remove(id));
    snapshot();
    return true;
  }

  private void append(ObjectNode rec, Runnable apply) {
    byte[] frame = frame(Json.write(rec).getBytes(StandardCharsets.UTF_8));
    cut.readLock().lock();
    try {
      if (closed) throw PalException.environment("the user store is closed", null);
      if (failed != null) throw PalException.environment("the user log failed earlier (" + failed.getMessage() + "); no change is accepted", failed);
      Pending p = new Pending(frame, new CompletableFuture<>());
      queue.add(p);
      try {
        p.done().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw PalException.environment("interrupted while writing the user log", e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw PalException.environment("cannot write the user log (" + e.getCause().getMessage() + ")", e.getCause());
      }
      apply.run();
      recordsInSegment++;
    } finally {
      cut.readLock().unlock();
    }
  }

  /** Group commit: writes every waiting frame, forces once, then acknowledges them all. */
  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    while (true) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(batch);
      try {
        for (Pending p : batch) {
          ByteBuffer b = ByteBuffer.wrap(p.frame());
          while (b.hasRemaining()) wal.write(b);
        }
        wal.force(false);
        for (Pending p : batch) p.done().complete(null);
      } catch (IOException e) {
        failed = e;
        for (Pending p : batch) p.done().completeExceptionally(e);
      } catch (RuntimeException e) {
        for (Pending p : batch) p.done().completeExceptionally(e);
      }
      batch.clear();
    }
  }

  private void maybeSnapshot() {
    if (recordsInSegment >= snapshotEvery) snapshot();
  }

  /**
   * Writes a snapshot of every user and starts a new log segment; older segments are then removed.
   * Changes wait only for the cut (a copy of the map and the segment switch), not for the writing.
   */
  public void snapshot() {
    synchronized (snapshotLock) {
      Map<String, StoredUser> copy;
      long next;
      cut.writeLock().lock();
      try {
        if (closed) return;
        next = segment + 1;
        FileChannel nw = FileChannel.open(segmentPath(next), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        forceDirectory();
        wal.close();
        wal = nw;
        segment = next;
        recordsInSegment = 0;
        copy = new TreeMap<>(users);
      } catch (IOException e) {
        throw PalException.environment("cannot start a new user log segment (" + e.getMessage() + ")", e);
      } finally {
        cut.writeLock().unlock();
      }
      writeSnapshot(copy, next);
      try (var s = Files.list(dir)) {
        for (Path p : s.toList()) {
          Long n = segmentNumber(p);
          if (n != null && n < next) Files.deleteIfExists(p);
        }
        forceDirectory();
      } catch (IOException e) {
        throw PalException.environment("cannot remove old user log segments (" + e.getMessage() + ")", e);
      }
    }
  }

  private void writeSnapshot(Map<String, StoredUser> copy, long walFrom) {
    ObjectNode root = Json.mapper().createObjectNode();
    root.put("format", FORMAT).put("walFrom", walFrom);
    ArrayNode us = root.putArray("users");
    for (StoredUser u : copy.values()) {
      ObjectNode o = us.addObject();
      o.put("user", u.id());
      ArrayNode cs = o.putArray("comparisons");
      u.comparisons().forEach(cs::add);
      putFit(o, u.logits(), u.weights(), u.covariance(), u.weightStd());
    }
    Path tmp = dir.resolve(SNAPSHOT + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(Json.mapper().writeValueAsBytes(root));
      while (b.hasRemaining()) ch.write(b);
      ch.force(true);
    } catch (IOException e) {
      throw PalException.environment("cannot write the user snapshot (" + e.getMessage() + ")", e);
    }
    try {
      Files.move(tmp, dir.resolve(SNAPSHOT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      forceDirectory();
    } catch (IOException e) {
      throw PalException.environment("cannot install the user snapshot (" + e.getMessage() + ")", e);
    }
  }

  private static void putFit(ObjectNode o, double[] logits, double[] weights, double[][] cov, double[] std) {
    ArrayNode l = o.putArray("logits"), w = o.putArray("weights"), s = o.putArray("weightStd"), c = o.putArray("covariance");
    for (double v : logits) l.add(v);
    for (double v : weights) w.add(v);
    for (double v : std) s.add(v);
    for (double[] row : cov) {
      ArrayNode r = c.addArray();
      for (double v : row) r.add(v);
    }
  }

  private static double[] doubles(JsonNode a) {
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) out[i] = a.get(i).doubleValue();
    return out;
  }

  private static StoredUser user(String id, List<JsonNode> comparisons, JsonNode o) {
    JsonNode c = o.get("covariance");
    double[][] cov = new double[c.size()][];
    for (int i = 0; i < cov.length; i++) cov[i] = doubles(c.get(i));
    return new StoredUser(id, comparisons, doubles(o.get("logits")), doubles(o.get("weights")), cov, doubles(o.get("weightStd")));
  }

  private long loadSnapshot(Path snap) throws IOException {
    JsonNode root = Json.mapper().readTree(Files.readAllBytes(snap));
    if (root.path("format").asInt() != FORMAT) throw new IOException("snapshot format " + root.path("format") + " is not " + FORMAT);
    for (JsonNode u : root.get("users")) {
      List<JsonNode> cs = new ArrayList<>();
      u.get("comparisons").forEach(cs::add);
      String id = u.get("user").asText();
      users.put(id, user(id, cs, u));
    }
    return root.get("walFrom").asLong();
  }

  /** Replays segments numbered {@code from} and up; returns {records applied, frames dropped}. */
  private int[] replay(long from) throws IOException {
    int applied = 0, dropped = 0;
    TreeMap<Long, Path> segs = new TreeMap<>();
    try (var s = Files.list(dir)) {
      for (Path p : s.toList()) {
        Long n = segmentNumber(p);
        if (n != null && n >= from) segs.put(n, p);
      }
    }
    for (Path p : segs.values()) {
      byte[] all = Files.readAllBytes(p);
      ByteBuffer b = ByteBuffer.wrap(all);
      int good = 0;
      while (b.remaining() > 0) {
        if (b.remaining() < 8) break;
        int len = b.getInt(), crc = b.getInt();
        if (len < 0 || len > b.remaining()) break;
        byte[] payload = new byte[len];
        b.get(payload);
        if (crc(payload) != crc) break;
        apply(Json.mapper().readTree(payload));
        applied++;
        good = b.position();
      }
      if (good < all.length) {
        dropped++;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
          ch.truncate(good);
          ch.force(true);
        }
      }
    }
    return new int[] {applied, dropped};
  }

  private void apply(JsonNode rec) {
    String id = rec.get("user").asText();
    switch (rec.get("op").asText()) {
      case "put" -> {
        StoredUser old = users.get(id);
        List<JsonNode> all = new ArrayList<>(old == null ? List.of() : old.comparisons());
        rec.get("add").forEach(all::add);
        if (all.size() != rec.get("count").asInt()) {
          throw PalException.environment("user log record for a user says " + rec.get("count").asInt() + " comparisons but replay has " + all.size(), null);
        }
        users.put(id, user(id, all, rec));
      }
      case "delete" -> users.remove(id);
      default -> throw PalException.environment("unknown user log operation " + rec.get("op"), null);
    }
  }

  private Path segmentPath(long n) {
    return dir.resolve(String.format("wal-%010d.log", n));
  }

  private static Long segmentNumber(Path p) {
    String f = p.getFileName().toString();
    if (!f.startsWith("wal-") || !f.endsWith(".log")) return null;
    try {
      return Long.parseLong(f.substring(4, f.length() - 4));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private long lastSegment() throws IOException {
    long max = 0;
    try (var s = Files.list(dir)) {
      for (Path p : s.toList()) {
        Long n = segmentNumber(p);
        if (n != null) max = Math.max(max, n);
      }
    }
    return max;
  }

  private void forceDirectory() throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some file systems refuse to open directories; the rename is still atomic there
    }
  }

  static byte[] frame(byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
    b.putInt(payload.length).putInt(crc(payload)).put(payload);
    return b.array();
  }

  static int crc(byte[] payload) {
    CRC32C c = new CRC32C();
    c.update(payload);
    return (int) c.getValue();
  }

  /** Writes a final snapshot (so the next start replays nothing) and closes the log. */
  @Override
  public void close() {
    if (closed) return;
    if (failed == null) {
      try {
        snapshot();
      } catch (PalException e) {
        // the log is still complete: the next start replays it
      }
    }
    cut.writeLock().lock();
    try {
      closed = true;
      writer.interrupt();
      wal.close();
    } catch (IOException e) {
      // nothing left to lose: every acknowledged change was forced
    } finally {
      cut.writeLock().unlock();
    }
  }
}
