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

  public float get(int row, int col) {
    return data[row * dim + col];
  }
}
