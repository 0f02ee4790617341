package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.core.PalException;

/** The spark-submit entry point on files, and the executors' ONNX Runtime telemetry guard. */
class PalSparkMainTest {
  @Test
  void scoresAJsonlFileAndExitsTwoNamingACorruptRow(@TempDir Path dir) throws Exception {
    SparkSession spark = SparkTests.spark();
    Path model = SparkTests.model();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      lines.add("{\"user_id\": \"u" + i + "\", \"prompt\": \"" + SparkTests.PROMPTS[i % 3] + "\", \"response\": \"" + SparkTests.CATS[i % 6] + "\"}");
    }
    Files.write(dir.resolve("rows.jsonl"), lines);
    int rc = PalSparkMain.run("score", "--input", dir.resolve("rows.jsonl").toString(), "--model", model.toString(),
        "--out", dir.resolve("scored").toString(), "--out-format", "json", "--zero-shot-unknown");
    assertThat(rc).isZero();
    assertThat(spark.sparkContext().isStopped()).as("the caller's session survives").isFalse();
    List<Row> out = spark.read().json(dir.resolve("scored").toString()).collectAsList();
    assertThat(out).hasSize(12);
    try (RewardModel local = PalApi.create().load(model)) {
      for (Row r : out) {
        String u = r.getString(r.fieldIndex("user_id"));
        double expected = local.rewards(local.hasUser(u) ? User.id(u) : User.zeroShot(), Input.text(r.getString(r.fieldIndex("prompt"))),
            Input.text(r.getString(r.fieldIndex("response"))))[0];
        assertThat(r.getDouble(r.fieldIndex("reward"))).isCloseTo(expected, within(1e-5));
      }
    }
    lines.set(5, "{\"user_id\": \"u5\", \"prompt\": \"describe a pet\"}");
    Files.write(dir.resolve("bad.jsonl"), lines);
    assertThat(PalSparkMain.run("score", "--input", dir.resolve("bad.jsonl").toString(), "--model", model.toString(),
        "--out", dir.resolve("bad").toString(), "--zero-shot-unknown")).isEqualTo(2);
    assertThat(PalSparkMain.run("score", "--input", dir.resolve("bad.jsonl").toString(), "--model", model.toString(),
        "--out", dir.resolve("skipped").toString(), "--zero-shot-unknown", "--skip-invalid")).isZero();
    assertThat(spark.read().parquet(dir.resolve("skipped").toString()).count()).isEqualTo(11);
  }

  @Test
  void executorsRefuseToOpenOnnxRuntimeWithTelemetryOnAndTheSessionBuilderTurnsItOff() {
    assertThat(SparkTests.spark().conf().get("spark.executorEnv.ORT_DISABLE_TELEMETRY")).isEqualTo("1");
    var saved = ExecutorResources.environment;
    try {
      ExecutorResources.environment = name -> null;
      assertThatThrownBy(ExecutorResources::requireTelemetryOff).isInstanceOf(PalException.class)
          .hasMessageContaining("ORT_DISABLE_TELEMETRY is unset").hasMessageContaining("spark.executorEnv.ORT_DISABLE_TELEMETRY=1");
      ExecutorResources.environment = name -> "1";
      ExecutorResources.requireTelemetryOff();
    } finally {
      ExecutorResources.environment = saved;
    }
    assertThat(System.getenv("ORT_DISABLE_TELEMETRY")).as("Surefire's environment, as an executor's").isEqualTo("1");
  }
}
