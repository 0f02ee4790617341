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
    Mat g = store.optimizerGrad();
    this.flat = Mat.zeros(store.dtype(), g.rows, g.cols);
    for (Param p : store.params()) {
      Param s = new Param(p.name(), p.group(), p.rows(), p.cols(), p.init);
      s.value = p.value;
      s.offset = p.offset;
      s.grad = Mat.view(flat, p.offset, p.rows(), p.cols());
      s.zeroed();
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

  /** Zeroes the gradient. */
  public void zero() {
    flat.fill(0);
    for (Param s : shadows.values()) s.zeroed();
  }

  /** After the gradient was read: it counts as zeros for the next backward pass ({@link ParamStore#markGradsZero}). */
  public void markZero() {
    for (Param s : shadows.values()) s.gradZero = true;
  }

  /** Before the gradient is read: zeroes what no op wrote since {@link #markZero} ({@link ParamStore#zeroUntouchedGrads}). */
  public void zeroUntouched() {
    for (Param s : shadows.values()) s.zeroIfUntouched();
  }
}
