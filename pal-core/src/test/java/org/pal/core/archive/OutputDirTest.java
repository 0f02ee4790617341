package org.pal.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;

/** Output safety: PAL replaces only nothing, an empty directory, or its own earlier output when forced. */
class OutputDirTest {
  @TempDir Path dir;

  private static void fill(Path target) {
    AtomicFiles.writeDirectory(target, tmp -> Files.writeString(tmp.resolve("result.txt"), "new"));
  }

  @Test
  void aForeignDirectoryIsNeverTouchedEvenWithForce() throws Exception {
    Path v = dir.resolve("v");
    Files.createDirectories(v.resolve("docs"));
    Files.writeString(v.resolve("docs/thesis.txt"), "x");
    for (boolean force : new boolean[] {false, true}) {
      assertThatThrownBy(() -> OutputDir.claim(v, force)).isInstanceOf(PalException.class)
          .hasMessageContaining(v.toString()).hasMessageContaining("--force")
          .extracting(e -> ((PalException) e).kind()).isEqualTo(PalException.Kind.USER_INPUT);
    }
    assertThatThrownBy(() -> fill(v)).isInstanceOf(PalException.class);
    assertThat(Files.readString(v.resolve("docs/thesis.txt"))).isEqualTo("x");
  }

  @Test
  void aRegularFileOrALinkIsNeverReplaced() throws Exception {
    Path f = dir.resolve("model");
    Files.writeString(f, "my notes");
    assertThatThrownBy(() -> OutputDir.claim(f, true)).hasMessageContaining("is a file").hasMessageContaining("--force");
    assertThatThrownBy(() -> fill(f)).isInstanceOf(PalException.class);
    assertThat(Files.readString(f)).isEqualTo("my notes");
    Path target = Files.createDirectories(dir.resolve("elsewhere"));
    Files.writeString(target.resolve("keep.txt"), "k");
    Path link = Files.createSymbolicLink(dir.resolve("link"), target);
    assertThatThrownBy(() -> OutputDir.claim(link, true)).hasMessageContaining("symbolic link");
    assertThatThrownBy(() -> fill(link)).isInstanceOf(PalException.class);
    assertThat(Files.readString(target.resolve("keep.txt"))).isEqualTo("k");
  }

  @Test
  void anEarlierOutputIsReplacedOnlyWhenForced() throws Exception {
    Path out = dir.resolve("out");
    fill(out); // nothing there: fine
    assertThat(out.resolve(OutputDir.MARKER)).exists();
    assertThatThrownBy(() -> OutputDir.claim(out, false)).hasMessageContaining("pass --force");
    assertThatThrownBy(() -> fill(out)).hasMessageContaining("pass --force"); // no claim: no replacement
    OutputDir.claim(out, true);
    AtomicFiles.writeDirectory(out, tmp -> Files.writeString(tmp.resolve("other.txt"), "2"));
    assertThat(out.resolve("other.txt")).exists();
    assertThat(out.resolve("result.txt")).doesNotExist();
    Path empty = Files.createDirectories(dir.resolve("empty"));
    OutputDir.claim(empty, false);
    fill(empty);
    assertThat(empty.resolve("result.txt")).exists();
  }

  @Test
  void leftoversOfKilledWritesAreRemovedOnTheNextWrite() throws Exception {
    Path out = dir.resolve("model");
    // pid 2^22+1 is above Linux's pid_max: no such process; the second name predates pids in names
    Path killed = Files.createDirectories(dir.resolve(".model.tmp-4194305-abc"));
    Files.writeString(killed.resolve("params.npy"), "partial");
    Path legacy = Files.createDirectories(dir.resolve(".model.tmp1234567"));
    Path killedOld = Files.createDirectories(dir.resolve(".model.old-4194305-def"));
    Path live = Files.createDirectories(dir.resolve(".model.tmp-" + ProcessHandle.current().pid() + "-x"));
    Path unrelated = Files.createDirectories(dir.resolve(".other.tmp-4194305-abc"));
    fill(out);
    assertThat(killed).doesNotExist();
    assertThat(legacy).doesNotExist();
    assertThat(killedOld).doesNotExist();
    assertThat(live).exists(); // a run still going (here: this one) keeps its directory
    assertThat(unrelated).exists();
    Path file = dir.resolve("LATEST");
    Files.writeString(dir.resolve(".LATEST.tmp-4194305-q"), "half");
    AtomicFiles.writeString(file, "x");
    assertThat(dir.resolve(".LATEST.tmp-4194305-q")).doesNotExist();
  }
}
