package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;

/** score: Spark's rewards equal the single-machine API's on the same rows, on vectors and on raw text; bad rows fail or are skipped. */
class ScoreJobTest {
  static SparkSession spark;
  static Path model;
  static RewardModel local;

  @BeforeAll
  static void setUp() throws Exception {
    spark = SparkTests.spark();
    model = SparkTests.model();
    local = SparkTests.local();
  }

  static final StructType VECTORS = new StructType()
      .add("id", DataTypes.LongType)
      .add("user_id", DataTypes.StringType)
      .add("weights", DataTypes.createArrayType(DataTypes.DoubleType))
      .add("prompt", DataTypes.createArrayType(DataTypes.FloatType))
      .add("response", DataTypes.createArrayType(DataTypes.FloatType));

  static float[] random(Random r, int d) {
    float[] v = new float[d];
    for (int i = 0; i < d; i++) v[i] = (float) r.nextGaussian();
    return v;
  }

  static Dataset<Row> frame(List<Row> rows, StructType schema, int partitions) {
    return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions), schema);
  }

  @Test
  void vectorRowsGiveTheApisVectorPathRewards() {
    Random r = new Random(3);
    int n = 300;
    List<Row> rows = new ArrayList<>();
    double[][] w = new double[n][];
    float[][] p = new float[n][], x = new float[n][];
    for (int i = 0; i < n; i++) {
      String user = local.users().get(i % local.users().size());
      boolean explicit = i % 5 == 0;
      double a = r.nextDouble();
      w[i] = explicit ? new double[] {a, 1 - a} : local.weights(User.id(user));
      p[i] = random(r, local.promptDim());
      x[i] = random(r, local.itemDim());
      rows.add(RowFactory.create((long) i, user, explicit ? w[i] : null, p[i], x[i]));
    }
    List<Row> out = PalSpark.on(spark).batchSize(64).score(frame(rows, VECTORS, 3), model).orderBy("id").collectAsList();
    double[] expected = local.rewards(w, p, x);
    assertThat(out).hasSize(n);
    for (int i = 0; i < n; i++) {
      assertThat(out.get(i).getLong(0)).isEqualTo(i);
      assertThat(out.get(i).getDouble(out.get(i).fieldIndex("reward"))).as("row %d", i).isCloseTo(expected[i], within(1e-5)); // float32 rewards of about 6: 1e-5 is a few ulps
    }
    // the rewards are the model's, not constants: different users and responses get different rewards
    assertThat(java.util.Arrays.stream(expected).distinct().count()).isGreaterThan(n / 2);
  }

  @Test
  void vectorRowsTakeTheInternalRowPathAndTheGenericPathGivesTheSameRewards() {
    Random r = new Random(11);
    int n = 200;
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(RowFactory.create((long) i, local.users().get(i % local.users().size()), null, random(r, local.promptDim()), random(r, local.itemDim())));
    }
    Dataset<Row> in = frame(rows, VECTORS, 2);
    long before = PalSpark.VectorScoreTask.SCORED.get();
    List<Row> fast = PalSpark.on(spark).batchSize(32).score(in, model).orderBy("id").collectAsList();
    // local[2] runs the tasks in this JVM: every row went through VectorScoreTask (other tests may add to it, never less)
    assertThat(PalSpark.VectorScoreTask.SCORED.get() - before).isGreaterThanOrEqualTo(n);
    List<Row> generic;
    PalSpark.internalRowScoring = false;
    try {
      long mid = PalSpark.VectorScoreTask.SCORED.get();
      generic = PalSpark.on(spark).batchSize(32).score(in, model).orderBy("id").collectAsList();
      assertThat(PalSpark.VectorScoreTask.SCORED.get()).as("the generic path was taken").isEqualTo(mid);
    } finally {
      PalSpark.internalRowScoring = true;
    }
    assertThat(fast).hasSize(n);
    assertThat(generic).hasSize(n);
    for (int i = 0; i < n; i++) {
      assertThat(fast.get(i).getLong(0)).isEqualTo(generic.get(i).getLong(0));
      assertThat(fast.get(i).getDouble(fast.get(i).fieldIndex("reward"))).as("row %d", i).isEqualTo(generic.get(i).getDouble(generic.get(i).fieldIndex("reward")));
    }
  }

  /** The bench's schema: arrays of floats that cannot hold nulls, which the task reads in place. */
  static final StructType DENSE = new StructType()
      .add("id", DataTypes.LongType)
      .add("user_id", DataTypes.StringType)
      .add("prompt", DataTypes.createArrayType(DataTypes.FloatType, false))
      .add("response", DataTypes.createArrayType(DataTypes.FloatType, false));

  /** Rows for the batch tests: row 37 has a NaN in its response and row 150 a response one short; both are skipped. */
  static List<Row> denseRows(int n) {
    Random r = new Random(17);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] x = random(r, i == 150 ? local.itemDim() - 1 : local.itemDim());
      if (i == 37) x[5] = Float.NaN;
      rows.add(RowFactory.create((long) i, local.users().get(i % local.users().size()), random(r, local.promptDim()), x));
    }
    return rows;
  }

  /**
   * The API's rewards for {@code rows} scored as a task scores them: partition by partition (the
   * slices {@code parallelize} makes), in batches of {@code batch} input rows less their bad rows,
   * by the model the executor (this JVM, in local mode) scores with. A float reward can move by an
   * ulp with the rows BLAS multiplies together, so bit-for-bit needs the same batches.
   */
  static double[] apiRewardsInTaskBatches(List<Row> rows, int partitions, int batch) {
    RewardModel local = ExecutorResources.model(ModelShipment.read(model), true);
    double[] out = new double[rows.size()];
    java.util.Arrays.fill(out, Double.NaN);
    for (int part = 0; part < partitions; part++) {
      int start = (int) ((long) part * rows.size() / partitions), end = (int) ((long) (part + 1) * rows.size() / partitions);
      for (int from = start; from < end; from += batch) {
        List<Integer> ok = new ArrayList<>();
        for (int i = from; i < Math.min(end, from + batch); i++) if (i != 37 && i != 150) ok.add(i);
        double[][] w = new double[ok.size()][];
        float[][] p = new float[ok.size()][], x = new float[ok.size()][];
        for (int j = 0; j < ok.size(); j++) {
          Row row = rows.get(ok.get(j));
          w[j] = local.weights(User.id(row.getString(1)));
          p[j] = (float[]) row.get(2);
          x[j] = (float[]) row.get(3);
        }
        double[] u = local.rewards(w, p, x);
        for (int j = 0; j < ok.size(); j++) out[ok.get(j)] = u[j];
      }
    }
    return out;
  }

  @Test
  void batchesReadInPlaceGiveTheApisRewardsBitForBitAndSkipBadRows() {
    int n = 500, partitions = 3, batch = 16; // many batches per partition, the last one short
    List<Row> rows = denseRows(n);
    PalSpark pal = PalSpark.on(spark).skipInvalid(true).batchSize(batch);
    long before = PalSpark.VectorScoreTask.SCORED.get();
    // sorted here: orderBy would run the job twice (its sampling pass too) and count each bad row twice
    List<Row> out = new ArrayList<>(pal.score(frame(rows, DENSE, partitions), model).collectAsList());
    out.sort(java.util.Comparator.comparingLong(o -> o.getLong(0)));
    assertThat(PalSpark.VectorScoreTask.SCORED.get() - before).as("the internal-row path was taken").isGreaterThanOrEqualTo(n - 2);
    double[] expected = apiRewardsInTaskBatches(rows, partitions, batch);
    assertThat(out).hasSize(n - 2);
    assertThat(pal.skippedRows()).isEqualTo(2);
    assertThat(pal.problems()).anySatisfy(m -> assertThat(m).contains("response[5] = NaN"));
    assertThat(pal.problems()).anySatisfy(m -> assertThat(m).contains("response length = " + (local.itemDim() - 1)));
    for (Row o : out) {
      int i = (int) o.getLong(0);
      Row in = rows.get(i);
      assertThat(o.getString(1)).isEqualTo(in.getString(1));
      // the held rows come back whole: their vectors are the input's
      assertThat(o.getList(2)).as("prompt of row %d", i).containsExactlyElementsOf(floats((float[]) in.get(2)));
      assertThat(o.getList(3)).as("response of row %d", i).containsExactlyElementsOf(floats((float[]) in.get(3)));
      assertThat(o.getDouble(4)).as("row %d", i).isEqualTo(expected[i]);
    }
  }

  @Test
  void theTaskHoldsRowsOfAnyKindAcrossBatchesAndGivesTheApisRewardsBitForBit() {
    int n = 200, batch = 7;
    List<Row> rows = denseRows(n); // rows 37 and 150 are bad
    org.apache.spark.sql.catalyst.expressions.UnsafeProjection unsafe = org.apache.spark.sql.catalyst.expressions.UnsafeProjection.create(DENSE);
    List<org.apache.spark.sql.catalyst.InternalRow> in = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Row r = rows.get(i);
      org.apache.spark.sql.catalyst.InternalRow g = new org.apache.spark.sql.catalyst.expressions.GenericInternalRow(new Object[] {r.getLong(0),
          org.apache.spark.unsafe.types.UTF8String.fromString(r.getString(1)), new org.apache.spark.sql.catalyst.util.GenericArrayData(floats((float[]) r.get(2)).toArray()),
          new org.apache.spark.sql.catalyst.util.GenericArrayData(floats((float[]) r.get(3)).toArray())});
      // every third row a generic row (copied when held), the others Spark's unsafe rows (held in the task's buffer)
      in.add(i % 3 == 0 ? g : unsafe.apply(g).copy());
    }
    BadRows bad = new BadRows(true, spark.sparkContext().longAccumulator(), spark.sparkContext().collectionAccumulator());
    int fields = DENSE.length();
    PalSpark.VectorScoreTask task = new PalSpark.VectorScoreTask(JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(ModelShipment.read(model)),
        fields, 1, -1, null, 2, (org.apache.spark.sql.types.ArrayType) DENSE.fields()[2].dataType(), 3,
        (org.apache.spark.sql.types.ArrayType) DENSE.fields()[3].dataType(), false, batch, bad, -1, null);
    java.util.Iterator<org.apache.spark.sql.catalyst.InternalRow> it = task.call(in.iterator());
    double[] expected = apiRewardsInTaskBatches(rows, 1, batch);
    int seen = 0;
    while (it.hasNext()) {
      org.apache.spark.sql.catalyst.InternalRow o = it.next(); // a reused row: read before asking for the next
      assertThat(o.numFields()).isEqualTo(fields + 1);
      int i = (int) o.getLong(0);
      assertThat(i).as("input order").isGreaterThanOrEqualTo(seen);
      assertThat(o.getUTF8String(1).toString()).isEqualTo(rows.get(i).getString(1));
      assertThat(o.getArray(3).toFloatArray()).as("response of row %d", i).isEqualTo((float[]) rows.get(i).get(3));
      assertThat(o.getDouble(fields)).as("row %d", i).isEqualTo(expected[i]);
      seen = i + 1;
      if (i != 37 && i != 150) continue;
      throw new AssertionError("bad row " + i + " came out");
    }
    assertThat(seen).isEqualTo(n);
    assertThat(bad.skipped()).isEqualTo(2);
  }

  static List<Float> floats(float[] v) {
    List<Float> l = new ArrayList<>(v.length);
    for (float f : v) l.add(f);
    return l;
  }

  @Test
  void textRowsGoThroughTheRecordedEncoderAsOnOneMachine() {
    StructType schema = new StructType().add("user_id", DataTypes.StringType).add("prompt", DataTypes.StringType).add("response", DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    List<String> users = new ArrayList<>(local.users());
    users.add("stranger");
    for (int i = 0; i < 40; i++) {
      String[] pool = i % 2 == 0 ? SparkTests.CATS : SparkTests.DOGS;
      rows.add(RowFactory.create(users.get(i % users.size()), SparkTests.PROMPTS[i % 3], pool[i % pool.length]));
    }
    List<Row> out = PalSpark.on(spark).zeroShotUnknown(true).batchSize(7).score(frame(rows, schema, 2), model).collectAsList();
    assertThat(out).hasSize(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      Row in = rows.get(i);
      User u = local.hasUser(in.getString(0)) ? User.id(in.getString(0)) : User.zeroShot();
      double expected = local.rewards(u, Input.text(in.getString(1)), Input.text(in.getString(2)))[0];
      assertThat(out.get(i).getString(2)).isEqualTo(in.getString(2));
      assertThat(out.get(i).getDouble(3)).as("row %d", i).isCloseTo(expected, within(1e-5));
    }
  }

  @Test
  void aCorruptRowFailsTheJobNamingItOrIsSkippedAndCounted() {
    Random r = new Random(5);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      float[] resp = random(r, i == 13 ? local.itemDim() - 1 : local.itemDim()); // row 13: a vector of the wrong length
      rows.add(RowFactory.create((long) i, local.users().get(0), null, random(r, local.promptDim()), resp));
    }
    // 2 partitions of 10 rows: row 13 is the 4th row of partition 1
    Dataset<Row> in = frame(rows, VECTORS, 2);
    assertThatThrownBy(() -> PalSpark.on(spark).idColumn("id").score(in, model).collectAsList())
        .hasStackTraceContaining("partition 1 row 4 (id 13)")
        .hasStackTraceContaining("response length = 15");
    PalSpark skipping = PalSpark.on(spark).skipInvalid(true);
    List<Row> out = skipping.score(in, model).collectAsList();
    assertThat(out).hasSize(19);
    assertThat(out.stream().map(x -> x.getLong(0))).doesNotContain(13L);
    assertThat(skipping.skippedRows()).isEqualTo(1);
    assertThat(skipping.problems()).singleElement().asString().startsWith("partition 1 row 4: response length = 15");
  }

  @Test
  void anUnknownUserIsARowProblemUnlessZeroShotIsAsked() {
    StructType schema = new StructType().add("user_id", DataTypes.StringType).add("prompt", DataTypes.StringType).add("response", DataTypes.StringType);
    Dataset<Row> in = frame(List.of(RowFactory.create(local.users().get(1), "describe a pet", "a kitten chasing yarn"),
        RowFactory.create("nobody", "describe a pet", "a kitten chasing yarn")), schema, 1);
    assertThatThrownBy(() -> PalSpark.on(spark).score(in, model).collectAsList()).hasStackTraceContaining("partition 0 row 2: user = nobody");
    List<Row> out = PalSpark.on(spark).zeroShotUnknown(true).score(in, model).collectAsList();
    assertThat(out.get(1).getDouble(3)).isCloseTo(local.rewards(User.zeroShot(), Input.text("describe a pet"), Input.text("a kitten chasing yarn"))[0], within(1e-5));
  }
}
