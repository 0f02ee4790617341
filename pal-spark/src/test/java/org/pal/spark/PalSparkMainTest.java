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

  /** What run prints on System.err, and its exit code. */
  static String err(int[] rc, String... args) {
    java.io.PrintStream saved = System.err;
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      rc[0] = PalSparkMain.run(args);
    } finally {
      System.setErr(saved);
    }
    return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void aTsvFileIsReadByItsSeparatorAndRowsAreNamedByTheIdColumnOnStderr(@TempDir Path dir) throws Exception {
    SparkSession spark = SparkTests.spark();
    Path model = SparkTests.model();
    String user = PalApi.create().load(model).users().get(0);
    List<String> lines = new ArrayList<>(List.of("key\tuser_id\tprompt\tresponse"));
    for (int i = 0; i < 5; i++) lines.add("r" + i + "\t" + user + "\t" + SparkTests.PROMPTS[i % 3] + ", at home\t" + (i == 2 ? "" : SparkTests.DOGS[i]));
    Path tsv = dir.resolve("rows.tsv");
    Files.write(tsv, lines);
    int[] rc = {-1};
    String failed = err(rc, "score", "--input", tsv.toString(), "--model", model.toString(), "--out", dir.resolve("a").toString(), "--id-column", "key");
    assertThat(rc[0]).isEqualTo(2);
    assertThat(failed).contains("pal-spark: ").contains("partition 0 row 3 (id r2): response = missing: every row needs response");
    String skipped = err(rc, "score", "--input", tsv.toString(), "--model", model.toString(), "--out", dir.resolve("b").toString(), "--out-format", "json",
        "--id-column", "key", "--skip-invalid");
    assertThat(rc[0]).isZero();
    assertThat(skipped).contains("pal-spark: 1 rows skipped; first: [partition 0 row 3 (id r2): response = missing: every row needs response]");
    List<Row> out = spark.read().json(dir.resolve("b").toString()).orderBy("key").collectAsList();
    assertThat(out).extracting(r -> r.getString(r.fieldIndex("key"))).containsExactly("r0", "r1", "r3", "r4");
    try (RewardModel local = PalApi.create().load(model)) {
      for (Row r : out) {
        assertThat(r.getString(r.fieldIndex("prompt"))).endsWith(", at home"); // the comma is text in a .tsv
        assertThat(r.getDouble(r.fieldIndex("reward"))).isCloseTo(local.rewards(User.id(user), Input.text(r.getString(r.fieldIndex("prompt"))),
            Input.text(r.getString(r.fieldIndex("response"))))[0], within(1e-5));
      }
    }
  }

  @Test
  void inputFormatsComeFromTheExtensionAndOtherFailuresExitOne(@TempDir Path dir) throws Exception {
    assertThat(PalSparkMain.Job.formatOf("a/rows.PARQUET")).isEqualTo("parquet");
    for (String f : new String[] {"r.jsonl", "r.json", "r.ndjson"}) assertThat(PalSparkMain.Job.formatOf(f)).isEqualTo("json");
    for (String f : new String[] {"r.csv", "r.TSV"}) assertThat(PalSparkMain.Job.formatOf(f)).isEqualTo("csv");
    assertThatThrownBy(() -> PalSparkMain.Job.formatOf("rows.txt")).isInstanceOf(PalException.class)
        .hasMessage("--input = rows.txt: has no known extension; give --format parquet|json|csv");
    assertThat(PalSparkMain.encoder(null)).isEqualTo(org.pal.core.config.Json.parse("{\"type\": \"onnx-sentence\"}"));
    Files.writeString(dir.resolve("enc.json"), SparkTests.ENCODER);
    assertThat(PalSparkMain.encoder(dir.resolve("enc.json"))).isEqualTo(org.pal.core.config.Json.parse(SparkTests.ENCODER));

    SparkTests.spark();
    int[] rc = {-1};
    String bad = err(rc, "score", "--input", dir.resolve("rows.txt").toString(), "--format", "xml", "--model", SparkTests.model().toString(), "--out", dir.resolve("o").toString());
    assertThat(rc[0]).isEqualTo(2);
    assertThat(bad).contains("pal-spark: --format = xml: use parquet, json or csv");
    String missing = err(rc, "score", "--input", dir.resolve("none.parquet").toString(), "--model", SparkTests.model().toString(), "--out", dir.resolve("p").toString());
    assertThat(rc[0]).as("not a PAL problem: exit 1").isEqualTo(1);
    assertThat(missing).startsWith("pal-spark: ").contains("none.parquet");
  }

  /** What body prints on System.out. */
  static String stdout(Runnable body) {
    java.io.PrintStream saved = System.out;
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    System.setOut(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      body.run();
    } finally {
      System.setOut(saved);
    }
    return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void embedEnrolWithMergeAndPrepareRunFromFiles(@TempDir Path dir) throws Exception {
    SparkSession spark = SparkTests.spark();
    Path model = SparkTests.model();
    Path enc = Files.writeString(dir.resolve("enc.json"), SparkTests.ENCODER);
    Files.write(dir.resolve("texts.jsonl"), List.of("{\"id\": 1, \"text\": \"" + SparkTests.CATS[0] + "\"}", "{\"id\": 2, \"text\": \"" + SparkTests.DOGS[0] + "\"}"));
    int[] rc = {-1};
    String e = err(rc, "embed", "--input", dir.resolve("texts.jsonl").toString(), "--column", "text", "--encoder", enc.toString(),
        "--out", dir.resolve("embedded").toString(), "--out-format", "json");
    assertThat(rc[0]).as(e).isZero();
    List<Row> vectors = spark.read().json(dir.resolve("embedded").toString()).orderBy("id").collectAsList();
    assertThat(vectors).hasSize(2);
    float[] cat = SparkTestPlugin.Words.words(SparkTests.CATS[0], 16);
    List<Object> got = vectors.get(0).getList(vectors.get(0).fieldIndex("embedding"));
    for (int j = 0; j < cat.length; j++) assertThat(((Number) got.get(j)).floatValue()).isEqualTo(cat[j]);
    assertThat(err(rc, "embed", "--input", dir.resolve("texts.jsonl").toString(), "--column", "text", "--encoder", enc.toString(),
        "--out", dir.resolve("csv").toString(), "--out-format", "csv")).contains("pal-spark: --out-format = csv: use parquet or json");
    assertThat(rc[0]).isEqualTo(2);

    List<String> cmp = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      cmp.add("{\"user_id\": \"cli-" + (i % 2) + "\", \"prompt\": \"" + SparkTests.PROMPTS[i % 3] + "\", \"chosen\": \"" + SparkTests.CATS[i]
          + "\", \"rejected\": \"" + SparkTests.DOGS[i] + "\"}");
    }
    Files.write(dir.resolve("cmp.jsonl"), cmp);
    String enrolled = err(rc, "enrol", "--input", dir.resolve("cmp.jsonl").toString(), "--model", model.toString(), "--out", dir.resolve("users").toString(),
        "--merge-into", dir.resolve("merged").toString());
    assertThat(rc[0]).as(enrolled).isZero();
    assertThat(enrolled).contains("pal-spark: wrote " + dir.resolve("merged"));
    assertThat(spark.read().parquet(dir.resolve("users").toString()).count()).isEqualTo(2);
    try (RewardModel m = PalApi.create().load(dir.resolve("merged"))) {
      assertThat(m.users()).contains("cli-0", "cli-1");
    }
    assertThat(PalSparkMain.run("enrol", "--input", dir.resolve("cmp.jsonl").toString(), "--model", model.toString(), "--out", dir.resolve("users-only").toString()))
        .isZero();
    assertThat(spark.read().parquet(dir.resolve("users-only").toString()).count()).isEqualTo(2);

    Path pets = SparkTests.writePets(dir.resolve("pets.jsonl"), 12, 10, 7);
    String printed = stdout(() -> assertThat(PalSparkMain.run("prepare", "--input", pets.toString(), "--encoder", enc.toString(), "--out", dir.resolve("ds").toString(),
        "--seed", "3")).isZero());
    var p = org.pal.core.config.Json.parse(printed.substring(printed.indexOf('{'), printed.lastIndexOf('}') + 1)); // what it prints: the Prepared record as JSON
    assertThat(p.path("rows").asLong()).isEqualTo(120);
    assertThat(p.path("users").asInt()).isEqualTo(12);
    assertThat(dir.resolve("ds").resolve("dataset.json")).exists();
  }
}
