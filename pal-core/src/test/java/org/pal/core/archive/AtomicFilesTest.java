package org.pal.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;

/**
 * When {@link AtomicFiles#writeDirectory} checks the target (before the work and again at the swap),
 * what it refuses for PAL's own state, and which leftover names count as a live or a killed run's.
 */
class AtomicFilesTest {
  @TempDir Path dir;

  private static final String FOREIGN = "is a directory with files PAL did not write (no .pal-output marker); "
      + "PAL never replaces it, not even with --force: choose a new or empty directory";

  private static long siblings(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(".")).count();
    }
  }

  @Test
  void aForeignTargetIsRefusedBeforeTheWork() throws Exception {
    Path v = Files.createDirectories(dir.resolve("v"));
    Files.writeString(v.resolve("mine.txt"), "x");
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(() -> AtomicFiles.writeDirectory(v, tmp -> calls.incrementAndGet()))
        .isInstanceOf(PalException.class).hasMessage("output " + v + " " + FOREIGN);
    assertThat(calls).hasValue(0);
    assertThat(siblings(dir)).isZero();
  }

  @Test
  void aTargetThatChangesDuringTheWorkIsRefusedAtTheSwap() throws Exception {
    Path v = dir.resolve("v");
    assertThatThrownBy(() -> AtomicFiles.writeDirectory(v, tmp -> {
      Files.createDirectories(v);
      Files.writeString(v.resolve("appeared.txt"), "someone else's");
      Files.writeString(tmp.resolve("result.txt"), "new");
    })).hasMessage("output " + v + " " + FOREIGN);
    assertThat(Files.readString(v.resolve("appeared.txt"))).isEqualTo("someone else's");
    assertThat(v.resolve("result.txt")).doesNotExist();
    assertThat(siblings(dir)).isZero(); // the temporary directory is gone
  }

  @Test
  void ownStateReplacesPalOutputWithoutAClaimButNeverAForeignDirectory() throws Exception {
    Path ck = dir.resolve("epoch");
    AtomicFiles.writeDirectory(ck, true, tmp -> Files.writeString(tmp.resolve("a.txt"), "1"));
    AtomicFiles.writeDirectory(ck, true, tmp -> Files.writeString(tmp.resolve("b.txt"), "2"));
    assertThat(ck.resolve("a.txt")).doesNotExist();
    assertThat(Files.readString(ck.resolve("b.txt"))).isEqualTo("2");
    assertThat(siblings(dir)).isZero(); // the replaced directory is deleted, not left as .epoch.old-*
    // without ownState the same replacement needs a claim
    assertThatThrownBy(() -> AtomicFiles.writeDirectory(ck, tmp -> { }))
        .hasMessage("output " + ck + " already holds an earlier PAL output; pass --force to replace it, or choose another path");
    Path foreign = Files.createDirectories(dir.resolve("foreign"));
    Files.writeString(foreign.resolve("x.txt"), "x");
    assertThatThrownBy(() -> AtomicFiles.writeDirectory(foreign, true, tmp -> Files.writeString(tmp.resolve("a.txt"), "1")))
        .hasMessage("cannot replace " + foreign + ": it is not a directory PAL wrote");
    assertThat(foreign.resolve("a.txt")).doesNotExist();
    assertThat(Files.readString(foreign.resolve("x.txt"))).isEqualTo("x");
    Path file = Files.writeString(dir.resolve("file"), "f");
    assertThatThrownBy(() -> AtomicFiles.writeDirectory(file, true, tmp -> { })).hasMessage("cannot replace " + file + ": it is not a directory PAL wrote");
    // an empty directory is taken
    Path empty = Files.createDirectories(dir.resolve("empty"));
    AtomicFiles.writeDirectory(empty, true, tmp -> Files.writeString(tmp.resolve("a.txt"), "1"));
    assertThat(empty.resolve("a.txt")).exists();
  }

  @Test
  void leftoverNamesOfLiveAndKilledRuns() throws Exception {
    long pid = ProcessHandle.current().pid();
    Path live = Files.createDirectories(dir.resolve(".t.tmp-" + pid)); // no random part: still this process's
    Path liveOld = Files.createDirectories(dir.resolve(".t.old-" + pid + "-q"));
    Path notANumber = Files.createDirectories(dir.resolve(".t.tmp-abc-1"));
    Path dead = Files.createDirectories(dir.resolve(".t.tmp-4194305"));
    Path other = Files.createDirectories(dir.resolve(".t.keep-4194305"));
    AtomicFiles.writeString(dir.resolve("t"), "x");
    assertThat(live).exists();
    assertThat(liveOld).exists();
    assertThat(notANumber).doesNotExist();
    assertThat(dead).doesNotExist();
    assertThat(other).exists(); // neither tmp nor old: not ours to remove
    assertThat(Files.readString(dir.resolve("t"))).isEqualTo("x");
  }
}
