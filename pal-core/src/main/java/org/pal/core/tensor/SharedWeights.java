package org.pal.core.tensor;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * One off-heap copy of a store's parameter values that the data-parallel workers' tapes share during
 * a step ({@link Tape#shareWeights}), instead of each tape copying every weight matrix for BLAS: with
 * N workers that was N copies of the model per step (L: 3.15 M floats each). A parameter is copied
 * when the first worker of the step asks for it (the others wait for that copy), so only the
 * matrices BLAS reads are copied, once, and the copying is spread over the workers. The bytes are
 * the parameter's values whoever copies them, so results do not depend on timing.
 */
public final class SharedWeights {
  private final Map<Param, Entry> entries = new IdentityHashMap<>();
  private final Mat flat;
  private long step;

  private static final class Entry {
    final Pointer view;
    final int offset;
    final int size;
    final AtomicLong claimed = new AtomicLong(-1);
    volatile long ready = -1;

    Entry(Pointer view, int offset, int size) {
      this.view = view;
      this.offset = offset;
      this.size = size;
    }
  }

  /** @param holder the tape that keeps the off-heap buffer (it outlives this object when pooled) */
  public SharedWeights(ParamStore store, Tape holder) {
    this.flat = store.flatValue();
    Pointer buffer = holder.keptBuffer(flat.size());
    for (Param p : store.params()) {
      // views share the buffer's memory at the parameter's offset (JavaCPP passes address + position)
      Pointer view = flat.f != null ? new FloatPointer(buffer).position(p.offset) : new DoublePointer(buffer).position(p.offset);
      entries.put(p, new Entry(view, (int) p.offset, p.rows() * p.cols()));
    }
  }

  /** Marks every copy stale: call between steps, after the optimizer changed the values, before the workers start. */
  public void nextStep() {
    step++;
  }

  /** The current values of p off-heap (copied now if no worker did so this step), or null when p is not of this store. */
  Pointer view(Param p) {
    Entry e = entries.get(p);
    if (e == null) return null;
    long s = step;
    if (e.ready == s) return e.view;
    if (e.claimed.getAndSet(s) != s) {
      try {
        if (flat.f != null) ((FloatPointer) e.view).put(flat.f, flat.off + e.offset, e.size);
        else ((DoublePointer) e.view).put(flat.d, flat.off + e.offset, e.size);
      } finally {
        e.ready = s;
      }
    } else {
      while (e.ready != s) Thread.onSpinWait();
    }
    return e.view;
  }
}
