package org.pal.core.tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;

/**
 * All parameters of a model in one flat buffer (and one flat gradient buffer), laid out group by
 * group. The optimizer then updates each group as one contiguous segment instead of one call per
 * tensor, and a checkpoint is one array. Declare with {@link #create}, then {@link #seal}.
 */
public final class ParamStore {
  private final DataType dtype;
  private final Map<String, Param> params = new LinkedHashMap<>();
  private final List<String> groupOrder = new ArrayList<>();
  private Mat flatValue;
  private Mat flatGrad;
  private boolean sealed;

  public ParamStore(DataType dtype) {
    this.dtype = dtype;
  }

  public DataType dtype() {
    return dtype;
  }

  public Param create(String name, String group, int rows, int cols, Init init) {
    if (sealed) throw PalException.internal("parameter " + name + " declared after the store was sealed");
    if (rows < 1 || cols < 1) throw PalException.internal("parameter " + name + " has shape " + rows + "x" + cols);
    if (params.containsKey(name)) throw PalException.internal("parameter " + name + " declared twice");
    Param p = new Param(name, group, rows, cols, init);
    params.put(name, p);
    if (!groupOrder.contains(group)) groupOrder.add(group);
    return p;
  }

  /** Allocates the flat buffers, lays parameters out by group and initialises them from {@code seed}. */
  public ParamStore seal(long seed) {
    return seal(seed, true);
  }

  /**
   * Seals with every value zero, skipping the initialisers: for a copy whose caller overwrites every
   * value next (drawing random initial values for a model that is then copied over costs more than
   * the copy itself, and a per-user enrolment makes one copy per user).
   */
  public ParamStore sealForCopy() {
    return seal(0, false);
  }

  private ParamStore seal(long seed, boolean initialise) {
    if (sealed) return this;
    long total = 0;
    for (Param p : params.values()) total += (long) p.rows() * p.cols();
    if (total > Integer.MAX_VALUE) throw PalException.userInput("model has " + total + " parameters; at most 2^31-1 are supported");
    flatValue = Mat.zeros(dtype, 1, (int) Math.max(total, 1));
    flatGrad = Mat.zeros(dtype, 1, (int) Math.max(total, 1));
    long off = 0;
    for (String g : groupOrder) {
      for (Param p : params.values()) {
        if (!p.group().equals(g)) continue;
        p.offset = off;
        p.value = Mat.view(flatValue, off, p.rows(), p.cols());
        p.grad = Mat.view(flatGrad, off, p.rows(), p.cols());
        if (initialise) {
          double[] init = new double[p.rows() * p.cols()];
          // each parameter's stream depends only on the seed and its name: adding a parameter elsewhere does not shift it
          p.init.fill(init, p.rows(), p.cols(), new Random(seed * 1_000_003L + p.name().hashCode()));
          for (int i = 0; i < init.length; i++) p.value.set(i, init[i]);
        }
        off += (long) p.rows() * p.cols();
      }
    }
    sealed = true;
    return this;
  }

  public boolean sealed() {
    return sealed;
  }

  /** Whether the store is frozen ({@link #freeze} sets every parameter alike). */
  public boolean frozen() {
    return !params.isEmpty() && params.values().iterator().next().frozen;
  }

  public void freeze(boolean frozen) {
    for (Param p : params.values()) p.frozen = frozen;
  }

  public Param get(String name) {
    Param p = params.get(name);
    if (p == null) throw PalException.internal("no parameter named " + name + "; have " + params.keySet());
    return p;
  }

  public List<Param> params() {
    return Collections.unmodifiableList(new ArrayList<>(params.values()));
  }

  public List<String> groups() {
    return Collections.unmodifiableList(groupOrder);
  }

  /** [start, end) of a group's segment in the flat buffers. */
  public long[] groupRange(String group) {
    long start = -1, end = -1;
    for (Param p : params.values()) {
      if (!p.group().equals(group)) continue;
      long s = p.offset, e = p.offset + (long) p.rows() * p.cols();
      if (start < 0 || s < start) start = s;
      if (e > end) end = e;
    }
    return new long[] {Math.max(start, 0), Math.max(end, 0)};
  }

  public Mat flatValue() {
    requireSealed();
    return flatValue;
  }

  /**
   * The flat gradient as values a caller may read and write: gradients that only count as zero (an
   * optimizer marked them, {@link #markGradsZero}) are zeroed first, and what the caller writes is
   * what the next optimizer step reads and the next backward pass adds to.
   */
  public Mat flatGrad() {
    requireSealed();
    for (Param p : params.values()) p.exposeGrad();
    return flatGrad;
  }

  /**
   * The flat gradient as it lies, for optimizers: entries of gradients marked zero may hold an earlier
   * step's values, so call {@link #zeroUntouchedGrads} before reading and {@link #markGradsZero} after.
   */
  public Mat optimizerGrad() {
    requireSealed();
    return flatGrad;
  }

  public int size() {
    requireSealed();
    int n = 0;
    for (Param p : params.values()) n += p.rows() * p.cols();
    return n;
  }

  public void zeroGrad() {
    requireSealed();
    flatGrad.fill(0);
    for (Param p : params.values()) p.zeroed();
  }

  /**
   * For optimizers, after reading the gradients: they count as zeros for the next backward pass
   * (which overwrites or zeroes each before accumulating), without a pass that writes zeros.
   */
  public void markGradsZero() {
    for (Param p : params.values()) p.gradZero = true;
  }

  /**
   * {@link #markGradsZero} for an optimizer that added other gradients (data-parallel workers') into
   * the store's after {@link #zeroUntouchedGrads}: no gradient holds zeros any more, not even one no
   * op wrote, so the next backward pass zeroes each before it accumulates.
   */
  public void markGradsZeroAfterFold() {
    for (Param p : params.values()) {
      p.gradZero = true;
      p.gradFilled = false;
    }
  }

  /**
   * For optimizers, before reading {@link #optimizerGrad()}: zeroes the gradients that no op wrote since
   * the last {@link #markGradsZero} (they may hold an earlier step's values).
   */
  public void zeroUntouchedGrads() {
    for (Param p : params.values()) p.zeroIfUntouched();
  }

  private void requireSealed() {
    if (!sealed) throw PalException.internal("parameter store used before seal()");
  }
}
