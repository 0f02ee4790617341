package org.pal.core.data;

import org.pal.core.PalException;

/**
 * A row-per-vector embedding table on the heap (prompts or items), deduplicated by content so a
 * comparison refers to rows by index instead of carrying vector copies.
 */
public record Table(String name, float[] data, int rows, int dim) {
  public Table {
    if (dim < 1) throw PalException.badInput(name + ".dim", dim, "must be at least 1");
    if (data.length != (long) rows * dim) {
      throw PalException.badInput(name + ".size", data.length, "expected rows x dim = " + rows + " x " + dim);
    }
  }

  /** Fails on the first NaN or infinite value, naming the row and column. */
  public Table requireFinite() {
    for (int i = 0; i < data.length; i++) {
      if (!Float.isFinite(data[i])) {
        throw PalException.badInput(name + "[row " + (i / dim) + ", column " + (i % dim) + "]", data[i],
            "embeddings must be finite; re-embed or drop that row");
      }
    }
    return this;
  }

  /** A table from row vectors of equal length (checked, finite). */
  public static Table of(String name, float[][] rows) {
    if (rows.length == 0) throw PalException.badInput(name, "no rows", "a table needs at least one vector");
    int d = rows[0].length;
    float[] flat = new float[rows.length * d];
    for (int i = 0; i < rows.length; i++) {
      if (rows[i].length != d) throw PalException.badInput(name + "[row " + i + "] length", rows[i].length, "every vector of the table must have dimension " + d);
      System.arraycopy(rows[i], 0, flat, i * d, d);
    }
    return new Table(name, flat, rows.length, d).requireFinite();
  }

  public float get(int row, int col) {
    return data[row * dim + col];
  }
}
