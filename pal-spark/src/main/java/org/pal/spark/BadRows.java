package org.pal.spark;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.pal.core.PalException;

/**
 * What a job does with a row it cannot use (a missing field, a label of 2, a vector of the wrong
 * length, an image that does not decode): fail the job with a message naming the row, or skip the
 * row and count it. Counts are Spark accumulators: read them after the action that ran the job
 * (each action that recomputes the rows counts them again).
 */
final class BadRows implements Serializable {
  private static final long serialVersionUID = 1L;
  static final int KEEP_PROBLEMS = 10;

  private final boolean skip;
  private final LongAccumulator skipped;
  private final CollectionAccumulator<String> problems;

  BadRows(boolean skip, LongAccumulator skipped, CollectionAccumulator<String> problems) {
    this.skip = skip;
    this.skipped = skipped;
    this.problems = problems;
  }

  /** True for failures caused by one row's content, as opposed to the environment or a bug. */
  static boolean isRowProblem(Throwable e) {
    return e instanceof PalException p ? p.kind() == PalException.Kind.USER_INPUT
        : e instanceof IllegalArgumentException || e instanceof ClassCastException || e instanceof ArithmeticException;
  }

  /** Skips and counts {@code rows} rows, or throws a message naming them, when {@code e} is about their content. */
  void handle(String where, RuntimeException e, long rows) {
    if (!isRowProblem(e)) throw e;
    String msg = where + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    if (!skip) throw new PalException(PalException.Kind.USER_INPUT, msg, e);
    skipped.add(rows);
    if (problems.value().size() < KEEP_PROBLEMS) problems.add(msg);
  }

  void handle(String where, RuntimeException e) {
    handle(where, e, 1);
  }

  long skipped() {
    return skipped.value();
  }

  List<String> problems() {
    List<String> p = problems.value();
    return List.copyOf(p.subList(0, Math.min(KEEP_PROBLEMS, p.size())));
  }

  /** How a row is named in messages: its partition and 1-based position there, and the id column's value when given. */
  static String where(int partition, long rowInPartition, Object id) {
    return "partition " + partition + " row " + rowInPartition + (id == null ? "" : " (id " + id + ")");
  }

  /** The same from a {@code monotonically_increasing_id()} value: partition in the upper 31 bits, position in the lower 33. */
  static String where(long monotonicId, Object id) {
    return where((int) (monotonicId >>> 33), (monotonicId & ((1L << 33) - 1)) + 1, id);
  }
}
