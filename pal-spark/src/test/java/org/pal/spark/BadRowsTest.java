package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;
import org.pal.core.PalException;

/** The bad-row policy on its own (no Spark job): which failures are a row's fault, fail or skip, row names. */
class BadRowsTest {
  private static BadRows policy(boolean skip) {
    return new BadRows(skip, new LongAccumulator(), new CollectionAccumulator<>());
  }

  @Test
  void onlyFailuresOfARowsContentCountAsBadRows() {
    assertThat(BadRows.isRowProblem(PalException.userInput("label 2"))).isTrue();
    assertThat(BadRows.isRowProblem(PalException.internal("a bug"))).isFalse();
    assertThat(BadRows.isRowProblem(new IllegalArgumentException())).isTrue();
    assertThat(BadRows.isRowProblem(new ClassCastException())).isTrue();
    assertThat(BadRows.isRowProblem(new ArithmeticException())).isTrue();
    assertThat(BadRows.isRowProblem(new IllegalStateException())).isFalse();
    assertThat(BadRows.isRowProblem(new NullPointerException())).isFalse();
  }

  @Test
  void anotherFailureIsRethrownAsItIsEvenWhenSkipping() {
    RuntimeException bug = new IllegalStateException("disk gone");
    for (boolean skip : new boolean[] {false, true}) {
      BadRows b = policy(skip);
      assertThatThrownBy(() -> b.handle("partition 0 row 1", bug)).isSameAs(bug);
      assertThat(b.skipped()).isZero();
    }
  }

  @Test
  void failingNamesTheRowAndTheReason() {
    BadRows b = policy(false);
    assertThatThrownBy(() -> b.handle("partition 2 row 7 (id x)", PalException.userInput("label must be 1 or -1, got 2")))
        .isInstanceOf(PalException.class)
        .hasMessage("partition 2 row 7 (id x): label must be 1 or -1, got 2")
        .satisfies(e -> assertThat(((PalException) e).kind()).isEqualTo(PalException.Kind.USER_INPUT));
    assertThatThrownBy(() -> b.handle("partition 0 row 1", new ArithmeticException()))
        .hasMessage("partition 0 row 1: ArithmeticException");
    assertThat(b.skipped()).isZero();
  }

  @Test
  void skippingCountsRowsAndKeepsTheFirstTenMessages() {
    BadRows b = policy(true);
    for (int i = 1; i <= BadRows.KEEP_PROBLEMS + 3; i++) b.handle("row " + i, new IllegalArgumentException("bad " + i), i == 1 ? 5 : 1);
    assertThat(b.skipped()).isEqualTo(5 + BadRows.KEEP_PROBLEMS + 2);
    assertThat(b.problems()).hasSize(BadRows.KEEP_PROBLEMS).startsWith("row 1: bad 1").endsWith("row 10: bad 10");
  }

  @Test
  void rowNamesDecodeSparksMonotonicIds() {
    assertThat(BadRows.where(3, 5, null)).isEqualTo("partition 3 row 5");
    assertThat(BadRows.where(3, 5, "u7")).isEqualTo("partition 3 row 5 (id u7)");
    // partition in the upper 31 bits, 0-based position in the lower 33
    assertThat(BadRows.where((3L << 33) | 4, "a")).isEqualTo("partition 3 row 5 (id a)");
    assertThat(BadRows.where(((1L << 30) << 33) | ((1L << 33) - 1), null)).isEqualTo("partition 1073741824 row 8589934592");
  }
}
