package org.pal.core.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.pal.core.PalException;

/** Writes that never leave a half-written file or directory at the target path. */
public final class AtomicFiles {
  private AtomicFiles() {}

  public static void write(Path file, byte[] bytes) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
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
   * Fills a fresh sibling directory with {@code filler}, then swaps it into place: readers see the
   * old complete directory or the new complete one, never a mix.
   */
  public static void writeDirectory(Path target, DirectoryFiller filler) {
    Path abs = target.toAbsolutePath();
    try {
      Files.createDirectories(abs.getParent());
      Path tmp = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".tmp");
      try {
        filler.fill(tmp);
        Path old = null;
        if (Files.exists(abs)) {
          old = abs.resolveSibling("." + abs.getFileName() + ".old-" + System.nanoTime());
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

  @FunctionalInterface
  public interface DirectoryFiller {
    void fill(Path dir) throws IOException;
  }

  public static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
    }
  }
}
