package org.pal.core.archive;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.pal.core.PalException;

/**
 * Writes that never leave a half-written file or directory at the target path. Temporary siblings
 * are named {@code .NAME.tmp-PID-N}: a later write of the same target removes those whose process
 * is gone (a killed run), so leftovers do not pile up.
 */
public final class AtomicFiles {
  private static final long PID = ProcessHandle.current().pid();

  private AtomicFiles() {}

  public static void write(Path file, byte[] bytes) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      removeStale(dir, file.getFileName().toString());
      Path tmp = dir.resolve(tempName(file.getFileName().toString(), "tmp"));
      try {
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw PalException.environment("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  public static void writeString(Path file, String s) {
    write(file, s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * Fills a fresh sibling directory with {@code filler}, marks it as PAL's output and swaps it into
   * place: readers see the old complete directory or the new complete one, never a mix. What may be
   * replaced follows {@link OutputDir}: nothing, an empty directory, or an earlier PAL output the
   * caller {@linkplain OutputDir#claim claimed} with force.
   */
  public static void writeDirectory(Path target, DirectoryFiller filler) {
    writeDirectory(target, false, filler);
  }

  /**
   * @param ownState true for PAL's internal state (checkpoint epochs), which PAL replaces without a
   *     claim; user files and foreign directories are still never replaced
   */
  public static void writeDirectory(Path target, boolean ownState, DirectoryFiller filler) {
    Path abs = target.toAbsolutePath().normalize();
    if (!ownState) OutputDir.checkReplace(abs); // fail before the work, not only at the swap
    try {
      Files.createDirectories(abs.getParent());
      String name = abs.getFileName().toString();
      removeStale(abs.getParent(), name);
      Path tmp = Files.createDirectory(abs.resolveSibling(tempName(name, "tmp")));
      try {
        filler.fill(tmp);
        OutputDir.mark(tmp);
        OutputDir.State s = OutputDir.state(abs);
        if (ownState && s != OutputDir.State.ABSENT && s != OutputDir.State.EMPTY && s != OutputDir.State.OURS) {
          throw PalException.userInput("cannot replace " + target + ": it is not a directory PAL wrote");
        }
        if (!ownState) OutputDir.checkReplace(abs); // the path may have changed while we worked
        Path old = null;
        if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
          old = abs.resolveSibling(tempName(name, "old"));
          Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        if (old != null) deleteTree(old);
      } finally {
        if (Files.exists(tmp)) deleteTree(tmp);
      }
    } catch (IOException e) {
      throw PalException.environment("cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  private static String tempName(String name, String kind) {
    return "." + name + "." + kind + "-" + PID + "-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
  }

  /**
   * Deletes {@code .NAME.tmp*} and {@code .NAME.old*} siblings left by runs that were killed: those
   * whose process id is no longer alive (or that predate process ids in the name).
   */
  static void removeStale(Path dir, String name) throws IOException {
    String prefix = "." + name + ".";
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(prefix))) {
      for (Path p : s) {
        String rest = p.getFileName().toString().substring(prefix.length());
        if (!rest.startsWith("tmp") && !rest.startsWith("old")) continue;
        if (alive(rest.substring(3))) continue;
        deleteTree(p);
      }
    }
  }

  private static boolean alive(String suffix) {
    if (!suffix.startsWith("-")) return false; // an older PAL's name (no pid): only a killed run leaves it
    int dash = suffix.indexOf('-', 1);
    try {
      long pid = Long.parseLong(dash < 0 ? suffix.substring(1) : suffix.substring(1, dash));
      return pid == PID || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  @FunctionalInterface
  public interface DirectoryFiller {
    void fill(Path dir) throws IOException;
  }

  public static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
    }
  }
}
