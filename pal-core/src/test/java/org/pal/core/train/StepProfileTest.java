package org.pal.core.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.tensor.Init;
import org.pal.core.tensor.Mat;
import org.pal.core.tensor.ParamStore;

/** The step timers of {@code pal bench --profile}: they count what ran, and timing a run changes none of its numbers. */
class StepProfileTest {
  private static final int ROWS = 64, IN = 8, OUT = 4;

  @AfterEach
  void off() {
    StepProfile.disable();
    StepProfile.reset();
  }

  /** Three data-parallel steps of a linear layer's mean output on fixed inputs; returns the trained weights. */
  private static double[] train(int shards) {
    ParamStore s = new ParamStore(DataType.FLOAT);
    s.create("w", "g", IN, OUT, Init.constant(0.5));
    s.seal(0);
    Mat x = Mat.zeros(DataType.FLOAT, ROWS, IN);
    for (int i = 0; i < ROWS * IN; i++) x.set(i, Math.sin(i * 0.37));
    int[] idx = new int[ROWS];
    for (int i = 0; i < ROWS; i++) idx[i] = i;
    Adam adam = new Adam(s, g -> new GroupSpec(0.01, 0.0));
    try (DataParallel dp = new DataParallel(s, shards)) {
      s.zeroGrad();
      for (int step = 0; step < 3; step++) {
        dp.lossAndGradient(idx, 0, ROWS, (tape, ix, lo, hi, shard) -> {
          Mat rows = Mat.zeros(DataType.FLOAT, hi - lo, IN);
          for (int r = lo; r < hi; r++) for (int c = 0; c < IN; c++) rows.set((r - lo) * IN + c, x.get(ix[r] * IN + c));
          return tape.mean(tape.matmul(tape.constant(rows), tape.param(s.get("w"))));
        });
        dp.step(adam);
      }
    }
    return s.flatValue().toDoubleArray();
  }

  @Test
  void countsStepsAndWorkersOnlyWhileOn() {
    train(2);
    assertThat(StepProfile.microsPerStep()).as("off by default: nothing counted").containsEntry("steps", 0L);

    StepProfile.enable();
    train(2);
    Map<String, Object> p = StepProfile.microsPerStep();
    assertThat(p).containsEntry("steps", 3L).containsEntry("workers", 2L);
    double region = ((Number) p.get("region")).doubleValue(), f0 = ((Number) p.get("forward0")).doubleValue(),
        b0 = ((Number) p.get("backward0")).doubleValue();
    assertThat(f0).as("task 0's forward").isPositive();
    assertThat(b0).as("task 0's backward").isPositive();
    assertThat(((Number) p.get("othersWork")).doubleValue()).as("the other worker's task").isPositive();
    assertThat(((Number) p.get("update")).doubleValue()).as("the optimizer step").isPositive();
    // task 0 runs inside the region on the calling thread (0.1 us rounding per figure)
    assertThat(region).isGreaterThanOrEqualTo(f0 + b0 - 0.2);
    assertThat(((Number) p.get("joinWait")).doubleValue()).isBetween(0.0, region);

    StepProfile.reset();
    assertThat(StepProfile.microsPerStep()).containsEntry("steps", 0L).containsEntry("region", 0.0);
    StepProfile.disable();
    train(1);
    assertThat(StepProfile.microsPerStep()).as("disabled again").containsEntry("steps", 0L);
  }

  @Test
  void timingARunChangesNoneOfItsNumbers() {
    for (int shards : new int[] {1, 2}) {
      double[] plain = train(shards);
      StepProfile.enable();
      double[] timed = train(shards);
      StepProfile.disable();
      assertThat(timed).as(shards + " worker(s)").containsExactly(plain);
      assertThat(plain).as("the weights moved").doesNotContain(0.5);
    }
  }
}
