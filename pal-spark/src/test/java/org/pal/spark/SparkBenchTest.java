package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pal.core.tensor.Threads;

/**
 * The shipped Spark benchmark on small inputs: each job's two sides do the same work (the checks it
 * prints agree), and the figures it prints are the arithmetic of its timings. Timings themselves are
 * never asserted beyond their order.
 */
class SparkBenchTest {
  private int runs, warmups, workers;
  private static Path model;

  /** The bench's own model, trained once for the class. */
  static synchronized Path model() throws Exception {
    if (model == null) model = SparkBench.model(java.nio.file.Files.createTempDirectory("pal-spark-bench-test-"));
    return model;
  }

  @BeforeEach
  void save() {
    runs = SparkBench.runs;
    warmups = SparkBench.warmups;
    workers = Threads.workers();
  }

  @AfterEach
  void restore() {
    SparkBench.runs = runs;
    SparkBench.warmups = warmups;
    org.pal.api.PalApi.useThreads(workers);
  }

  interface Body {
    void run() throws Exception;
  }

  /** What body prints on System.out. */
  static String out(Body body) throws Exception {
    PrintStream saved = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      body.run();
    } finally {
      System.setOut(saved);
    }
    String s = bytes.toString(StandardCharsets.UTF_8);
    saved.print(s);
    return s;
  }

  /** Every time the bench printed for a side lies between 0 and the wall time of the whole call. */
  static void assertTimesWithin(String text, double wallSeconds) {
    Matcher m = Pattern.compile("(?:API, 1 thread|API, \\d+ threads|Spark local\\[\\d+]): +(\\S+) s").matcher(text);
    int found = 0;
    while (m.find()) {
      found++;
      assertThat(Double.parseDouble(m.group(1))).as(m.group()).isBetween(0.0, wallSeconds + 0.05);
    }
    assertThat(found).as("times printed").isPositive();
  }

  /** out(body), and its times checked against the call's wall time. */
  static String timed(Body body) throws Exception {
    long t0 = System.nanoTime();
    String text = out(body);
    assertTimesWithin(text, (System.nanoTime() - t0) / 1e9);
    return text;
  }

  static List<String> groups(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("output has /%s/:%n%s", regex, text).isTrue();
    List<String> g = new ArrayList<>();
    for (int i = 1; i <= m.groupCount(); i++) g.add(m.group(i).replace(",", ""));
    return g;
  }

  @Test
  void medianRunsTheWarmUpsUntimedThenReturnsTheMiddleTimedRun() throws Exception {
    SparkBench.warmups = 2;
    SparkBench.runs = 3;
    long[] sleeps = {0, 0, 150, 0, 400};
    int[] calls = {0};
    double[] median = {0};
    String text = out(() -> median[0] = SparkBench.median("job", () -> Thread.sleep(sleeps[calls[0]++])));
    assertThat(calls[0]).isEqualTo(5);
    // timed runs took about 0.15, 0, 0.4 s: the median is the 0.15 s one
    assertThat(median[0]).isBetween(0.15, 0.399);
    List<String> g = groups(text, "\\(job: runs \\[(\\S+), (\\S+), (\\S+)] s; min (\\S+), median (\\S+), max (\\S+)\\)");
    assertThat(Double.parseDouble(g.get(0))).isGreaterThanOrEqualTo(0.15);
    assertThat(Double.parseDouble(g.get(2))).isGreaterThanOrEqualTo(0.4);
    assertThat(Double.parseDouble(g.get(3))).isEqualTo(Double.parseDouble(g.get(1)));
    assertThat(Double.parseDouble(g.get(4))).isCloseTo(median[0], within(0.0005));
    assertThat(Double.parseDouble(g.get(5))).isEqualTo(Double.parseDouble(g.get(2)));

    SparkBench.warmups = 0; // still one untimed run: the first call opens encoders and compiles
    SparkBench.runs = 1;
    calls[0] = 0;
    out(() -> SparkBench.median("job", () -> calls[0]++));
    assertThat(calls[0]).isEqualTo(2);
  }

  @Test
  void reportPrintsRatesAndTheSparkSideAsAShareOfEachApiSide() throws Exception {
    String text = out(() -> SparkBench.report("score", 1000, "rows", 2.0, 1.0, 2, 4.0));
    assertThat(text).contains("score: 1,000 rows");
    assertThat(groups(text, "API, 1 thread: +(\\S+) s +(\\S+) rows/s +\\((\\S+) ms per row\\)")).containsExactly("2.0", "500", "2.000");
    assertThat(groups(text, "API, 2 threads: +(\\S+) s +(\\S+) rows/s")).containsExactly("1.0", "1000");
    assertThat(groups(text, "Spark local\\[2]: +(\\S+) s +(\\S+) rows/s +\\((\\d+)% of 1 thread, (\\d+)% of 2 threads\\)"))
        .containsExactly("4.0", "250", "50", "25");

    String sparkOnly = out(() -> SparkBench.report("enrol", 10, "users", -1, -1, 2, 5.0));
    assertThat(sparkOnly).doesNotContain("API").doesNotContain("% of");
    assertThat(groups(sparkOnly, "Spark local\\[2]: +(\\S+) s +(\\S+) users/s")).containsExactly("5.0", "2");
    String apiOnly = out(() -> SparkBench.report("enrol", 10, "users", 5.0, -1, 2, -1));
    assertThat(apiOnly).contains("API, 1 thread").doesNotContain("Spark").doesNotContain("threads:");
    String oneApi = out(() -> SparkBench.report("enrol", 10, "users", 5.0, -1, 2, 2.5));
    assertThat(groups(oneApi, "Spark local\\[2]: .*\\((\\d+)% of 1 thread\\)")).containsExactly("200");
  }

  @Test
  void scoreBenchScoresEveryRowTheSameOnBothSides() throws Exception {
    SparkBench.warmups = 1;
    SparkBench.runs = 1;
    Path model = model();
    String text = timed(() -> SparkBench.run(SparkTests.spark(), "score", SparkBench.options(new String[] {"score", "--rows", "3000", "--partitions", "3"}), 2, () -> model));
    List<String> g = groups(text, "check: reward sums (\\S+) \\(API\\), (\\S+) \\(API, 2 threads\\) and (\\S+) \\(Spark\\), (\\d+) rows");
    double api = Double.parseDouble(g.get(0)), tolerance = 1e-6 * (1 + Math.abs(api));
    assertThat(api).isNotZero().isCloseTo(Double.parseDouble(g.get(1)), within(tolerance)).isCloseTo(Double.parseDouble(g.get(2)), within(tolerance));
    assertThat(g.get(3)).isEqualTo("3000");
    assertThat(text).contains("score (vectors, 64-d prompt and response, PAL-B K=4; input cached in 3 partitions): 3,000 rows").contains("Spark reading the cached input alone");
    assertThat(groups(text, "Spark local\\[2]: .*\\((\\d+)% of 1 thread, (\\d+)% of 2 threads\\)")).hasSize(2);
  }

  @Test
  void enrolBenchFitsTheSameUsersOnBothSidesAndTimesOneSideWhenAsked() throws Exception {
    Path model = model();
    String both = timed(() -> SparkBench.run(SparkTests.spark(), "enrol", SparkBench.options(new String[] {"enrol", "--users", "24", "--comparisons", "20"}), 2, () -> model));
    List<String> api = groups(both, "validation accuracies sum to (\\S+) \\(API, (\\d+) users\\)");
    List<String> spark = groups(both, "validation accuracies sum to (\\S+) \\(Spark, (\\d+) users\\)");
    assertThat(api.get(1)).isEqualTo("24");
    assertThat(spark.get(1)).isEqualTo("24");
    assertThat(Double.parseDouble(api.get(0))).isGreaterThan(0).isEqualTo(Double.parseDouble(spark.get(0)));
    assertThat(both).contains("enrol (20 vector comparisons per user, each user fitted alone): 24 users").contains("API, 2 threads");
    assertThat(Threads.workers()).as("the API side gives its threads back").isEqualTo(1);

    String apiOnly = timed(() -> SparkBench.run(SparkTests.spark(), "enrol", SparkBench.options(new String[] {"enrol", "--users", "6", "--side", "api"}), 2, () -> model));
    assertThat(apiOnly).contains("(API, 6 users)").doesNotContain("Spark");
    String sparkOnly = timed(() -> SparkBench.run(SparkTests.spark(), "enrol", SparkBench.options(new String[] {"enrol", "--users", "6", "--side", "spark"}), 2, () -> model));
    assertThat(sparkOnly).contains("(Spark, 6 users)").doesNotContain("API");
  }

  @Test
  void argumentsAreNameValuePairsAfterTheJobAndLocalMastersGiveTheirSlots() throws Exception {
    assertThat(SparkBench.options(new String[] {"enrol", "--users", "50", "--side", "api", "--runs"}))
        .containsExactly(java.util.Map.entry("users", "50"), java.util.Map.entry("side", "api"));
    assertThat(SparkBench.options(new String[] {"score", "rows", "7"})).containsExactly(java.util.Map.entry("rows", "7"));
    assertThat(SparkBench.options(new String[] {"score"})).isEmpty();
    assertThat(SparkBench.options(new String[0])).isEmpty();
    assertThat(SparkBench.slots("local[3]")).isEqualTo(3);
    assertThat(SparkBench.slots("local[12]")).isEqualTo(12);
    assertThat(SparkBench.slots("local[*]")).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(SparkBench.slots("spark://host:7077")).isEqualTo(Runtime.getRuntime().availableProcessors());

    java.io.PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      SparkBench.run(SparkTests.spark(), "help", java.util.Map.of(), 2, () -> {
        throw new AssertionError("no job: no model");
      });
    } finally {
      System.setErr(saved);
    }
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("usage: SparkBench score|enrol|embed");
  }

  /** Rows i of both sides come from i's own seed, so a partition makes the same rows as the driver. */
  @Test
  void rowsComeFromTheirOwnSeed() {
    assertThat(SparkBench.vec(7, 5)).containsExactly(SparkBench.vec(7, 5)).isNotEqualTo(SparkBench.vec(8, 5));
    var a = SparkBench.enrolRow(41, 10);
    assertThat(a.getString(0)).isEqualTo("new-1");
    assertThat((float[]) a.get(1)).containsExactly(SparkBench.vec(123, SparkBench.DIM));
    assertThat((float[]) a.get(2)).containsExactly(SparkBench.vec(124, SparkBench.DIM));
    assertThat((float[]) a.get(3)).containsExactly(SparkBench.vec(125, SparkBench.DIM));
    float[] pr = SparkBench.vec(123, SparkBench.DIM), l = SparkBench.vec(124, SparkBench.DIM), r = SparkBench.vec(125, SparkBench.DIM);
    // odd users prefer the other side of the same rule
    assertThat(a.getInt(4)).isEqualTo((l[0] + pr[1] > r[0]) == false ? 1 : -1);
    var even = SparkBench.enrolRow(42, 10);
    float[] pe = SparkBench.vec(126, SparkBench.DIM), le = SparkBench.vec(127, SparkBench.DIM), re = SparkBench.vec(128, SparkBench.DIM);
    assertThat(even.getInt(4)).isEqualTo((le[0] + pe[1] > re[0]) ? 1 : -1);
  }

  @Test
  void embedBenchEmbedsEveryText() throws Exception {
    String text = timed(() -> SparkBench.run(SparkTests.spark(), "embed", SparkBench.options(new String[] {"embed", "--texts", "300"}), 2, () -> {
      throw new AssertionError("the embed bench needs no model");
    }));
    assertThat(text).contains("embed (default all-MiniLM-L6-v2, ONNX Runtime's own threads): 300 texts").contains("check: 300 rows embedded by Spark");
    assertThat(groups(text, "Spark local\\[2]: .*\\((\\d+)% of 1 thread\\)")).hasSize(1);
  }
}
