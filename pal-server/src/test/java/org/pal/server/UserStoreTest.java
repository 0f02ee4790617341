package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.config.Json;

/** The write-ahead log and snapshots: replay, torn and corrupt tails, snapshots with later records, group commit. */
class UserStoreTest {
  @TempDir Path dir;

  static List<JsonNode> comparisons(String tag, int n) {
    List<JsonNode> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(Json.parse("{\"chosen\": \"" + tag + " good " + i + "\", \"rejected\": \"" + tag + " bad " + i + "\"}"));
    return out;
  }

  static UserStore.StoredUser put(UserStore s, String id, int n, double w0) {
    return s.put(id, comparisons(id, n), new double[] {Math.log(w0), Math.log(1 - w0)}, new double[] {w0, 1 - w0},
        new double[][] {{0.5, 0.1}, {0.1, 0.25}}, new double[] {0.1 / 3, 0.2});
  }

  static Path lastSegment(Path dir) throws Exception {
    try (var s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("wal-")).sorted().reduce((a, b) -> b).orElseThrow();
    }
  }

  @Test
  void replaysTheLogExactly() {
    UserStore s = new UserStore(dir, 1000);
    put(s, "a", 3, 1.0 / 3);
    put(s, "b", 2, 0.7);
    put(s, "a", 2, 0.123456789012345);
    // s stays open, as if killed (close would snapshot): the next open must replay the log
    UserStore again = new UserStore(dir, 1000);
    assertThat(again.replayed()).isEqualTo(3);
    assertThat(again.droppedFrames()).isZero();
    UserStore.StoredUser a = again.get("a");
    assertThat(a.comparisons()).hasSize(5);
    assertThat(a.comparisons().get(4).get("chosen").asText()).isEqualTo("a good 1");
    assertThat(a.weights()).containsExactly(0.123456789012345, 1 - 0.123456789012345);
    assertThat(a.covariance()[0]).containsExactly(0.5, 0.1);
    assertThat(a.weightStd()).containsExactly(0.1 / 3, 0.2);
    assertThat(again.get("b").weights()).containsExactly(0.7, 1 - 0.7);
    assertThat(again.size()).isEqualTo(2);
  }

  @Test
  void closeWritesASnapshotSoTheNextOpenReplaysNothing() throws Exception {
    UserStore s = new UserStore(dir, 1000);
    put(s, "a", 3, 0.25);
    put(s, "b", 1, 0.5);
    s.close();
    s.close(); // a second close is harmless
    assertThat(Files.exists(dir.resolve("snapshot.json"))).isTrue();
    // a closed store refuses changes, from any thread, at once (it holds no lock)
    ExecutorService ex = Executors.newSingleThreadExecutor();
    Future<Throwable> late = ex.submit(() -> {
      try {
        put(s, "c", 1, 0.5);
        return null;
      } catch (RuntimeException e) {
        return e;
      }
    });
    assertThat(late.get(30, TimeUnit.SECONDS)).hasMessageContaining("closed");
    ex.shutdown();
    try (UserStore again = new UserStore(dir, 1000)) {
      assertThat(again.replayed()).as("everything came from the snapshot").isZero();
      assertThat(again.size()).isEqualTo(2);
      assertThat(again.get("a").comparisons()).hasSize(3);
      assertThat(again.get("b").weights()).containsExactly(0.5, 0.5);
      assertThat(again.get("c")).isNull();
    }
  }

  @Test
  void aSnapshotFollowsExactlySnapshotEveryRecords() throws Exception {
    UserStore s = new UserStore(dir, 2);
    put(s, "a", 1, 0.25);
    assertThat(Files.exists(dir.resolve("snapshot.json"))).isFalse();
    put(s, "b", 1, 0.5);
    assertThat(Files.exists(dir.resolve("snapshot.json"))).isTrue();
    assertThat(lastSegment(dir).getFileName().toString()).isEqualTo("wal-0000000001.log");
    assertThat(Files.size(lastSegment(dir))).as("the new segment starts empty").isZero();
  }

  /** A kill after the snapshot was installed but before the old segments were removed: they are not replayed again. */
  @Test
  void segmentsOlderThanTheSnapshotAreNotReplayed() throws Exception {
    UserStore s = new UserStore(dir, 1000);
    put(s, "a", 1, 0.25);
    Path first = lastSegment(dir);
    byte[] old = Files.readAllBytes(first);
    s.close();
    assertThat(Files.exists(first)).as("removed once the snapshot holds it").isFalse();
    Files.write(first, old); // as if the removal never happened
    try (UserStore again = new UserStore(dir, 1000)) {
      assertThat(again.replayed()).isZero();
      assertThat(again.get("a").comparisons()).as("a's record is applied once, not twice").hasSize(1);
    }
  }

  /** Changes after an open go to the newest segment, so that replay (in segment order) applies them last. */
  @Test
  void anOpenAppendsToTheNewestSegment() throws Exception {
    UserStore s = new UserStore(dir, 1000);
    put(s, "a", 1, 0.25);
    Path seg0 = lastSegment(dir);
    Path seg5 = dir.resolve("wal-0000000005.log");
    Files.move(seg0, seg5); // a log whose newest segment is 5 (earlier ones snapshotted away), no snapshot file
    UserStore again = new UserStore(dir, 1000);
    assertThat(again.replayed()).isEqualTo(1);
    put(again, "a", 2, 0.5);
    try (var f = Files.list(dir)) {
      assertThat(f.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("wal-")).toList()).containsExactly("wal-0000000005.log");
    }
    UserStore third = new UserStore(dir, 1000);
    assertThat(third.replayed()).isEqualTo(2);
    assertThat(third.get("a").comparisons()).hasSize(3);
    assertThat(third.get("a").weights()).containsExactly(0.5, 0.5);
  }

  @Test
  void aTornLastRecordIsDroppedAndTheRestKept() throws Exception {
    UserStore s = new UserStore(dir, 1000);
    put(s, "a", 3, 0.25);
    put(s, "b", 4, 0.5);
    Path seg = lastSegment(dir);
    long full = Files.size(seg);
    // simulate a kill in the middle of writing c's record: only part of its frame reached the disk
    byte[] frame = UserStore.frame("{\"op\": \"put\", \"user\": \"c\", \"add\": [], \"count\": 0}".getBytes());
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.APPEND)) {
      ch.write(java.nio.ByteBuffer.wrap(frame, 0, frame.length - 5));
    }
    UserStore again = new UserStore(dir, 1000);
    assertThat(again.get("a").comparisons()).hasSize(3);
    assertThat(again.get("b").weights()).containsExactly(0.5, 0.5);
    assertThat(again.get("c")).isNull();
    assertThat(again.droppedFrames()).isEqualTo(1);
    assertThat(Files.size(seg)).as("the torn tail is cut off").isEqualTo(full);
    put(again, "d", 1, 0.9); // appends after the cut, and a later open sees it
    UserStore third = new UserStore(dir, 1000);
    assertThat(third.get("d").weights()).containsExactly(0.9, 1 - 0.9);
    assertThat(third.droppedFrames()).isZero();
  }

  @Test
  void aCorruptChecksumEndsTheLog() throws Exception {
    UserStore s = new UserStore(dir, 1000);
    put(s, "a", 2, 0.25);
    put(s, "b", 2, 0.5);
    Path seg = lastSegment(dir);
    byte[] all = Files.readAllBytes(seg);
    all[all.length - 3] ^= 0x20; // a flipped bit inside b's record
    Files.write(seg, all);
    UserStore again = new UserStore(dir, 1000);
    assertThat(again.get("a")).isNotNull();
    assertThat(again.get("b")).as("a record whose checksum fails is not applied").isNull();
    assertThat(again.droppedFrames()).isEqualTo(1);
  }

  @Test
  void snapshotsThenLaterRecordsReplayOverThem() throws Exception {
    try (UserStore s = new UserStore(dir, 3)) {
      for (int i = 0; i < 7; i++) put(s, "u" + i, 1, 0.1 + i / 10.0);
      put(s, "u0", 2, 0.05);
      assertThat(Files.exists(dir.resolve("snapshot.json"))).isTrue();
      try (var f = Files.list(dir)) {
        assertThat(f.filter(p -> p.getFileName().toString().startsWith("wal-")).count()).as("old segments removed").isEqualTo(1);
      }
    }
    try (UserStore s = new UserStore(dir, 3)) {
      assertThat(s.size()).isEqualTo(7);
      assertThat(s.get("u0").comparisons()).hasSize(3);
      assertThat(s.get("u0").weights()).containsExactly(0.05, 0.95);
      assertThat(s.get("u6").weights()[0]).isEqualTo(0.1 + 6 / 10.0);
    }
  }

  /** Concurrent writers share forces (group commit) and every acknowledged change survives. */
  @Test
  void concurrentWritersAreAllDurable() throws Exception {
    UserStore s = new UserStore(dir, 100_000);
    ExecutorService ex = Executors.newFixedThreadPool(8);
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int n = i;
      fs.add(ex.submit(() -> put(s, "w" + n, 2, (n + 1) / 300.0)));
    }
    for (Future<?> f : fs) f.get(60, TimeUnit.SECONDS);
    ex.shutdown();
    UserStore again = new UserStore(dir, 100_000);
    assertThat(again.size()).isEqualTo(200);
    for (int i = 0; i < 200; i++) assertThat(again.get("w" + i).weights()[0]).isEqualTo((i + 1) / 300.0);
  }
}
