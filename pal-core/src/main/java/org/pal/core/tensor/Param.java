package org.pal.core.tensor;

/** A named trainable matrix that belongs to an optimizer group; value and grad are views into its store. */
public final class Param {
  private final String name;
  private final String group;
  private final int rows;
  private final int cols;
  final Init init;
  Mat value;
  Mat grad;
  long offset;
  boolean frozen;
  /** True while the gradient is known to be all zeros (after zeroGrad or an optimizer step): BLAS may overwrite it. */
  boolean gradZero;

  Param(String name, String group, int rows, int cols, Init init) {
    this.name = name;
    this.group = group;
    this.rows = rows;
    this.cols = cols;
    this.init = init;
  }

  public String name() { return name; }
  public String group() { return group; }
  public int rows() { return rows; }
  public int cols() { return cols; }
  public Mat value() { return value; }
  public Mat grad() { return grad; }
  public boolean frozen() { return frozen; }
  public long offset() { return offset; }
}
