package org.pal.core.tensor;

/**
 * A node of a {@link Tape}: a value and, when something upstream is trainable, a gradient that
 * {@link Tape#backward} fills. Valid until the tape is reset.
 */
public final class Var {
  final Mat value;
  final boolean requiresGrad;
  Mat grad;
  /** Off-heap copy of the value for BLAS, made on first use by a matrix product. */
  org.bytedeco.javacpp.Pointer staged;
  /** Non-null for trainable parameters: gradients accumulate straight into the parameter's buffer. */
  final Param param;

  Var(Mat value, boolean requiresGrad, Param param) {
    this.value = value;
    this.requiresGrad = requiresGrad;
    this.param = param;
    if (param != null) this.grad = param.grad;
  }

  public Mat value() {
    return value;
  }

  public Mat grad() {
    return grad;
  }

  public boolean requiresGrad() {
    return requiresGrad;
  }

  public int rows() {
    return value.rows;
  }

  public int cols() {
    return value.cols;
  }

  public double scalar() {
    return value.get(0);
  }
}
