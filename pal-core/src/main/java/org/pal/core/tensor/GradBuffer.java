package org.pal.core.tensor;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A private gradient buffer with the layout of a {@link ParamStore}'s flat gradient. A tape given one
 * ({@link Tape#Tape(org.nd4j.linalg.api.buffer.DataType, GradBuffer)}) reads the store's parameter
 * values in place (no copy) but accumulates their gradients here: how data-parallel workers compute
 * gradients of their shards side by side. Parameters of other stores pass through unchanged.
 */
public final class GradBuffer {
  private final Mat flat;
  private final Map<Param, Param> shadows = new IdentityHashMap<>();

  public GradBuffer(ParamStore store) {
    Mat g = store.flatGrad();
    this.flat = Mat.zeros(store.dtype(), g.rows, g.cols);
    for (Param p : store.params()) {
      Param s = new Param(p.name(), p.group(), p.rows(), p.cols(), p.init);
      s.value = p.value;
      s.offset = p.offset;
      s.grad = Mat.view(flat, p.offset, p.rows(), p.cols());
      s.gradZero = true;
      shadows.put(p, s);
    }
  }

  /** The flat gradient (same layout as {@link ParamStore#flatGrad()}). */
  public Mat flat() {
    return flat;
  }

  /** This buffer's stand-in for p (value shared, gradient here), or p itself when p is not of the store. */
  Param target(Param p) {
    Param s = shadows.get(p);
    return s == null ? p : s;
  }

  /** Zeroes the gradient (for a caller that did not do so itself while reading it). */
  public void zero() {
    flat.fill(0);
    markZero();
  }

  /** Declares the gradient all zeros (the caller zeroed it while reading it): products may overwrite it. */
  public void markZero() {
    for (Param s : shadows.values()) s.gradZero = true;
  }
}
