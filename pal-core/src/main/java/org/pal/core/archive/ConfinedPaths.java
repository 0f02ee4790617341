package org.pal.core.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.pal.core.PalException;

/**
 * Paths named inside data (record values, archive manifests) resolve inside one root folder:
 * absolute paths, {@code ..} and links that lead out are refused with one message that does not
 * say whether the outside file exists (no probing of {@code /etc/shadow} through error texts).
 */
public final class ConfinedPaths {
  private ConfinedPaths() {}

  /**
   * @param root the folder the path must stay in
   * @param value the path as written in the data (relative to root)
   * @param what names the field in messages
   * @return the resolved path inside root; it exists
   */
  public static Path resolve(Path root, String value, String what) {
    return resolve(root, root, value, what);
  }

  /**
   * @param base the folder a relative path is read from (a record file's folder), inside or equal to root
   */
  public static Path resolve(Path root, Path base, String value, String what) {
    Path rootAbs = root.toAbsolutePath().normalize();
    if (value == null || value.isEmpty()) throw PalException.badInput(what, "\"\"", "is empty; give a path relative to " + rootAbs);
    Path rel;
    try {
      rel = rootAbs.getFileSystem().getPath(value);
    } catch (InvalidPathException e) {
      throw refuse(what, value, rootAbs);
    }
    if (rel.isAbsolute()) throw refuse(what, value, rootAbs);
    Path p = base.toAbsolutePath().normalize().resolve(rel).normalize();
    if (!p.startsWith(rootAbs) || p.equals(rootAbs)) throw refuse(what, value, rootAbs);
    try {
      Path real = p.toRealPath();
      if (!real.startsWith(rootAbs.toRealPath())) throw refuse(what, value, rootAbs);
      return p;
    } catch (IOException e) {
      // missing inside the root is worth saying; a dangling link is refused like any link that leads out
      if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS) && parentInside(p, rootAbs)) {
        throw PalException.badInput(what, value, "does not exist in " + rootAbs);
      }
      throw refuse(what, value, rootAbs);
    }
  }

  private static boolean parentInside(Path p, Path rootAbs) {
    try {
      Path parent = p.getParent();
      return parent != null && parent.toRealPath().startsWith(rootAbs.toRealPath());
    } catch (IOException e) {
      return false;
    }
  }

  private static PalException refuse(String what, String value, Path root) {
    return PalException.badInput(what, value, "is not a path inside " + root + " (absolute paths, '..' and links leading out are refused)");
  }
}
