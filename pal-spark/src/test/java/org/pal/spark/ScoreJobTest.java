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
    local = PalApi.create().load(model);
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
