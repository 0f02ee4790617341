package org.pal.core.archive;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.pal.core.PalException;

/**
 * The one rule for output paths: PAL replaces a path only when nothing is there, when it is an empty
 * directory, or when it is a directory PAL wrote itself (it carries {@link #MARKER}) and the caller
 * asked for replacement ({@link #claim} with {@code force}). A regular file, a link or a directory
 * of someone else's files is never touched, whatever the flags. {@link AtomicFiles#writeDirectory}
 * applies the rule at the moment of the swap, so it holds for every writer, not only the CLI.
 */
public final class OutputDir {
  /** Written into every output directory; its presence is what makes a directory replaceable. */
  public static final String MARKER = ".pal-output";
  private static final String SIGNATURE = "written by PAL";

  // outputs whose replacement the user asked for in this process (absolute, normalised)
  private static final Set<Path> REPLACEABLE = ConcurrentHashMap.newKeySet();

  private OutputDir() {}

  /**
   * Checks an output path before any work is done and records the permission to replace it.
   *
   * @param force whether an earlier PAL output at the path may be replaced
   * @throws PalException (user input) naming the path and the {@code --force} flag when the path may not be written
   */
  public static void claim(Path target, boolean force) {
    Path abs = normal(target);
    State s = state(abs);
    switch (s) {
      case ABSENT, EMPTY -> { }
      case OURS -> {
        if (!force) throw PalException.userInput("output " + target + " already holds an earlier PAL output; pass --force to replace it, or choose another path");
        REPLACEABLE.add(abs);
      }
      default -> throw refusal(target, s);
    }
  }

  /** Whether a claim allowed replacing the PAL output at {@code target}. */
  static boolean replaceable(Path target) {
    return REPLACEABLE.contains(normal(target));
  }

  /** Fails unless {@code target} may be replaced now (used at the moment of the swap). */
  static void checkReplace(Path target) {
    State s = state(normal(target));
    if (s == State.ABSENT || s == State.EMPTY) return;
    if (s == State.OURS) {
      if (replaceable(target)) return;
      throw PalException.userInput("output " + target + " already holds an earlier PAL output; pass --force to replace it, or choose another path");
    }
    throw refusal(target, s);
  }

  /** Whether {@code dir} is a directory PAL wrote (it carries the marker). */
  public static boolean isOurs(Path dir) {
    return state(normal(dir)) == State.OURS;
  }

  /** Marks a directory being filled as PAL's own output. */
  static void mark(Path dir) throws IOException {
    Files.writeString(dir.resolve(MARKER), SIGNATURE + "\n", StandardCharsets.UTF_8);
  }

  enum State { ABSENT, EMPTY, OURS, FILE, LINK, FOREIGN }

  static State state(Path abs) {
    if (Files.isSymbolicLink(abs)) return State.LINK;
    if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) return State.ABSENT;
    if (!Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) return State.FILE;
    Path marker = abs.resolve(MARKER);
    try {
      if (Files.isRegularFile(marker, LinkOption.NOFOLLOW_LINKS) && Files.size(marker) < 256
          && Files.readString(marker, StandardCharsets.UTF_8).startsWith(SIGNATURE)) {
        return State.OURS;
      }
      try (Stream<Path> s = Files.list(abs)) {
        return s.findAny().isPresent() ? State.FOREIGN : State.EMPTY;
      }
    } catch (IOException | RuntimeException e) {
      return State.FOREIGN; // unreadable: treat as someone else's
    }
  }

  private static PalException refusal(Path target, State s) {
    String what = switch (s) {
      case FILE -> "is a file";
      case LINK -> "is a symbolic link";
      default -> "is a directory with files PAL did not write (no " + MARKER + " marker)";
    };
    return PalException.userInput("output " + target + " " + what + "; PAL never replaces it, not even with --force: choose a new or empty directory");
  }

  private static Path normal(Path p) {
    return p.toAbsolutePath().normalize();
  }
}
