package org.pal.spark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.pal.api.Comparison;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.Splits;
import org.pal.core.data.Table;
import org.pal.core.spi.Embedder;

/**
 * The shipped benchmark: the same work through the single-process API and through a Spark session
 * (local[2] unless --master says otherwise), on the same machine, reported as rows per second.
 *
 * <pre>
 * bin/pal-spark-local bench score --rows 1000000     # vectors: model.rewards vs PalSpark.score
 * bin/pal-spark-local bench enrol --users 5000       # 20 comparisons each: model.enrol per user vs PalSpark.enrol
 * bin/pal-spark-local bench embed --texts 20000      # default MiniLM: embedder.embed vs PalSpark.embed
 * </pre>
 *
 * Inputs are generated (seeded) and, for Spark, cached in memory before the clock starts, so both
 * sides time only the work. The API baseline runs in one thread (what one call does) and, for
 * scoring and enrolment, in as many threads as Spark has task slots, which isolates Spark's own
 * overhead.
 */
public final class SparkBench {
  static final int DIM = 64;
  /** Timed runs per side, after {@link #warmups} untimed ones; min, median and max are printed, the median is reported. */
  static int runs = 5;
  /** Untimed runs first: JIT and Spark's code generation settle over several passes, not one. */
  static int warmups = 3;

