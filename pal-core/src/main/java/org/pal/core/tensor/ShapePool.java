package org.pal.core.tensor;

import java.util.ArrayDeque;

/**
 * Idle buffers by a long key (a shape or a capacity), each key's buffers last in, first out: a
 * map from primitive keys in one open-addressing table, so that a step's thousands of
 * allocations and returns box no key and allocate no map entry (a {@code HashMap<Long, ...>} did
 * both, a measurable share of a small model's step). Not thread-safe.
 */
final class ShapePool<T> {
  private long[] keys = new long[32];
  private ArrayDeque<T>[] queues = newArray(32);
  private int size;

  @SuppressWarnings("unchecked")
  private static <T> ArrayDeque<T>[] newArray(int n) {
    return (ArrayDeque<T>[]) new ArrayDeque<?>[n];
  }

  private static int slot(long key, int mask) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  /** A buffer last returned under {@code key}, or null when there is none. */
  T take(long key) {
    int mask = keys.length - 1;
    // Probes are bounded by the table's length, not only by an empty slot: the table is never
    // full (give grows it at half), but a loop that relied on that would spin forever if it were.
    int i = slot(key, mask);
    for (int probes = 0; probes < keys.length && queues[i] != null; probes++, i = (i + 1) & mask) {
      if (keys[i] == key) return queues[i].poll();
    }
    return null;
  }

  /** Returns {@code buffer} under {@code key}. */
  void give(long key, T buffer) {
    int mask = keys.length - 1;
    int i = slot(key, mask);
    for (int probes = 0; queues[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        queues[i].push(buffer);
        return;
      }
      if (++probes == keys.length) {
        throw new IllegalStateException("ShapePool table full at " + size + " keys: grow() was not called");
      }
    }
    keys[i] = key;
    queues[i] = new ArrayDeque<>();
    queues[i].push(buffer);
    if (++size * 2 > keys.length) grow();
  }

  private void grow() {
    long[] oldKeys = keys;
    ArrayDeque<T>[] oldQueues = queues;
    keys = new long[oldKeys.length * 2];
    queues = newArray(oldKeys.length * 2);
    int mask = keys.length - 1;
    for (int j = 0; j < oldKeys.length; j++) {
      if (oldQueues[j] == null) continue;
      int i = slot(oldKeys[j], mask);
      while (queues[i] != null) i = (i + 1) & mask;
      keys[i] = oldKeys[j];
      queues[i] = oldQueues[j];
    }
  }
}
