package org.pal.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShapePoolTest {

  @Test
  void aKeyGivesBackItsBuffersLastInFirstOutAndThenNothing() {
    ShapePool<String> pool = new ShapePool<>();
    pool.give(7L, "a");
    pool.give(7L, "b");
    pool.give(8L, "c");
    assertThat(pool.take(7L)).isEqualTo("b");
    assertThat(pool.take(7L)).isEqualTo("a");
    assertThat(pool.take(7L)).isNull();
    assertThat(pool.take(8L)).isEqualTo("c");
    assertThat(pool.take(9L)).isNull();
  }

  @Test
  void everyKeySurvivesTheTableGrowingManyTimes() {
    ShapePool<Long> pool = new ShapePool<>();
    // Shapes as Tape packs them (rows << 32 | cols) and plain capacities, well past the first
    // table's 32 slots so that grow() runs several times with collisions in between.
    List<Long> keys = new ArrayList<>();
    for (long r = 1; r <= 40; r++) keys.add(r << 32 | (r * 3));
    for (long c = 1; c <= 200; c++) keys.add(c * 64);
    for (long k : keys) pool.give(k, k);
    for (long k : keys) pool.give(k, -k);
    for (long k : keys) {
      assertThat(pool.take(k)).isEqualTo(-k);
      assertThat(pool.take(k)).isEqualTo(k);
      assertThat(pool.take(k)).isNull();
    }
    // A missing key is answered without a full-table spin, before and after the keys ran dry.
    assertThat(pool.take(Long.MAX_VALUE)).isNull();
    assertThat(pool.take(0L)).isNull();
  }
}
