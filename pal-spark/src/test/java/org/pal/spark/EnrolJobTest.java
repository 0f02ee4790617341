package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.Comparison;
import org.pal.api.Enrolment;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;

/** enrol: each user's weights, count and accuracy equal the API's enrolment of that user's comparisons; merging gives an archive with them. */
class EnrolJobTest {
  static SparkSession spark;
  static Path model;
  static RewardModel local;
  static final StructType SCHEMA = new StructType().add("user_id", DataTypes.StringType).add("prompt", DataTypes.StringType)
      .add("left", DataTypes.StringType).add("right", DataTypes.StringType).add("label", DataTypes.IntegerType);

  @BeforeAll
  static void setUp() throws Exception {
    spark = SparkTests.spark();
    model = SparkTests.model();
    local = SparkTests.local();
  }

  /** New users n0..n5: even ones like cats; 12 comparisons each (the last 2 or 3 validate), interleaved across users. */
  static List<Row> comparisons() {
    Random r = new Random(11);
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < 12; c++) {
      for (int u = 0; u < 6; u++) {
        String cat = SparkTests.CATS[r.nextInt(6)], dog = SparkTests.DOGS[r.nextInt(6)];
        boolean catLeft = r.nextBoolean();
        boolean noisy = r.nextInt(6) == 0;
        int label = ((catLeft == (u % 2 == 0)) != noisy) ? 1 : -1;
        rows.add(RowFactory.create("n" + u, SparkTests.PROMPTS[r.nextInt(3)], catLeft ? cat : dog, catLeft ? dog : cat, label));
      }
    }
    return rows;
  }

  static Dataset<Row> frame(List<Row> rows, int partitions) {
    return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions), SCHEMA);
  }

  static Map<String, List<Comparison>> byUser(List<Row> rows) {
    Map<String, List<Comparison>> m = new LinkedHashMap<>();
    for (Row r : rows) {
      boolean leftWins = r.getInt(4) == 1;
      m.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(Comparison.of(r.getString(0), r.getString(1),
          leftWins ? r.getString(2) : r.getString(3), leftWins ? r.getString(3) : r.getString(2)));
    }
    return m;
  }

  @Test
  void eachUsersFitEqualsTheApisEnrolmentOfTheirComparisons(@TempDir Path dir) {
    List<Row> rows = comparisons();
    PalSpark pal = PalSpark.on(spark);
    Dataset<Row> users = pal.enrol(frame(rows, 3), model, false).cache();
    Map<String, Row> got = new LinkedHashMap<>();
    for (Row r : users.collectAsList()) got.put(r.getString(0), r);
    assertThat(got).hasSize(6);
    for (Map.Entry<String, List<Comparison>> e : byUser(rows).entrySet()) {
      Enrolment one = local.enrol(e.getValue());
      Enrolment.EnrolledUser expected = one.user(e.getKey());
      Row r = got.get(e.getKey());
      List<Double> w = r.getList(1);
      for (int j = 0; j < w.size(); j++) assertThat(w.get(j)).as("%s weight %d", e.getKey(), j).isCloseTo(expected.weights()[j], within(1e-9));
      assertThat(r.getInt(3)).isEqualTo(12).isEqualTo(expected.comparisons());
      assertThat(r.getDouble(4)).isEqualTo(expected.validationAccuracy());
      one.model().close();
    }
    // the fits moved away from the uniform start, and not alike: the comparison above is between real fits
    assertThat(got.values()).allSatisfy(r -> assertThat((Double) r.getList(1).get(0)).isNotCloseTo(0.5, within(0.01)));
    assertThat(got.values().stream().map(r -> Math.round((Double) r.getList(1).get(0) * 1000)).distinct().count()).isGreaterThan(1);

    Path merged = dir.resolve("merged");
    pal.mergeEnrolled(users, model, merged, false);
    try (RewardModel m = PalApi.create().load(merged)) {
      assertThat(m.users()).hasSize(local.users().size() + 6).containsAll(local.users());
      for (Row r : got.values()) {
        double[] w = m.weights(User.id(r.getString(0)));
        List<Double> expected = r.getList(1);
        for (int j = 0; j < w.length; j++) assertThat(w[j]).isCloseTo(expected.get(j), within(1e-6));
      }
      assertThat(m.weights(User.id(local.users().get(2)))).containsExactly(local.weights(User.id(local.users().get(2))));
    }
  }

  @Test
  void aCorruptLabelFailsNamingTheRowOrIsSkippedAndTheUserFitsOnTheRest() {
    List<Row> rows = comparisons();
    Row bad = rows.get(8); // user n2's second comparison, row 9 of partition 0
    rows.set(8, RowFactory.create(bad.getString(0), bad.getString(1), bad.getString(2), bad.getString(3), 2));
    assertThatThrownBy(() -> PalSpark.on(spark).enrol(frame(rows, 1), model, false).collectAsList())
        .hasStackTraceContaining("partition 0 row 9: column label = 2");
    PalSpark skip = PalSpark.on(spark).skipInvalid(true);
    Map<String, Row> got = new LinkedHashMap<>();
    for (Row r : skip.enrol(frame(rows, 1), model, false).collectAsList()) got.put(r.getString(0), r);
    assertThat(skip.skippedRows()).isEqualTo(1);
    assertThat(got.get("n2").getInt(3)).isEqualTo(11);
    List<Row> rest = new ArrayList<>(rows);
    rest.remove(8);
    Enrolment.EnrolledUser expected = local.enrol(byUser(rest).get("n2")).user("n2");
    assertThat((Double) got.get("n2").getList(1).get(0)).isCloseTo(expected.weights()[0], within(1e-9));
  }

  @Test
  void existingUsersAreRefusedUnlessUpdating() {
    String known = local.users().get(0);
    List<Row> rows = List.of(RowFactory.create(known, "describe a pet", SparkTests.CATS[0], SparkTests.DOGS[0], 1));
    assertThatThrownBy(() -> PalSpark.on(spark).enrol(frame(rows, 1), model, false).collectAsList())
        .hasStackTraceContaining("user " + known + " (1 rows)").hasStackTraceContaining("is already a user of this model");
    assertThat(PalSpark.on(spark).enrol(frame(rows, 1), model, true).collectAsList()).singleElement()
        .satisfies(r -> assertThat(r.getString(0)).isEqualTo(known));
  }
}
