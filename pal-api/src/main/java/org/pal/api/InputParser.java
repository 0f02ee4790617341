package org.pal.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.pal.core.PalException;
import org.pal.core.archive.Npy;

/**
 * The record format's value syntax: {@code image:PATH} (an image file), {@code npy:FILE#ROW} (row
 * ROW of a float .npy file), anything else is text. Paths are confined to {@code root} (the record
 * file's folder, or a data root the user names): a path that leaves it is refused before the file
 * system is asked about it, so a message never tells whether a file outside exists.
 */
public final class InputParser {
  private final Path root;
  private final Map<Path, Npy.Array> npys = new HashMap<>();

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
      Npy.Array a = npys.computeIfAbsent(f, p -> {
        if (!Files.isRegularFile(p)) throw PalException.badInput(field, value, "names no .npy file under " + root);
        return Npy.read(p);
      });
      if (row < 0 || row >= a.rows()) throw PalException.badInput(field, value, "the file has rows 0.." + (a.rows() - 1));
      float[] x = new float[a.cols()];
      for (int j = 0; j < x.length; j++) x[j] = (float) a.values()[row * a.cols() + j];
      return Input.vector(x);
    }
    return Input.text(value);
  }

  /** Resolves {@code rel} inside the root; refuses absolute paths, {@code ..} and symlinks that lead out. */
  public Path confined(String rel, String field) {
    Path p;
    try {
      p = root.resolve(rel).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw PalException.badInput(field, "(path)", "is not a valid path");
    }
    if (!p.startsWith(root)) {
      throw PalException.badInput(field, "(path)", "leaves the data root " + root + "; paths in records resolve inside it (give a data root that contains the files)");
    }
    if (Files.exists(p)) {
      try {
        if (!p.toRealPath().startsWith(root.toRealPath())) {
          throw PalException.badInput(field, "(path)", "is a link that leaves the data root " + root);
        }
      } catch (IOException e) {
        throw PalException.badInput(field, "(path)", "cannot be resolved (" + e.getClass().getSimpleName() + ")");
      }
    }
    return p;
  }
}
