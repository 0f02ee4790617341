package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.core.config.Json;

/**
 * The jar for spark-submit, as built by {@code package} under {@code -Pspark}: run by Surefire's
 * {@code shaded-jar} execution in the {@code integration-test} phase ({@code mvn -Pspark verify -pl
 * pal-spark -am}), not by {@code test}, since the jar does not exist then. A child JVM gets exactly
 * what a Spark installation gives an application: Spark's own jars (target/spark-classpath.txt, with
 * Spark's Jackson 2.21 and Guava) beside pal-spark.jar, and nothing of the test classpath.
 */
class ShadedJarTest {
  static final Path TARGET = Path.of("target");

  @Test
  void jacksonAndGuavaAreRelocatedAndSparkIsNotInside() throws IOException {
    try (JarFile jar = new JarFile(TARGET.resolve("pal-spark.jar").toFile())) {
      List<String> names = Collections.list(jar.entries()).stream().map(e -> e.getName()).toList();
      assertThat(names).contains("org/pal/spark/PalSparkMain.class", "org/pal/shaded/jackson/databind/ObjectMapper.class");
      assertThat(names).noneMatch(n -> n.startsWith("com/fasterxml/jackson/") || n.startsWith("com/google/common/"));
      assertThat(names).noneMatch(n -> n.startsWith("org/apache/spark/") || n.startsWith("scala/"));
      // PAL's own classes were rewritten to the relocated names
      byte[] json = jar.getInputStream(jar.getEntry("org/pal/core/config/Json.class")).readAllBytes();
      String text = new String(json, StandardCharsets.ISO_8859_1);
      assertThat(text).contains("org/pal/shaded/jackson/").doesNotContain("com/fasterxml/jackson/");
    }
  }

  @Test
  void scoresThroughPalSparkMainInAJvmWithOnlySparksClasspathBesideIt(@TempDir Path dir) throws Exception {
    Path model = SparkBench.model(dir);
    Random r = new Random(11);
    List<String> lines = new ArrayList<>();
    int n = 40;
    double[][] w = new double[n][];
    float[][] p = new float[n][], x = new float[n][];
    try (RewardModel local = PalApi.create().load(model, PalApi.LoadOptions.vectors())) {
      for (int i = 0; i < n; i++) {
        String user = local.users().get(i % local.users().size());
        w[i] = local.weights(User.id(user));
        p[i] = SparkBench.gaussian(r, 1, SparkBench.DIM)[0];
        x[i] = SparkBench.gaussian(r, 1, SparkBench.DIM)[0];
        lines.add("{\"id\": " + i + ", \"user_id\": \"" + user + "\", \"prompt\": " + Json.write(p[i]) + ", \"response\": " + Json.write(x[i]) + "}");
      }
      Files.write(dir.resolve("rows.jsonl"), lines);
      double[] expected = local.rewards(w, p, x);

      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-Xmx1g");
      for (String o : System.getProperty("pal.spark.jvm.options").trim().split("\\s+")) cmd.add(o);
      cmd.add("-cp");
      cmd.add(TARGET.resolve("pal-spark.jar").toAbsolutePath() + java.io.File.pathSeparator + Files.readString(TARGET.resolve("spark-classpath.txt")).trim());
      cmd.addAll(List.of("org.pal.spark.PalSparkMain", "score", "--master", "local[1]", "--input", dir.resolve("rows.jsonl").toString(),
          "--model", model.toString(), "--out", dir.resolve("scored").toString(), "--out-format", "json"));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile());
      pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
      pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
      Process child = pb.start();
      assertThat(child.waitFor(5, TimeUnit.MINUTES)).as("child finished").isTrue();
      assertThat(child.exitValue()).as("exit code; log:%n%s", Files.readString(dir.resolve("child.log"))).isZero();

      List<String> out = new ArrayList<>();
      try (var files = Files.list(dir.resolve("scored"))) {
        for (Path f : files.filter(f -> f.getFileName().toString().startsWith("part-")).toList()) out.addAll(Files.readAllLines(f));
      }
      assertThat(out).hasSize(n);
      for (String line : out) {
        var row = Json.parse(line);
        int i = row.get("id").asInt();
        assertThat(row.get("reward").asDouble()).as("row %d", i).isCloseTo(expected[i], within(1e-5));
      }
    }
  }
}
