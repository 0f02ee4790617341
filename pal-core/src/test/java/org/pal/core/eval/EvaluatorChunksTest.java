package org.pal.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * How evaluation cuts a set of pairs among workers: one worker scores EVAL_BATCH pairs at a time;
 * several get chunks of about pairs / workers, never below MIN_CHUNK or above EVAL_BATCH. The chunk
 * count follows. Expected values are worked out from that rule by hand.
 */
class EvaluatorChunksTest {
  @Test
  void oneWorkerScoresWholeEvalBatches() {
    assertThat(Evaluator.chunkSize(10, 1)).isEqualTo(4096);
    assertThat(Evaluator.chunkSize(1_000_000, 1)).isEqualTo(4096);
    assertThat(Evaluator.chunks(4096, 1)).isEqualTo(1);
    assertThat(Evaluator.chunks(4097, 1)).isEqualTo(2);
    assertThat(Evaluator.chunks(10, 1)).isEqualTo(1);
    assertThat(Evaluator.chunks(0, 1)).isZero();
  }

  @Test
  void severalWorkersEachGetAChunkOfAtLeastMinChunkPairs() {
    assertThat(Evaluator.chunkSize(256, 2)).isEqualTo(128);   // a trainer's validation set, halved
    assertThat(Evaluator.chunkSize(301, 2)).isEqualTo(151);   // rounded up: ceil(301 / 2)
    assertThat(Evaluator.chunkSize(300, 3)).isEqualTo(100);
    assertThat(Evaluator.chunkSize(129, 2)).isEqualTo(65);
    assertThat(Evaluator.chunkSize(128, 2)).isEqualTo(64);    // exactly MIN_CHUNK
    assertThat(Evaluator.chunkSize(127, 2)).isEqualTo(64);    // ceil gives 64
    assertThat(Evaluator.chunkSize(100, 2)).isEqualTo(64);    // 50 raised to MIN_CHUNK
    assertThat(Evaluator.chunkSize(10, 8)).isEqualTo(64);
    assertThat(Evaluator.chunkSize(8192, 2)).isEqualTo(4096); // exactly EVAL_BATCH
    assertThat(Evaluator.chunkSize(8193, 2)).isEqualTo(4096); // capped
    assertThat(Evaluator.chunkSize(100_000, 4)).isEqualTo(4096);
  }

  @Test
  void theChunkCountCoversEveryPairOnce() {
    assertThat(Evaluator.chunks(256, 2)).isEqualTo(2);
    assertThat(Evaluator.chunks(301, 2)).isEqualTo(2);
    assertThat(Evaluator.chunks(129, 2)).isEqualTo(2);
    assertThat(Evaluator.chunks(100, 2)).isEqualTo(2);  // 64 + 36
    assertThat(Evaluator.chunks(64, 2)).isEqualTo(1);
    assertThat(Evaluator.chunks(10, 8)).isEqualTo(1);
    assertThat(Evaluator.chunks(200, 3)).isEqualTo(3);  // chunks of 67: 67 + 67 + 66
    assertThat(Evaluator.chunks(8193, 2)).isEqualTo(3); // 4096 + 4096 + 1
    assertThat(Evaluator.chunks(0, 2)).isZero();
    for (int pairs = 1; pairs <= 9000; pairs += 37) {
      for (int w = 1; w <= 8; w++) {
        int size = Evaluator.chunkSize(pairs, w), n = Evaluator.chunks(pairs, w);
        assertThat((long) size * n).as(pairs + " pairs, " + w + " workers: covered").isGreaterThanOrEqualTo(pairs);
        assertThat((long) size * (n - 1)).as(pairs + " pairs, " + w + " workers: no empty chunk").isLessThan(pairs);
      }
    }
  }
}
