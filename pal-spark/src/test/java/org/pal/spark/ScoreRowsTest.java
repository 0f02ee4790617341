package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.core.PalException;

/**
 * score's inputs in every form it accepts (weights as arrays of any number type or text, vectors of
 * any number type, columns in any position), each giving the API's reward for the same row on both
 * the vector path and the generic one; each refusal once, naming the column or row, the value and the fix.
 */
class ScoreRowsTest {
  static SparkSession spark;
  static Path model;
  static RewardModel local;

  @BeforeAll
  static void setUp() throws Exception {
    spark = SparkTests.spark();
    model = SparkTests.model();
    local = SparkTests.local();
  }

  static Dataset<Row> frame(List<Row> rows, StructType schema, int partitions) {
    return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions), schema);
  }

  static DataType array(DataType element, boolean nulls) {
    return DataTypes.createArrayType(element, nulls);
  }

  static double reward(Row r) {
    return r.getDouble(r.fieldIndex("reward"));
  }

  /** Runs body on the vector path (Spark's internal rows) and on the generic one. */
  static <T> List<T> bothPaths(java.util.function.Supplier<T> body) {
    List<T> out = new ArrayList<>();
    out.add(body.get());
    PalSpark.internalRowScoring = false;
    try {
      out.add(body.get());
    } finally {
      PalSpark.internalRowScoring = true;
    }
    return out;
  }

  static float[] vec(int seed) {
    java.util.Random r = new java.util.Random(seed);
    float[] v = new float[16];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    return v;
  }

  static Object typed(float[] v, DataType type) {
    DataType e = ((org.apache.spark.sql.types.ArrayType) type).elementType();
    Object[] boxed = new Object[v.length];
    for (int i = 0; i < v.length; i++) boxed[i] = e == DataTypes.DoubleType ? (Object) (double) v[i] : e == DataTypes.IntegerType ? (Object) Math.round(v[i]) : (Object) v[i];
    return boxed;
  }

  static float[] asRead(float[] v, DataType type) {
    if (((org.apache.spark.sql.types.ArrayType) type).elementType() != DataTypes.IntegerType) return v;
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) out[i] = Math.round(v[i]);
    return out;
  }

  @Test
  void columnsAreCheckedBeforeAnyJobEachRefusalNamingTheColumnValueAndFix() {
    PalSpark pal = PalSpark.on(spark);
    Function<StructType, Dataset<Row>> empty = s -> spark.createDataFrame(List.of(), s);
    StructType text = new StructType().add("prompt", DataTypes.StringType).add("response", DataTypes.StringType);
    assertThatThrownBy(() -> pal.score(empty.apply(text), model)).isInstanceOf(PalException.class)
        .hasMessage("input columns = [prompt, response]: rows to score need 'user_id' or 'weights'");
    assertThatThrownBy(() -> pal.score(empty.apply(new StructType().add("user_id", DataTypes.StringType).add("prompt", DataTypes.StringType)
        .add("response", DataTypes.BinaryType)), model)).hasMessage("score columns = binary: give image:PATH text or vectors");
    assertThatThrownBy(() -> pal.score(empty.apply(new StructType().add("user_id", DataTypes.StringType).add("prompt", DataTypes.BinaryType)
        .add("response", DataTypes.StringType)), model)).hasMessage("score columns = binary: give image:PATH text or vectors");
    assertThatThrownBy(() -> pal.score(empty.apply(new StructType().add("reward", DataTypes.DoubleType).add("user_id", DataTypes.StringType)
        .add("prompt", DataTypes.StringType).add("response", DataTypes.StringType)), model))
        .hasMessage("input column = reward: would be overwritten; rename it");
    assertThatThrownBy(() -> pal.score(empty.apply(new StructType().add("user_id", DataTypes.StringType).add("response", DataTypes.StringType)), model))
        .hasMessage("score (the model conditions on prompts) column = prompt: is not a column of the input; columns: [user_id, response]");
    assertThatThrownBy(() -> pal.score(empty.apply(new StructType().add("user_id", DataTypes.StringType).add("prompt", DataTypes.StringType)
        .add("response", DataTypes.BooleanType)), model)).hasMessageStartingWith("score column response type = boolean: give text (string: text, image:PATH");
    for (DataType bad : new DataType[] {DataTypes.IntegerType, array(DataTypes.StringType, true)}) {
      assertThatThrownBy(() -> pal.score(empty.apply(new StructType().add("weights", bad).add("prompt", DataTypes.StringType)
          .add("response", DataTypes.StringType)), model))
          .hasMessage("weights column type = " + bad.simpleString() + ": give an array of numbers or text (a JSON array or comma-separated)");
    }
    // accepted: user_id or weights alone, in the first column; the reward is appended
    for (StructType ok : new StructType[] {new StructType().add("user_id", DataTypes.StringType).add("prompt", DataTypes.StringType).add("response", DataTypes.StringType),
        new StructType().add("weights", DataTypes.StringType).add("prompt", DataTypes.StringType).add("response", DataTypes.StringType),
        new StructType().add("weights", array(DataTypes.DoubleType, false)).add("prompt", array(DataTypes.FloatType, false)).add("response", array(DataTypes.FloatType, false)),
        new StructType().add("user_id", DataTypes.StringType).add("prompt", array(DataTypes.FloatType, false)).add("response", array(DataTypes.FloatType, false))}) {
      assertThat(pal.score(empty.apply(ok), model).schema().fieldNames()).containsExactly(ok.add("reward", DataTypes.DoubleType).fieldNames());
    }
  }

  /** Weights forms: text (JSON or comma-separated), arrays of double, float or int, with or without null elements allowed. */
  @Test
  void explicitWeightsInEveryFormGiveTheApisRewardsForThoseWeights() {
    double[][] w = {{0.25, 0.75}, {1, 0}, {0.5, 0.5}, {0.375, 0.625}};
    String[] asText = {"[0.25, 0.75]", " 1,0 ", "[0.5,0.5]", "0.375, 0.625"};
    DataType[] types = {DataTypes.StringType, array(DataTypes.DoubleType, false), array(DataTypes.DoubleType, true), array(DataTypes.FloatType, false),
        array(DataTypes.FloatType, true), array(DataTypes.IntegerType, false)};
    for (boolean vectors : new boolean[] {true, false}) {
      for (DataType t : types) {
        boolean ints = t instanceof org.apache.spark.sql.types.ArrayType a && a.elementType() == DataTypes.IntegerType;
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("weights", t)
            .add("prompt", vectors ? array(DataTypes.FloatType, false) : DataTypes.StringType)
            .add("response", vectors ? array(DataTypes.FloatType, false) : DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        double[][] used = new double[w.length][];
        for (int i = 0; i < w.length; i++) {
          used[i] = ints ? new double[] {i % 2, 1 - i % 2} : w[i];
          Object wv = t == DataTypes.StringType ? asText[i] : typed(new float[] {(float) used[i][0], (float) used[i][1]}, t);
          rows.add(RowFactory.create(i, wv, vectors ? vec(2 * i) : SparkTests.PROMPTS[i % 3], vectors ? vec(2 * i + 1) : SparkTests.CATS[i]));
        }
        List<Row> out = PalSpark.on(spark).score(frame(rows, schema, 2), model).orderBy("id").collectAsList();
        assertThat(out).hasSize(w.length);
        for (int i = 0; i < w.length; i++) {
          double expected = vectors ? local.rewards(new double[][] {used[i]}, new float[][] {vec(2 * i)}, new float[][] {vec(2 * i + 1)})[0]
              : local.rewards(User.weights(used[i]), Input.text(SparkTests.PROMPTS[i % 3]), Input.text(SparkTests.CATS[i]))[0];
          assertThat(reward(out.get(i))).as("%s weights, %s, row %d", t.simpleString(), vectors ? "vectors" : "text", i).isCloseTo(expected, within(1e-5));
        }
      }
    }
  }

  @Test
  void weightsThatAreNotNumbersOrOfTheWrongCountAreNamedOnBothPaths() {
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("weights", DataTypes.StringType)
        .add("prompt", array(DataTypes.FloatType, false)).add("response", array(DataTypes.FloatType, false));
    List<Row> rows = List.of(RowFactory.create(0, "[0.5, 0.5]", vec(0), vec(1)), RowFactory.create(1, "[0.5, half]", vec(2), vec(3)),
        RowFactory.create(2, "0.2, 0.3, 0.5", vec(4), vec(5)), RowFactory.create(3, "0.5,0.5", vec(6), vec(7)));
    for (List<String> problems : bothPaths(() -> {
      PalSpark skip = PalSpark.on(spark).skipInvalid(true);
      assertThat(skip.score(frame(rows, schema, 1), model).collectAsList()).hasSize(2);
      assertThat(skip.skippedRows()).isEqualTo(2);
      return skip.problems();
    })) {
      assertThat(problems).containsExactly("partition 0 row 2: weights[1] = half: weights are numbers: an array, a JSON array or comma-separated",
          "partition 0 row 3: weights = 3 values: the model has K = 2 prototypes; give 2 weights");
    }
    StructType arrays = new StructType().add("weights", array(DataTypes.DoubleType, true)).add("prompt", array(DataTypes.FloatType, false))
        .add("response", array(DataTypes.FloatType, false));
    List<Row> nulls = List.of(RowFactory.create(new Object[] {0.5, null}, vec(0), vec(1)), RowFactory.create(null, vec(2), vec(3)));
    for (List<String> problems : bothPaths(() -> {
      PalSpark skip = PalSpark.on(spark).skipInvalid(true);
      assertThat(skip.score(frame(nulls, arrays, 1), model).collectAsList()).isEmpty();
      return skip.problems();
    })) {
      // no user_id column: a row without weights has nothing to score with
      assertThat(problems).containsExactly("partition 0 row 1: weights[1] = null: weights are numbers", "partition 0 row 2: weights = missing: every row needs weights");
    }
  }

  /** Vectors of float, double or int elements, with or without null elements allowed, in any column position. */
  @Test
  void vectorsOfEveryNumberTypeGiveTheApisRewardsOnBothPaths() {
    DataType[][] pairs = {{array(DataTypes.DoubleType, false), array(DataTypes.DoubleType, true)}, {array(DataTypes.IntegerType, true), array(DataTypes.FloatType, true)},
        {array(DataTypes.FloatType, false), array(DataTypes.IntegerType, false)}};
    String user = local.users().get(3);
    for (DataType[] pr : pairs) {
      // the prompt first, the user last: no column is where the usual order puts it
      StructType schema = new StructType().add("prompt", pr[0]).add("response", pr[1]).add("id", DataTypes.IntegerType).add("user_id", DataTypes.StringType);
      List<Row> rows = new ArrayList<>();
      for (int i = 0; i < 6; i++) rows.add(RowFactory.create(typed(vec(10 * i), pr[0]), typed(vec(10 * i + 1), pr[1]), i, user));
      for (List<Row> out : bothPaths(() -> PalSpark.on(spark).score(frame(rows, schema, 2), model).orderBy("id").collectAsList())) {
        assertThat(out).hasSize(6);
        for (int i = 0; i < 6; i++) {
          double expected = local.rewards(new double[][] {local.weights(User.id(user))}, new float[][] {asRead(vec(10 * i), pr[0])},
              new float[][] {asRead(vec(10 * i + 1), pr[1])})[0];
          assertThat(reward(out.get(i))).as("%s / %s row %d", pr[0].simpleString(), pr[1].simpleString(), i).isCloseTo(expected, within(1e-5));
        }
      }
    }
  }

  @Test
  void aMissingNullOrNonFiniteVectorElementIsNamedOnBothPaths() {
    StructType schema = new StructType().add("id", DataTypes.LongType).add("user_id", DataTypes.StringType)
        .add("prompt", array(DataTypes.FloatType, true)).add("response", array(DataTypes.DoubleType, true));
    String user = local.users().get(0);
    Object[] good = typed(vec(1), array(DataTypes.DoubleType, true)) instanceof Object[] o ? o : null;
    Object[] nullAt1 = good.clone(), nan = good.clone();
    nullAt1[1] = null;
    nan[2] = Double.NaN;
    Object[] prompt = typed(vec(2), array(DataTypes.FloatType, true)) instanceof Object[] o ? o : null;
    Object[] inf = prompt.clone(), nullPrompt = prompt.clone();
    inf[0] = Float.POSITIVE_INFINITY;
    nullPrompt[15] = null;
    List<Row> rows = List.of(RowFactory.create(0L, user, prompt, good), RowFactory.create(1L, user, prompt, nullAt1), RowFactory.create(2L, user, prompt, nan),
        RowFactory.create(3L, user, inf, good), RowFactory.create(4L, user, nullPrompt, good), RowFactory.create(5L, user, prompt, null),
        RowFactory.create(6L, user, prompt, good));
    for (PalSpark skip : bothPaths(() -> {
      PalSpark s = PalSpark.on(spark).skipInvalid(true);
      List<Row> out = s.score(frame(rows, schema, 1), model).collectAsList();
      assertThat(out).extracting(r -> r.getLong(0)).containsExactly(0L, 6L);
      assertThat(reward(out.get(0))).isCloseTo(local.rewards(new double[][] {local.weights(User.id(user))}, new float[][] {vec(2)}, new float[][] {vec(1)})[0], within(1e-5));
      return s;
    })) {
      assertThat(skip.skippedRows()).isEqualTo(5);
      assertThat(skip.problems()).containsExactly("partition 0 row 2: response[1] = null: vectors hold numbers",
          "partition 0 row 3: response[2] = NaN: vectors must be finite", "partition 0 row 4: prompt[0] = Infinity: vectors must be finite",
          "partition 0 row 5: prompt[15] = null: vectors hold numbers", "partition 0 row 6: response = missing: every row needs response");
    }
  }

  @Test
  void userIdsAreRequiredAndUnknownOnesScoreZeroShotOnlyWhenAsked() {
    StructType schema = new StructType().add("user_id", DataTypes.StringType).add("prompt", array(DataTypes.FloatType, false))
        .add("response", array(DataTypes.FloatType, false)).add("id", DataTypes.IntegerType);
    String known = local.users().get(5);
    List<Row> rows = List.of(RowFactory.create(known, vec(0), vec(1), 0), RowFactory.create(null, vec(2), vec(3), 1), RowFactory.create("", vec(4), vec(5), 2),
        RowFactory.create("nobody", vec(6), vec(7), 3), RowFactory.create(known, vec(8), vec(9), 4), RowFactory.create("nobody", vec(10), vec(11), 5));
    for (PalSpark skip : bothPaths(() -> {
      PalSpark s = PalSpark.on(spark).skipInvalid(true).idColumn("id");
      assertThat(s.score(frame(rows, schema, 1), model).collectAsList()).extracting(r -> r.getInt(3)).containsExactly(0, 4);
      return s;
    })) {
      assertThat(skip.problems()).containsExactly("partition 0 row 2 (id 1): user_id = missing: every row needs user_id",
          "partition 0 row 3 (id 2): user_id = \"\": every row needs user_id",
          "partition 0 row 4 (id 3): user = nobody: is not a user of this model (" + local.users().size() + " users); enrol them first, pass explicit weights, or ask for zero-shot weights",
          "partition 0 row 6 (id 5): user = nobody: is not a user of this model (" + local.users().size() + " users); enrol them first, pass explicit weights, or ask for zero-shot weights");
    }
    List<Row> known2 = List.of(rows.get(0), rows.get(3), rows.get(4), rows.get(5));
    for (List<Row> out : bothPaths(() -> PalSpark.on(spark).zeroShotUnknown(true).score(frame(known2, schema, 1), model).collectAsList())) {
      assertThat(out).hasSize(4);
      for (int i = 0; i < 4; i++) {
        int seed = 2 * out.get(i).getInt(3);
        double[] w = out.get(i).getString(0).equals(known) ? local.weights(User.id(known)) : local.zeroShotWeights();
        assertThat(reward(out.get(i))).isCloseTo(local.rewards(new double[][] {w}, new float[][] {vec(seed)}, new float[][] {vec(seed + 1)})[0], within(1e-5));
      }
      assertThat(reward(out.get(1))).isNotEqualTo(reward(out.get(0)));
    }
  }

  /** A user id column of numbers names users by their text, as the API's ids. */
  @Test
  void numericUserIdsAreTheirText(@TempDir Path dir) {
    List<org.pal.api.Comparison> cs = new ArrayList<>();
    for (int i = 0; i < 8; i++) cs.add(org.pal.api.Comparison.of("42", SparkTests.PROMPTS[i % 3], SparkTests.CATS[i % 6], SparkTests.DOGS[i % 6]));
    Path withNumbers = dir.resolve("numbers");
    try (RewardModel m = local.enrol(cs).model()) {
      m.save(withNumbers);
    }
    try (RewardModel m = PalApi.create().load(withNumbers)) {
      StructType schema = new StructType().add("user_id", DataTypes.IntegerType).add("prompt", array(DataTypes.FloatType, false))
          .add("response", array(DataTypes.FloatType, false));
      List<Row> out = PalSpark.on(spark).score(frame(List.of(RowFactory.create(42, vec(0), vec(1))), schema, 1), withNumbers).collectAsList();
      assertThat(reward(out.get(0))).isCloseTo(m.rewards(new double[][] {m.weights(User.id("42"))}, new float[][] {vec(0)}, new float[][] {vec(1)})[0], within(1e-5));
      assertThat(m.weights(User.id("42"))).isNotEqualTo(m.zeroShotWeights());
    }
  }

  /** A row whose value passes its checks but breaks the model's call (an image that does not decode) is found row by row. */
  @Test
  void aRowThatBreaksTheBatchIsFoundAndNamedOrSkippedAndTheOthersScored(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("good.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 1, 2});
    Files.write(dir.resolve("bad.png"), "GIF89a, not a PNG".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("user_id", DataTypes.StringType).add("prompt", DataTypes.StringType)
        .add("response", DataTypes.StringType);
    String user = local.users().get(1);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) rows.add(RowFactory.create(i, user, SparkTests.PROMPTS[i % 3], i == 5 ? "image:bad.png" : i == 7 ? "image:good.png" : SparkTests.DOGS[i % 6]));
    Dataset<Row> in = frame(rows, schema, 1);
    assertThatThrownBy(() -> PalSpark.on(spark).dataRoot(dir).idColumn("id").batchSize(4).score(in, model).collectAsList())
        .hasStackTraceContaining("partition 0 row 6 (id 5): image = bad.png: does not decode as PNG");
    for (int batch : new int[] {4, 1}) {
      PalSpark skip = PalSpark.on(spark).dataRoot(dir).skipInvalid(true).batchSize(batch);
      List<Row> out = skip.score(in, model).collectAsList();
      assertThat(out).extracting(r -> r.getInt(0)).as("batch %d", batch).containsExactly(0, 1, 2, 3, 4, 6, 7, 8, 9);
      for (Row r : out) {
        int i = r.getInt(0);
        Input response = i == 7 ? Input.image(dir.resolve("good.png")) : Input.text(SparkTests.DOGS[i % 6]);
        assertThat(reward(r)).as("batch %d row %d", batch, i).isCloseTo(local.rewards(User.id(user), Input.text(SparkTests.PROMPTS[i % 3]), response)[0], within(1e-5));
      }
      assertThat(skip.skippedRows()).isEqualTo(1);
      assertThat(skip.problems()).containsExactly("partition 0 row 6: image = bad.png: does not decode as PNG");
    }
  }
}
