package org.pal.api;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.pal.core.PalException;
import org.pal.core.archive.ConfinedPaths;
import org.pal.core.archive.Npy;

/**
 * The record format's value syntax: {@code image:PATH} (an image file), {@code npy:FILE#ROW} (row
 * ROW of a float .npy file), anything else is text. Paths are confined to {@code root} (the record
 * file's folder, or a data root the user names): a path that leaves it is refused before the file
 * system is asked about it, so a message never tells whether a file outside exists.
 */
public final class InputParser implements AutoCloseable {
  private final Path root;
  private final Map<Path, Npy.Rows> npys = new HashMap<>();

  public InputParser(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /** @param field where the value came from, for messages (e.g. "comparisons.jsonl line 3 chosen") */
  public Input parse(String value, String field) {
    if (value == null) throw PalException.badInput(field, "missing", "give text, image:PATH or npy:FILE#ROW");
    if (value.startsWith("image:")) return Input.image(confined(value.substring(6), field));
    if (value.startsWith("npy:")) {
      int hash = value.lastIndexOf('#');
      if (hash < 0) throw PalException.badInput(field, value, "vector references look like npy:FILE.npy#ROW");
      Path f = confined(value.substring(4, hash), field);
      int row;
      try {
        row = Integer.parseInt(value.substring(hash + 1));
      } catch (NumberFormatException e) {
        throw PalException.badInput(field, value, "the row after # must be a whole number");
      }
      Npy.Rows a = npys.computeIfAbsent(f, Npy::openRows); // memory-mapped: only referenced rows are read
      if (row < 0 || row >= a.rows()) throw PalException.badInput(field, value, "the file has rows 0.." + (a.rows() - 1));
      float[] x = a.row(row);
      return Input.vector(x);
    }
    return Input.text(value);
  }

  /** Unmaps the .npy files read so far. */
  @Override
  public void close() {
    npys.values().forEach(Npy.Rows::close);
    npys.clear();
  }

  /** Resolves {@code rel} inside the root (the project's one confinement rule, {@link ConfinedPaths}); it must exist. */
  public Path confined(String rel, String field) {
    return ConfinedPaths.resolve(root, rel, field);
  }
}