  private SparkBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = options(args);
    String what = args.length == 0 ? "help" : args[0];
    String master = o.getOrDefault("master", "local[2]");
    int slots = slots(master);
    runs = Integer.parseInt(o.getOrDefault("runs", "5"));
    warmups = Integer.parseInt(o.getOrDefault("warmups", "3"));
    PalApi.useThreads(1); // the baselines are one thread (or an explicit pool); Spark's executors run one worker per task
    SparkSession spark = PalSpark.sessionBuilder("pal-spark bench " + what).master(master).config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", String.valueOf(4 * slots)).getOrCreate();
    try {
      run(spark, what, o, slots, () -> model(Files.createTempDirectory("pal-bench-")));
    } finally {
      spark.stop();
    }
  }

  /** A model directory, made when a job needs one. */
  interface Model {
    Path get() throws Exception;
  }

  /** Runs job {@code what} with options {@code o} on {@code spark}; an unknown job prints the usage. */
  static void run(SparkSession spark, String what, Map<String, String> o, int slots, Model model) throws Exception {
    switch (what) {
      case "score" -> score(spark, model.get(), Integer.parseInt(o.getOrDefault("rows", "1000000")), slots,
          Integer.parseInt(o.getOrDefault("partitions", String.valueOf(4 * slots))));
      case "enrol" -> enrol(spark, model.get(), Integer.parseInt(o.getOrDefault("users", "10000")), Integer.parseInt(o.getOrDefault("comparisons", "20")), slots,
          o.getOrDefault("side", "both"));
      case "embed" -> embed(spark, Integer.parseInt(o.getOrDefault("texts", "20000")), slots);
      default -> System.err.println("usage: SparkBench score|enrol|embed [--rows N --partitions P] [--users N --comparisons C --side api|spark|both] [--texts N] [--master M] [--runs R] [--warmups W]");
    }
  }

  /** {@code --name value} pairs after the job's name, by name without the dashes (a last name without a value is ignored). */
  static Map<String, String> options(String[] args) {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    return o;
  }

  /** Task slots of a master: N for local[N], else this machine's processors (the API's thread count to compare with). */
  static int slots(String master) {
    return master.matches("local\\[\\d+]") ? Integer.parseInt(master.replaceAll("\\D", "")) : Runtime.getRuntime().availableProcessors();
  }

  /** PAL-B (K = 4, d = 16, the reference projector) on random 64-d items and prompts, trained for 2 epochs: the numbers need a real model, not a good one. */
  static Path model(Path dir) {
    Random r = new Random(0);
    int users = 200, items = 2000, prompts = 200, pairs = 20000;
    int[] u = new int[pairs], p = new int[pairs], a = new int[pairs], b = new int[pairs];
    byte[] y = new byte[pairs];
    for (int i = 0; i < pairs; i++) {
      u[i] = i % users; p[i] = r.nextInt(prompts); a[i] = r.nextInt(items); b[i] = r.nextInt(items); y[i] = (byte) (r.nextBoolean() ? 1 : -1);
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < users; i++) ids.add("seen-" + i);
    PreferenceDataset d = new PreferenceDataset(Table.of("items", gaussian(r, items, DIM)), Table.of("prompts", gaussian(r, prompts, DIM)), ids,
        new Pairs(u, p, a, b, y));
    PalApi api = PalApi.create();
    ObjectNode prov = Json.mapper().createObjectNode().put("source", "pal-spark bench");
    PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"k\": 4, \"dim\": 16}, \"trainer\": {\"epochs\": 2, \"batchSize\": 256}}");
    try (RewardModel m = api.train(cfg, new org.pal.api.Dataset(Splits.bySeed(d, 0.0, 0.1, 0.1, 0), null, prov)).model()) {
      m.save(dir.resolve("model"));
    }
    return dir.resolve("model");
  }

  static float[][] gaussian(Random r, int n, int d) {
    float[][] v = new float[n][d];
    for (float[] row : v) for (int j = 0; j < d; j++) row[j] = (float) r.nextGaussian();
    return v;
  }

  /** Row i's vectors, from its own seed: Spark's partitions and the baseline make the same rows. */
  static float[] vec(long seed, int d) {
    Random r = new Random(seed);
    float[] v = new float[d];
    for (int j = 0; j < d; j++) v[j] = (float) r.nextGaussian();
    return v;
  }

  /** A side not run is negative and left out (the enrol bench can time one side per run). */
  static void report(String what, long n, String unit, double apiOne, double apiSlots, int slots, double spark) {
    System.out.printf(java.util.Locale.ROOT, "%s: %,d %s%n", what, n, unit);
    if (apiOne > 0) System.out.printf(java.util.Locale.ROOT, "  API, 1 thread:        %8.1f s  %,12.0f %s/s  (%.3f ms per %s)%n", apiOne, n / apiOne, unit, 1000 * apiOne / n, unit.replaceAll("s$", ""));
    if (apiSlots > 0) System.out.printf(java.util.Locale.ROOT, "  API, %d threads:       %8.1f s  %,12.0f %s/s%n", slots, apiSlots, n / apiSlots, unit);
    if (spark > 0) {
      System.out.printf(java.util.Locale.ROOT, "  Spark local[%d]:       %8.1f s  %,12.0f %s/s%s%n", slots, spark, n / spark, unit, apiOne <= 0 ? ""
          : String.format(java.util.Locale.ROOT, "   (%.0f%% of 1 thread%s)", 100 * apiOne / spark,
              apiSlots > 0 ? String.format(java.util.Locale.ROOT, ", %.0f%% of %d threads", 100 * apiSlots / spark, slots) : ""));
    }
  }

  /** {@link #warmups} untimed runs (JIT, Spark's code generation, opening the encoder), then {@link #runs} timed runs: the median, in seconds. */
  static double median(String what, Run run) throws Exception {
    for (int i = 0; i < Math.max(1, warmups); i++) run.run();
    double[] t = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      run.run();
      t[i] = (System.nanoTime() - t0) / 1e9;
    }
    double[] sorted = t.clone();
    java.util.Arrays.sort(sorted);
    System.out.printf(java.util.Locale.ROOT, "  (%s: runs %s s; min %.3f, median %.3f, max %.3f)%n", what,
        java.util.Arrays.toString(java.util.Arrays.stream(t).map(x -> Math.round(x * 1000) / 1000.0).toArray()), sorted[0], sorted[runs / 2], sorted[runs - 1]);
    return sorted[runs / 2];
  }

  interface Run {
    void run() throws Exception;
  }

  static double parallel(int threads, int n, java.util.function.BiConsumer<Integer, Integer> range) throws Exception {
    ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      long t0 = System.nanoTime();
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int from = (int) ((long) n * t / threads), to = (int) ((long) n * (t + 1) / threads);
        fs.add(ex.submit(() -> range.accept(from, to)));
      }
      for (Future<?> f : fs) f.get();
      return (System.nanoTime() - t0) / 1e9;
    } finally {
      ex.shutdown();
    }
  }

  /** @param partitions of the cached input (4 per task slot unless --partitions says otherwise) */
  static void score(SparkSession spark, Path modelDir, int n, int slots, int partitions) throws Exception {
    RewardModel m = PalApi.create().load(modelDir, PalApi.LoadOptions.vectors());
    int users = m.users().size();
    double[][] w = new double[n][];
    float[][] p = new float[n][], x = new float[n][];
    for (int i = 0; i < n; i++) {
      w[i] = m.weights(User.id("seen-" + (i % users)));
      p[i] = vec(2L * i, DIM);
      x[i] = vec(2L * i + 1, DIM);
    }
    int chunk = 1024; // the batch Spark's tasks use
    double[] sum = {0};
    double one = median("API, 1 thread", () -> {
      double total = 0;
      for (int from = 0; from < n; from += chunk) {
        int to = Math.min(n, from + chunk);
        for (double v : m.rewards(java.util.Arrays.copyOfRange(w, from, to), java.util.Arrays.copyOfRange(p, from, to), java.util.Arrays.copyOfRange(x, from, to))) total += v;
      }
      sum[0] = total;
    });
    java.util.concurrent.atomic.DoubleAdder threaded = new java.util.concurrent.atomic.DoubleAdder();
    double two = median("API, " + slots + " threads", () -> {
      threaded.reset();
      parallel(slots, n, (from, to) -> {
        double total = 0;
        for (int f = from; f < to; f += chunk) {
          int t = Math.min(to, f + chunk);
          for (double v : m.rewards(java.util.Arrays.copyOfRange(w, f, t), java.util.Arrays.copyOfRange(p, f, t), java.util.Arrays.copyOfRange(x, f, t))) total += v;
        }
        threaded.add(total);
      });
    });

    StructType schema = new StructType().add("id", DataTypes.LongType).add("user_id", DataTypes.StringType)
        .add("prompt", DataTypes.createArrayType(DataTypes.FloatType, false)).add("response", DataTypes.createArrayType(DataTypes.FloatType, false));
    Dataset<Row> rows = spark.range(0, n, 1, partitions).mapPartitions((MapPartitionsFunction<Long, Row>) it -> new Iterator<>() {
      public boolean hasNext() { return it.hasNext(); }
      public Row next() {
        long i = it.next();
        return RowFactory.create(i, "seen-" + (i % users), vec(2 * i, DIM), vec(2 * i + 1, DIM));
      }
    }, Cells.rowEncoder(schema, List.of("prompt", "response"))).persist(StorageLevel.MEMORY_ONLY());
    rows.count();
    Row[] agg = new Row[1];
    // reading the cached rows alone (no PAL): every column the scoring job reads and returns, the floor any job over them pays
    double read = median("Spark, reading the cached rows", () -> rows.agg(functions.sum("id"), functions.sum(functions.length(functions.col("user_id"))),
        functions.sum(functions.size(functions.col("prompt"))), functions.sum(functions.size(functions.col("response")))).first());
    double s = median("Spark local[" + slots + "]", () -> agg[0] = PalSpark.on(spark).score(rows, modelDir).agg(functions.sum("reward"), functions.count("reward")).first());
    report("score (vectors, " + DIM + "-d prompt and response, PAL-B K=4; input cached in " + partitions + " partitions)", n, "rows", one, two, slots, s);
    System.out.printf(java.util.Locale.ROOT, "  Spark reading the cached input alone: %.2f s%n", read);
    System.out.printf(java.util.Locale.ROOT, "  check: reward sums %.6f (API), %.6f (API, %d threads) and %.6f (Spark), %d rows%n", sum[0], threaded.sum(), slots,
        agg[0].getDouble(0), agg[0].getLong(1));
    rows.unpersist();
  }

  /** Comparison i of the enrol bench (user i % users, that user's comparison i / users), from its own seed: both sides make the same rows. */
  static Row enrolRow(long i, int users) {
    long seed = 3L * i;
    int u = (int) (i % users);
    float[] pr = vec(seed, DIM), a = vec(seed + 1, DIM), b = vec(seed + 2, DIM);
    boolean leftWins = (a[0] + pr[1] > b[0]) == (u % 2 == 0);
    return RowFactory.create("new-" + u, pr, a, b, leftWins ? 1 : -1);
  }

  /**
   * @param side "api", "spark" or "both": at 100,000 users one side fills a 10-minute window, so
   *             each can be timed alone (the per-user figures of one run compare with the other's)
   */
  static void enrol(SparkSession spark, Path modelDir, int users, int per, int slots, String side) throws Exception {
    RewardModel m = PalApi.create().load(modelDir, PalApi.LoadOptions.vectors());
    m.engine().params().freeze(true);
    long n = (long) users * per;
    String what = "enrol (" + per + " vector comparisons per user, each user fitted alone)";
    double one = -1, two = -1, s = -1;
    if (!side.equals("spark")) {
      List<List<Comparison>> byUser = new ArrayList<>();
      for (int u = 0; u < users; u++) byUser.add(new ArrayList<>(per));
      for (long i = 0; i < n; i++) {
        Row r = enrolRow(i, users);
        Input pr = Input.vector((float[]) r.get(1)), a = Input.vector((float[]) r.get(2)), b = Input.vector((float[]) r.get(3));
        boolean leftWins = r.getInt(4) == 1;
        byUser.get((int) (i % users)).add(new Comparison(r.getString(0), pr, leftWins ? a : b, leftWins ? b : a));
      }
      List<Comparison> all = new ArrayList<>((int) n);
      for (List<Comparison> cs : byUser) all.addAll(cs);
      byUser.clear();
      // the API's own way for many users (each fitted alone, on its worker threads); one timed run per
      // thread count (seconds per thousand users), after a warm-up on the first 5%
      m.enrolEach(all.subList(0, Math.max(1, users / 20) * per), false).model().close();
      double[] acc = {0};
      long t0 = System.nanoTime();
      org.pal.api.Enrolment e1 = m.enrolEach(all, false);
      one = (System.nanoTime() - t0) / 1e9;
      for (org.pal.api.Enrolment.EnrolledUser u : e1.users()) acc[0] += u.validationAccuracy() == null ? 0 : u.validationAccuracy();
      e1.model().close();
      PalApi.useThreads(slots);
      t0 = System.nanoTime();
      m.enrolEach(all, false).model().close();
      two = (System.nanoTime() - t0) / 1e9;
      PalApi.useThreads(1);
      System.out.printf(java.util.Locale.ROOT, "  check: validation accuracies sum to %.6f (API, %d users)%n", acc[0], users);
    }
    if (!side.equals("api")) {
      StructType schema = new StructType().add("user_id", DataTypes.StringType).add("prompt", DataTypes.createArrayType(DataTypes.FloatType, false))
          .add("left", DataTypes.createArrayType(DataTypes.FloatType, false)).add("right", DataTypes.createArrayType(DataTypes.FloatType, false))
          .add("label", DataTypes.IntegerType);
      // made inside Spark (a driver-side list of millions of rows would ship in the tasks); ranges keep each user's rows in input order
      Dataset<Row> in = spark.range(0, n, 1, 4 * slots).mapPartitions((MapPartitionsFunction<Long, Row>) it -> new Iterator<>() {
        public boolean hasNext() { return it.hasNext(); }
        public Row next() { return enrolRow(it.next(), users); }
      }, Cells.rowEncoder(schema, List.of("prompt", "left", "right"))).persist(StorageLevel.MEMORY_ONLY());
      in.count();
      PalSpark.on(spark).enrol(in.where(functions.hash(functions.col("user_id")).mod(20).equalTo(0)), modelDir, false).count();
      long t0 = System.nanoTime();
      Row agg = PalSpark.on(spark).enrol(in, modelDir, false).agg(functions.count("user_id"), functions.sum("validation_accuracy")).first();
      s = (System.nanoTime() - t0) / 1e9;
      System.out.printf(java.util.Locale.ROOT, "  check: validation accuracies sum to %.6f (Spark, %d users)%n", agg.getDouble(1), agg.getLong(0));
      in.unpersist();
    }
    report(what, users, "users", one, two, slots, s);
  }

  static void embed(SparkSession spark, int n, int slots) throws Exception {
    List<String> texts = new ArrayList<>(n);
    Random r = new Random(1);
    String[] words = ("the a cat dog sat ran on under over quickly slowly house garden river mountain blue red green happy sad "
        + "model reward user prompt answer story poem short long night day city road tree").split(" ");
    for (int i = 0; i < n; i++) {
      StringBuilder sb = new StringBuilder();
      int len = 4 + r.nextInt(20);
      for (int j = 0; j < len; j++) sb.append(j == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
      texts.add(sb.append(" #").append(i).toString());
    }
    String config = "{\"type\": \"onnx-sentence\"}";
    double one;
    try (Embedder e = PalApi.create().registry().embedder(Json.parse(config))) {
      e.embed(texts.subList(0, Math.min(1024, n))); // warm-up, as the executor's first job below
      long t0 = System.nanoTime();
      for (int from = 0; from < n; from += 1024) e.embed(texts.subList(from, Math.min(n, from + 1024)));
      one = (System.nanoTime() - t0) / 1e9;
    }
    List<Row> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) rows.add(RowFactory.create(i, texts.get(i)));
    Dataset<Row> in = spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType))
        .repartition(4 * slots).persist(StorageLevel.MEMORY_ONLY());
    in.count();
    PalSpark.on(spark).embed(in.limit(1024), "text", Json.parse(config)).count(); // opens the executor's encoder, as the warm-up above
    long t0 = System.nanoTime();
    long got = PalSpark.on(spark).embed(in, "text", Json.parse(config)).count();
    double s = (System.nanoTime() - t0) / 1e9;
    report("embed (default all-MiniLM-L6-v2, ONNX Runtime's own threads)", n, "texts", one, -1, slots, s);
    System.out.println("  check: " + got + " rows embedded by Spark");
  }
}
