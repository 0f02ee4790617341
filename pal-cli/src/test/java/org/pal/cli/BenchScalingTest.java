package org.pal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.pal.core.config.Json;
import org.junit.jupiter.api.Test;

/** {@code pal bench --scaling}: each worker count warmed up, timed runs alternating, figures per count. */
class BenchScalingTest {
  @Test
  void badWorkerCountsAreRefusedNamingTheFlag() {
    for (String bad : new String[] {"0,2", "1,1", "2,-1"}) {
      SafetyCliTest.Run r = SafetyCliTest.pal("bench", "--workload", "S", "--scaling", bad);
      assertThat(r.code()).as(bad + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).contains("--scaling").contains("--scaling 1,2");
    }
  }

  @Test
  void everyCountGetsItsOwnWarmUpAndTimedRuns() throws Exception {
    SafetyCliTest.Run r = SafetyCliTest.pal("bench", "--workload", "S", "--pairs", "512", "--runs", "3",
        "--min-seconds", "0.05", "--scaling", "1,2", "--threads", "1", "--profile");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode o = Json.mapper().readTree(r.out());
    JsonNode counts = o.get("scaling");
    assertThat(counts).hasSize(2);
    assertThat(o.get("runOrder").asText()).contains("alternating").contains("3 rounds");
    assertThat(o.get("heapHugePages").asText()).as("this JVM's setting, as the kernel's").matches("(on|off) \\(kernel: \\w+\\)")
        .startsWith(java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
            .getVMOption("UseTransparentHugePages").getValue().equals("true") ? "on" : "off");
    for (int i = 0; i < 2; i++) {
      JsonNode c = counts.get(i);
      assertThat(c.get("threads").asInt()).isEqualTo(i + 1);
      assertThat(c.get("parallelism").asText()).as("S: below DataParallel.MIN_BRANCH_PARAMS, the batch is split").isEqualTo("batch");
      assertThat(c.get("runPairsPerSecond")).hasSize(3);
      assertThat(c.get("runSeconds")).hasSize(3);
      assertThat(c.get("warmupPairsPerSecond").size()).isGreaterThanOrEqualTo(10);
      assertThat(c.get("warmupRunPairsPerSecond").size()).isBetween(2, 8);
      long min = c.get("min").asLong(), median = c.get("median").asLong(), max = c.get("max").asLong();
      assertThat(min).isPositive().isLessThanOrEqualTo(median);
      assertThat(median).isLessThanOrEqualTo(max);
      assertThat(c.get("overFirst").asDouble()).isCloseTo((double) median / counts.get(0).get("median").asLong(),
          org.assertj.core.data.Offset.offset(1e-3));
      // --profile: each count's steps timed, phase by phase, averaged over its 3 timed runs
      JsonNode p = c.get("profileMicrosPerStep");
      assertThat(p.get("runs").asInt()).isEqualTo(3);
      assertThat(p.get("workers").asDouble()).isEqualTo(i + 1);
      assertThat(p.get("steps").asDouble()).as("512 pairs in batches of 256: 2 steps an epoch").isGreaterThanOrEqualTo(2);
      assertThat(p.get("region").asDouble()).isPositive().isGreaterThanOrEqualTo(p.get("forward0").asDouble());
      assertThat(p.get("update").asDouble()).isPositive();
      assertThat(p.get("step").asDouble()).isGreaterThan(p.get("region").asDouble());
      assertThat(p.get("othersWork").asDouble() > 0).as("a second worker's task").isEqualTo(i == 1);
    }
    assertThat(org.pal.core.tensor.Threads.workers()).as("the command's own --threads again afterwards").isEqualTo(1);
  }
}
