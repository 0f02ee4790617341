package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.Comparison;
import org.pal.api.Enrolment;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;

/**
 * enrol's and mergeEnrolled's inputs in every form they accept, each refusal once with its message;
 * fits equal the API's enrolment of the same rows in input order; a merged archive records whom it added.
 */
class EnrolRowsTest {
  static SparkSession spark;
  static Path model;
  static RewardModel local;
  static Path noPrompts;

  @BeforeAll
  static void setUp() throws Exception {
    spark = SparkTests.spark();
    model = SparkTests.model();
    local = SparkTests.local();
  }

  /** A small PAL-A trained without prompts (records with no prompt column). */
  static synchronized Path noPromptModel() throws Exception {
    if (noPrompts == null) {
      Path dir = Files.createTempDirectory("pal-spark-noprompt-");
      List<String> lines = new ArrayList<>();
      Random r = new Random(2);
      for (int u = 0; u < 10; u++) {
        for (int p = 0; p < 8; p++) {
          boolean catLeft = r.nextBoolean();
          lines.add("{\"user_id\": \"p" + u + "\", \"left\": \"" + (catLeft ? SparkTests.CATS[p % 6] : SparkTests.DOGS[p % 6]) + "\", \"right\": \""
              + (catLeft ? SparkTests.DOGS[p % 6] : SparkTests.CATS[p % 6]) + "\", \"label\": " + ((catLeft == (u < 5)) ? 1 : -1) + "}");
        }
      }
      Files.write(dir.resolve("records.jsonl"), lines);
      PalApi pal = PalApi.create();
      var data = pal.dataset(Json.parse("{\"type\": \"records\", \"path\": \"" + dir.resolve("records.jsonl") + "\", \"encoder\": " + SparkTests.ENCODER + "}"), 0);
      try (RewardModel m = pal.train(PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 2, \"dim\": 4}, \"trainer\": {\"epochs\": 2}}"), data).model()) {
        noPrompts = dir.resolve("model");
        m.save(noPrompts);
      }
    }
    return noPrompts;
  }

  static Dataset<Row> frame(List<Row> rows, StructType schema, int partitions) {
    return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions), schema);
  }

  static StructType strings(String... names) {
    StructType s = new StructType();
    for (String n : names) s = s.add(n, n.equals("label") ? DataTypes.IntegerType : DataTypes.StringType);
    return s;
  }

  @Test
  void columnsAreCheckedBeforeAnyJobEachRefusalNamingTheColumnAndTheFix() throws Exception {
    PalSpark pal = PalSpark.on(spark);
    Function<StructType, Dataset<Row>> empty = s -> spark.createDataFrame(List.of(), s);
    assertThatThrownBy(() -> pal.enrol(empty.apply(strings("prompt", "left", "right", "label")), model, false)).isInstanceOf(PalException.class)
        .hasMessage("enrol column = user_id: is not a column of the input; columns: [prompt, left, right, label]");
    assertThatThrownBy(() -> pal.enrol(empty.apply(strings("user_id", "prompt", "left", "right")), model, false))
        .hasMessage("enrol column = label: is not a column of the input; columns: [user_id, prompt, left, right]");
    // a rejected column alone (first) still means the chosen/rejected form
    assertThatThrownBy(() -> pal.enrol(empty.apply(strings("rejected", "user_id", "prompt")), model, false))
        .hasMessage("enrol column = chosen: is not a column of the input; columns: [rejected, user_id, prompt]");
    assertThatThrownBy(() -> pal.enrol(empty.apply(strings("user_id", "left", "right", "label")), model, false))
        .hasMessage("enrol columns = [user_id, left, right, label]: this model conditions on prompts: add a 'prompt' column");
    assertThatThrownBy(() -> pal.enrol(empty.apply(strings("user_id", "prompt", "left", "right", "label")), noPromptModel(), false))
        .hasMessage("enrol column = prompt: this model was trained without prompts; drop the column");
    assertThatThrownBy(() -> pal.enrol(empty.apply(strings("user_id", "prompt", "left", "label").add("right", DataTypes.BinaryType)), model, false))
        .hasMessage("enrol columns = binary: give image:PATH text or vectors");
    // accepted: either form, with any column first
    for (StructType ok : new StructType[] {strings("chosen", "rejected", "user_id", "prompt"), strings("rejected", "chosen", "prompt", "user_id"),
        strings("prompt", "user_id", "left", "right", "label")}) {
      assertThat(pal.enrol(empty.apply(ok), model, false).schema()).isEqualTo(PalSpark.ENROLLED);
    }
    assertThat(pal.enrol(empty.apply(strings("left", "right", "label", "user_id")), noPromptModel(), false).schema()).isEqualTo(PalSpark.ENROLLED);
  }

  @Test
  void aBadValueIsNamedByItsFieldInEitherFormAndAUserWithoutAValidRowIsLeftOut() {
    StructType chosen = new StructType().add("id", DataTypes.IntegerType).add("user_id", DataTypes.StringType).add("prompt", DataTypes.StringType)
        .add("chosen", DataTypes.StringType).add("rejected", DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    List<Comparison> good = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String p = SparkTests.PROMPTS[i % 3], c = SparkTests.CATS[i % 6], d = SparkTests.DOGS[(i + 1) % 6];
      rows.add(RowFactory.create(i, "c1", p, c, d));
      good.add(Comparison.of("c1", p, c, d));
    }
    rows.add(RowFactory.create(8, "c1", "describe a pet", null, SparkTests.DOGS[0]));
    rows.add(RowFactory.create(9, "c1", "describe a pet", SparkTests.CATS[0], ""));
    rows.add(RowFactory.create(10, "c1", null, SparkTests.CATS[0], SparkTests.DOGS[0]));
    rows.add(RowFactory.create(11, "solo", "describe a pet", null, SparkTests.DOGS[1]));
    PalSpark skip = PalSpark.on(spark).skipInvalid(true).idColumn("id");
    List<Row> out = skip.enrol(frame(rows, chosen, 1), model, false).collectAsList();
    assertThat(out).extracting(r -> r.getString(0)).containsExactly("c1");
    Enrolment.EnrolledUser expected = local.enrol(good).user("c1");
    assertThat((Double) out.get(0).getList(1).get(0)).isCloseTo(expected.weights()[0], within(1e-9));
    assertThat(out.get(0).getInt(3)).isEqualTo(8);
    assertThat(skip.problems()).containsExactlyInAnyOrder("partition 0 row 9 (id 8): chosen = missing: every row needs chosen",
        "partition 0 row 10 (id 9): rejected = \"\": every row needs rejected", "partition 0 row 11 (id 10): prompt = missing: every row needs prompt",
        "partition 0 row 12 (id 11): chosen = missing: every row needs chosen");

    StructType leftRight = strings("user_id", "prompt", "left", "right", "label");
    List<Row> lr = List.of(RowFactory.create("d1", "describe a pet", null, "x", 1), RowFactory.create("d1", "describe a pet", "x", null, 1));
    PalSpark skip2 = PalSpark.on(spark).skipInvalid(true);
    assertThat(skip2.enrol(frame(lr, leftRight, 1), model, false).collectAsList()).isEmpty();
    assertThat(skip2.problems()).containsExactly("partition 0 row 1: left = missing: every row needs left", "partition 0 row 2: right = missing: every row needs right");
  }

  @Test
  void aUserTheModelRefusesIsSkippedWithAllTheirRows() {
    String known = local.users().get(2);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 3; i++) rows.add(RowFactory.create(known, SparkTests.PROMPTS[i], SparkTests.CATS[i], SparkTests.DOGS[i], 1));
    PalSpark skip = PalSpark.on(spark).skipInvalid(true);
    assertThat(skip.enrol(frame(rows, strings("user_id", "prompt", "left", "right", "label"), 1), model, false).collectAsList()).isEmpty();
    assertThat(skip.skippedRows()).isEqualTo(3);
    assertThat(skip.problems()).singleElement().asString().startsWith("user " + known + " (3 rows): comparisons[0].user = " + known + ": is already a user of this model");
  }

  /** Vector comparisons with a text prompt: the vectors as they are, the prompt through the recorded encoder. */
  @Test
  void vectorValuesWithATextPromptFitAsTheApiFitsThem() {
    StructType schema = new StructType().add("user_id", DataTypes.StringType).add("prompt", DataTypes.StringType)
        .add("left", DataTypes.createArrayType(DataTypes.FloatType, false)).add("right", DataTypes.createArrayType(DataTypes.FloatType, false))
        .add("label", DataTypes.IntegerType);
    List<Row> rows = new ArrayList<>();
    List<Comparison> cs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      float[] a = ScoreRowsTest.vec(100 + i), b = ScoreRowsTest.vec(200 + i);
      int label = a[0] > b[0] ? 1 : -1;
      rows.add(RowFactory.create("v1", SparkTests.PROMPTS[i % 3], a, b, label));
      cs.add(new Comparison("v1", Input.text(SparkTests.PROMPTS[i % 3]), Input.vector(label == 1 ? a : b), Input.vector(label == 1 ? b : a)));
    }
    List<Row> out = PalSpark.on(spark).enrol(frame(rows, schema, 2), model, false).collectAsList();
    Enrolment.EnrolledUser expected = local.enrol(cs).user("v1");
    assertThat(out).singleElement().satisfies(r -> {
      assertThat((Double) r.getList(1).get(0)).isCloseTo(expected.weights()[0], within(1e-9)).isNotCloseTo(0.5, within(1e-3));
      assertThat(r.getDouble(4)).isEqualTo(expected.validationAccuracy());
    });
  }

  /** However a user's rows arrive at the task, they are fitted in input order (the last share validates). */
  @Test
  void aUsersRowsAreFittedInInputOrderWhateverOrderTheyArriveIn() {
    Random r = new Random(8);
    List<Row> rows = new ArrayList<>();
    List<Comparison> inOrder = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String p = SparkTests.PROMPTS[r.nextInt(3)], c = SparkTests.CATS[r.nextInt(6)], d = SparkTests.DOGS[r.nextInt(6)];
      boolean catWins = i < 8; // the held-out last rows disagree with the first ones
      rows.add(RowFactory.create("o1", p, c, d, catWins ? 1 : -1, (long) i));
      inOrder.add(Comparison.of("o1", p, catWins ? c : d, catWins ? d : c));
    }
    List<Row> arrival = new ArrayList<>(rows);
    Collections.reverse(arrival);
    List<Comparison> reversed = new ArrayList<>(inOrder);
    Collections.reverse(reversed);
    BadRows fail = new BadRows(false, new LongAccumulator(), new CollectionAccumulator<>());
    PalSpark.EnrolTask task = new PalSpark.EnrolTask(JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(ModelShipment.read(model)),
        false, false, false, 0, 1, Cells.Kind.TEXT, 2, Cells.Kind.TEXT, 3, Cells.Kind.TEXT, 4, 5, Path.of("").toAbsolutePath().toString(), fail, -1);
    Row got = task.call("o1", arrival.iterator()).next();
    Enrolment.EnrolledUser expected = local.enrol(inOrder).user("o1"), other = local.enrol(reversed).user("o1");
    assertThat(expected.validationAccuracy()).as("the order matters here").isNotEqualTo(other.validationAccuracy());
    assertThat(got.getDouble(4)).isEqualTo(expected.validationAccuracy());
    assertThat(((double[]) got.get(1))[0]).isCloseTo(expected.weights()[0], within(1e-9));
  }

  static Dataset<Row> enrolled(Map<String, double[]> logits) {
    StructType schema = new StructType().add("user_id", DataTypes.StringType).add("logits", DataTypes.createArrayType(DataTypes.DoubleType, false));
    List<Row> rows = new ArrayList<>();
    logits.forEach((u, l) -> rows.add(RowFactory.create(u, l)));
    return frame(rows, schema, 2);
  }

  static double[] logitsOf(RewardModel m, String user) {
    var e = m.engine();
    int row = e.userIds().indexOf(user);
    double[] l = new double[e.k()];
    for (int j = 0; j < l.length; j++) l[j] = e.users().value().get(row * e.k() + j);
    return l;
  }

  @Test
  void mergingAddsTheUsersLogitsAndRecordsWhomItAddedKeepingTheBasesProvenance(@TempDir Path dir) {
    Path base = dir.resolve("base");
    ModelArchive.save(local.engine(), base, new ModelArchive.Provenance(77, "hash-of-data", ModelArchive.VERSION, "2026-01-01T00:00:00Z", Map.of("note", "kept")),
        local.inputs(), local.dataset());
    String a = local.users().get(0), b = local.users().get(1);
    Map<String, double[]> users = new LinkedHashMap<>();
    users.put("copy-a", logitsOf(local, a));
    users.put("copy-b", logitsOf(local, b));
    PalSpark pal = PalSpark.on(spark);
    pal.mergeEnrolled(enrolled(users), base, dir.resolve("merged"), false);
    try (RewardModel m = PalApi.create().load(dir.resolve("merged"), PalApi.LoadOptions.vectors())) {
      assertThat(m.weights(User.id("copy-a"))).containsExactly(local.weights(User.id(a)), within(1e-6));
      assertThat(m.weights(User.id("copy-b"))).containsExactly(local.weights(User.id(b)), within(1e-6));
      assertThat(m.users()).hasSize(local.users().size() + 2);
      ModelArchive.Provenance p = m.provenance();
      assertThat(p.seed()).isEqualTo(77);
      assertThat(p.dataHash()).isEqualTo("hash-of-data");
      assertThat(p.extra()).containsEntry("note", "kept").containsEntry("enrolledUsers", List.of("copy-a", "copy-b"));
    }

    // a base without provenance: the config's seed, no data hash, only the added users
    Path bare = dir.resolve("bare");
    ModelArchive.save(local.engine(), bare, null, local.inputs(), local.dataset());
    pal.mergeEnrolled(enrolled(Map.of("copy-a", logitsOf(local, a))), bare, dir.resolve("merged-bare"), false);
    try (RewardModel m = PalApi.create().load(dir.resolve("merged-bare"), PalApi.LoadOptions.vectors())) {
      assertThat(m.provenance().seed()).isEqualTo(local.engine().config().trainer().seed());
      assertThat(m.provenance().dataHash()).isNull();
      assertThat(m.provenance().extra()).containsExactly(Map.entry("enrolledUsers", List.of("copy-a")));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void aThousandAddedUsersAreListedMoreAreCounted(@TempDir Path dir) {
    for (int n : new int[] {1000, 1001}) {
      Map<String, double[]> users = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) users.put("bulk-" + i, new double[] {i % 7 * 0.1, -0.2});
      Path out = dir.resolve("merged-" + n);
      PalSpark.on(spark).mergeEnrolled(enrolled(users), model, out, false);
      try (RewardModel m = PalApi.create().load(out, PalApi.LoadOptions.vectors())) {
        assertThat(m.users()).hasSize(local.users().size() + n);
        Object listed = m.provenance().extra().get("enrolledUsers");
        if (n == 1000) assertThat((List<Object>) listed).hasSize(1000).startsWith("bulk-0").endsWith("bulk-999");
        else assertThat(listed).isEqualTo("1001 users (pal-spark)");
      }
    }
  }

  @Test
  void mergeRefusalsAndRefittingExistingUsers(@TempDir Path dir) {
    PalSpark pal = PalSpark.on(spark);
    assertThatThrownBy(() -> pal.mergeEnrolled(enrolled(Map.of()), model, dir.resolve("none"), false)).isInstanceOf(PalException.class)
        .hasMessage("enrolled = no users: nothing to merge");
    assertThatThrownBy(() -> pal.mergeEnrolled(enrolled(Map.of("x", new double[] {1, 2, 3})), model, dir.resolve("k"), false))
        .hasMessage("enrolled logits of x = 3: the model has K = 2");
    String a = local.users().get(0), b = local.users().get(1);
    Map<String, double[]> refit = Map.of(a, logitsOf(local, b));
    assertThatThrownBy(() -> pal.mergeEnrolled(enrolled(refit), model, dir.resolve("refused"), false))
        .hasMessageStartingWith("user = " + a + ": is already a user of this model");
    assertThat(dir.resolve("refused")).doesNotExist();
    pal.mergeEnrolled(enrolled(refit), model, dir.resolve("refit"), true);
    try (RewardModel m = PalApi.create().load(dir.resolve("refit"), PalApi.LoadOptions.vectors())) {
      assertThat(m.users()).hasSize(local.users().size());
      assertThat(m.weights(User.id(a))).containsExactly(local.weights(User.id(b)), within(1e-6)).isNotEqualTo(local.weights(User.id(a)));
    }
  }
}
