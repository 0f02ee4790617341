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
  /**
   * True while the gradient counts as all zeros (after zeroGrad or an optimizer step): BLAS may
   * overwrite it, and other ops zero it first ({@link #claimGrad}). The optimizer does not zero the
   * buffer (a pass over every gradient per step), so its contents may be the last step's.
   */
  boolean gradZero;
  /** True while the gradient buffer really holds zeros (zeroGrad, or filled by {@link #claimGrad}). */
  boolean gradFilled;

  /** Makes the gradient an accumulator of this step: zeroed first when it still holds an earlier step's values. */
  void claimGrad() {
    if (gradZero) {
      if (!gradFilled) grad.fill(0);
      gradZero = false;
    }
    gradFilled = false;
  }

  /** For an op that writes the whole gradient (BLAS, beta = 0): true when it counts as zero, which it may then overwrite. */
  boolean claimForOverwrite() {
    if (!gradZero) return false;
    gradZero = false;
    gradFilled = false;
    return true;
  }

  /** The gradient buffer was just filled with zeros. */
  void zeroed() {
    gradZero = true;
    gradFilled = true;
  }

  /** For a caller outside the tape that reads and may write the gradient: real zeros, and kept as written. */
  void exposeGrad() {
    zeroIfUntouched();
    gradZero = false;
    gradFilled = false;
  }

  /** For the optimizer: a gradient no op wrote this step is zeroed, so that it reads zeros there. */
  void zeroIfUntouched() {
    if (gradZero && !gradFilled) {
      grad.fill(0);
      gradFilled = true;
    }
  }

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
  /** The gradient (read after a backward pass): one that only counts as zero is zeroed first. */
  public Mat grad() {
    if (grad != null) zeroIfUntouched();
    return grad;
  }
  public boolean frozen() { return frozen; }
  public long offset() { return offset; }
}
