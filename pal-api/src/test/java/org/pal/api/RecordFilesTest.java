package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.pal.api.RewardModelTest.assertUserError;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;
import org.pal.core.archive.Npy;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.Table;

/**
 * The record files of the API without the CLI: comparisons in both column forms (with text,
 * {@code image:} and {@code npy:} values), the row form indexing a dataset's tables, and scoring a
 * file into JSONL. Every value read is compared with what the test wrote; every reward written with
 * the model's own answer for that single request; each validation path once.
 */
class RecordFilesTest {
  @TempDir static Path dir;
  static PalApi pal;
  static RewardModel model;
  /** Rows of vec.npy: row r holds r + 0.5 * j in column j. */
  static final int NPY_ROWS = 3, NPY_COLS = 4;

  @BeforeAll
  static void setUp() throws Exception {
    pal = PalApi.create(new ApiTestPlugin());
    model = pal.initialise(PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"k\": 2, \"dim\": 6}, \"trainer\": {\"seed\": 3}}"),
        16, 16, List.of("a", "b"), Json.parse("{\"type\": \"test-words\"}"));
    float[] v = new float[NPY_ROWS * NPY_COLS];
    for (int r = 0; r < NPY_ROWS; r++) for (int j = 0; j < NPY_COLS; j++) v[r * NPY_COLS + j] = r + 0.5f * j;
    Npy.writeFloats(dir.resolve("vec.npy"), NPY_ROWS, NPY_COLS, v);
    Files.writeString(dir.resolve("cat.png"), "not decoded when parsed");
  }

  static float[] npyRow(int r) {
    float[] x = new float[NPY_COLS];
    for (int j = 0; j < NPY_COLS; j++) x[j] = r + 0.5f * j;
    return x;
  }

  static Path write(String name, String... lines) {
    try {
      return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // ---- comparisons

  @Test
  void chosenFormReadsTextImagesAndVectorsInFileOrder() throws Exception {
    Path f = write("chosen.jsonl",
        "{\"user_id\": \"7\", \"prompt\": \"say hi\", \"chosen\": \"hello\", \"rejected\": \"npy:vec.npy#2\"}",
        "",
        "{\"user_id\": \"u2\", \"prompt\": \"npy:vec.npy#0\", \"chosen\": \"image:cat.png\", \"rejected\": \"bye\"}");
    List<Comparison> cs = RecordFiles.comparisons(f, null);
    assertThat(cs).containsExactly(
        new Comparison("7", Input.text("say hi"), Input.text("hello"), Input.vector(npyRow(2))),
        new Comparison("u2", Input.vector(npyRow(0)), Input.image(dir.resolve("cat.png")), Input.text("bye")));
  }

  @Test
  void labelFormPutsThePreferredSideFirstAndLeavesThePromptOutWhenThereIsNone() throws Exception {
    Path f = write("labels.jsonl",
        "{\"user_id\": \"a\", \"left\": \"L1\", \"right\": \"R1\", \"label\": 1}",
        "{\"user_id\": \"a\", \"left\": \"L2\", \"right\": \"R2\", \"label\": -1}",
        "{\"user_id\": \"b\", \"left\": \"L3\", \"right\": \"R3\", \"label\": 0}");
    assertThat(RecordFiles.comparisons(f, null)).containsExactly(
        Comparison.of("a", null, "L1", "R1"), Comparison.of("a", null, "R2", "L2"), Comparison.of("b", null, "R3", "L3"));
  }

  @Test
  void valuesResolveUnderTheDataRootWhenOneIsGiven() throws Exception {
    Path sub = Files.createDirectories(dir.resolve("records"));
    Path f = Files.writeString(sub.resolve("c.jsonl"), "{\"user_id\": \"a\", \"chosen\": \"image:cat.png\", \"rejected\": \"npy:vec.npy#1\"}\n");
    // the file's folder holds neither file: the default root refuses, the named root finds both
    assertUserError(() -> RecordFiles.comparisons(f, null), "c.jsonl line 1 chosen = cat.png: does not exist in " + sub);
    assertThat(RecordFiles.comparisons(f, dir)).containsExactly(
        new Comparison("a", null, Input.image(dir.resolve("cat.png")), Input.vector(npyRow(1))));
  }

  @Test
  void csvComparisonsNameTheRecordAndAFileWithoutRowsIsAnError() throws Exception {
    Path f = write("c.csv", "user_id,left,right,label", "a,x,y,1", "b,,y,1");
    assertUserError(() -> RecordFiles.comparisons(f, null), "c.csv record 2 left = missing: every record needs left");
    Path empty = write("empty.csv", "user_id,chosen,rejected");
    assertUserError(() -> RecordFiles.comparisons(empty, null), "no rows: the file has no comparisons");
  }

  @Test
  void comparisonFilesThatCannotBeReadNameTheColumnLineAndField() throws Exception {
    assertUserError(() -> RecordFiles.comparisons(write("c1.jsonl", "{\"user_id\": \"a\", \"chosen\": \"x\"}"), null),
        "'rejected' is missing");
    assertUserError(() -> RecordFiles.comparisons(write("c2.jsonl", "{\"user_id\": \"a\", \"left\": \"x\", \"right\": \"y\"}"), null),
        "'label' is missing");
    assertUserError(() -> RecordFiles.comparisons(write("c3.jsonl", "{\"left\": \"x\", \"right\": \"y\", \"label\": 1}"), null),
        "'user_id' is missing");
    assertUserError(() -> RecordFiles.comparisons(write("c4.jsonl",
        "{\"user_id\": \"a\", \"prompt\": \"p\", \"chosen\": \"x\", \"rejected\": \"y\"}",
        "{\"user_id\": \"a\", \"prompt\": \" \", \"chosen\": \"x\", \"rejected\": \"y\"}"), null),
        "c4.jsonl line 2 prompt = empty: every record needs prompt");
    assertUserError(() -> RecordFiles.comparisons(write("c5.jsonl",
        "{\"user_id\": \"a\", \"left\": \"x\", \"right\": \"y\", \"label\": 2}"), null), "c5.jsonl line 1 label = 2");
    assertUserError(() -> RecordFiles.comparisons(write("c6.jsonl",
        "{\"user_id\": \"a\", \"chosen\": \"x\", \"rejected\": \"y\"}", "{\"chosen\": \"x\", \"rejected\": \"y\"}"), null),
        "c6.jsonl line 2 user_id = missing");
  }

  // ---- the value syntax

  @Test
  void vectorReferencesAreCheckedForTheirFormRowAndPlace() {
    try (InputParser p = new InputParser(dir)) {
      assertThat(p.root()).isEqualTo(dir.toAbsolutePath().normalize());
      assertThat(p.parse("npy:vec.npy#" + (NPY_ROWS - 1), "f")).isEqualTo(Input.vector(npyRow(NPY_ROWS - 1)));
      assertThat(p.parse("npy:vec.npy#0", "f")).as("the mapped file is reused").isEqualTo(Input.vector(npyRow(0)));
      assertThat(p.parse("plain words", "f")).isEqualTo(Input.text("plain words"));
      assertThat(p.parse("", "f")).isEqualTo(Input.text(""));
      assertUserError(() -> p.parse(null, "rows.jsonl line 4 response"), "rows.jsonl line 4 response = missing: give text, image:PATH or npy:FILE#ROW");
      assertUserError(() -> p.parse("npy:vec.npy", "f"), "f = npy:vec.npy: vector references look like npy:FILE.npy#ROW");
      assertUserError(() -> p.parse("npy:vec.npy#x", "f"), "f = npy:vec.npy#x: the row after # must be a whole number");
      assertUserError(() -> p.parse("npy:vec.npy#" + NPY_ROWS, "f"), "f = npy:vec.npy#3: the file has rows 0..2");
      assertUserError(() -> p.parse("npy:vec.npy#-1", "f"), "the file has rows 0..2");
      assertUserError(() -> p.parse("npy:../vec.npy#0", "f"), "is not a path inside");
      assertUserError(() -> p.parse("image:" + dir.resolve("cat.png"), "f"), "is not a path inside");
      assertUserError(() -> p.parse("image:dog.png", "g"), "g = dog.png: does not exist in");
      p.close();
      // after close the parser maps files again rather than reading unmapped ones
      assertThat(p.parse("npy:vec.npy#1", "f")).isEqualTo(Input.vector(npyRow(1)));
    }
  }

  // ---- the row form of comparisons

  static PreferenceDataset tables(boolean prompts) {
    float[][] items = {{1, 0}, {0, 1}, {2, 2}};
    float[][] ps = {{5, 6, 7}, {8, 9, 10}};
    return new PreferenceDataset(Table.of("items", items), prompts ? Table.of("prompts", ps) : null, List.of("x"),
        new Pairs(new int[0], new int[0], new int[0], new int[0], new byte[0]));
  }

  @Test
  void rowComparisonsIndexTheDatasetTables() throws Exception {
    Path f = write("rows.jsonl",
        "{\"user\": \"a\", \"left\": 0, \"right\": 2, \"label\": 1, \"prompt\": 1}",
        "   ",
        "{\"user\": \"b\", \"left\": 1, \"right\": 0, \"label\": -1, \"prompt\": 0}",
        "{\"user\": \"b\", \"left\": 2, \"right\": 1, \"label\": 0, \"prompt\": 0}");
    assertThat(RecordFiles.rowComparisons(f, tables(true))).containsExactly(
        new Comparison("a", Input.vector(new float[] {8, 9, 10}), Input.vector(new float[] {1, 0}), Input.vector(new float[] {2, 2})),
        new Comparison("b", Input.vector(new float[] {5, 6, 7}), Input.vector(new float[] {1, 0}), Input.vector(new float[] {0, 1})),
        new Comparison("b", Input.vector(new float[] {5, 6, 7}), Input.vector(new float[] {0, 1}), Input.vector(new float[] {2, 2})));
    // without a prompt table: no prompt, or -1, is accepted; any other prompt is an error
    Path g = write("rows2.jsonl", "{\"user\": \"a\", \"left\": 0, \"right\": 1, \"label\": 1}",
        "{\"user\": \"a\", \"left\": 1, \"right\": 2, \"label\": 1, \"prompt\": -1}");
    assertThat(RecordFiles.rowComparisons(g, tables(false))).containsExactly(
        new Comparison("a", null, Input.vector(new float[] {1, 0}), Input.vector(new float[] {0, 1})),
        new Comparison("a", null, Input.vector(new float[] {0, 1}), Input.vector(new float[] {2, 2})));
  }

  @Test
  void rowComparisonFilesThatCannotBeReadNameTheLine() throws Exception {
    assertUserError(() -> RecordFiles.rowComparisons(dir.resolve("absent.jsonl"), tables(true)), "absent.jsonl: does not exist");
    Path latin1 = dir.resolve("latin1.jsonl");
    Files.write(latin1, "{\"user\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
    assertUserError(() -> RecordFiles.rowComparisons(latin1, tables(true)), "cannot be read as UTF-8 text");
    String ok = "{\"user\": \"a\", \"left\": 0, \"right\": 1, \"label\": 1, \"prompt\": 0}";
    assertUserError(() -> RecordFiles.rowComparisons(write("r1.jsonl", ok, "{\"user\": "), tables(true)), "r1.jsonl line 2: not valid JSON");
    assertUserError(() -> RecordFiles.rowComparisons(write("r2.jsonl", "", "[1, 2]"), tables(true)), "r2.jsonl line 2: expected a JSON object");
    assertUserError(() -> RecordFiles.rowComparisons(write("r3.jsonl", "{\"user\": \"a\", \"left\": 3, \"right\": 1, \"label\": 1, \"prompt\": 0}"),
        tables(true)), "r3.jsonl line 1 left = 3: must be a row number in 0..2");
    assertUserError(() -> RecordFiles.rowComparisons(write("r4.jsonl", "{\"user\": \"a\", \"left\": 0, \"right\": 1, \"label\": 1, \"prompt\": 2}"),
        tables(true)), "r4.jsonl line 1 prompt = 2: must be a row number in 0..1");
    assertUserError(() -> RecordFiles.rowComparisons(write("r5.jsonl", "{\"user\": \"a\", \"left\": 0, \"right\": 1, \"label\": 1, \"prompt\": 0}"),
        tables(false)), "r5.jsonl line 1 prompt = 0: the dataset has no prompts; omit the field");
    assertUserError(() -> RecordFiles.rowComparisons(write("r6.jsonl", "{\"user\": \"a\", \"left\": 0, \"right\": 1, \"label\": 1, \"prompt\": \"-1\"}"),
        tables(false)), "the dataset has no prompts");
    assertUserError(() -> RecordFiles.rowComparisons(write("r7.jsonl", "", " "), tables(true)), "comparisons = " + dir.resolve("r7.jsonl") + ": has no comparisons");
  }

  // ---- scoring a file

  record Row(String user, String weights, String prompt, String response) {}

  /** The model's answer for one request, the reference for every written reward. */
  static double expected(Row r, boolean zeroShotUnknown) {
    User u = r.weights() != null ? User.weights(RecordFiles.parseWeights(r.weights(), "test"))
        : zeroShotUnknown && !model.hasUser(r.user()) ? User.zeroShot() : User.id(r.user());
    return model.rewards(u, Input.text(r.prompt()), Input.text(r.response()))[0];
  }

  static String line(Row r) {
    StringBuilder sb = new StringBuilder("{");
    if (r.user() != null) sb.append("\"user_id\": \"").append(r.user()).append("\", ");
    if (r.weights() != null) sb.append("\"weights\": \"").append(r.weights()).append("\", ");
    return sb.append("\"prompt\": \"").append(r.prompt()).append("\", \"response\": \"").append(r.response()).append("\"}").toString();
  }

  @Test
  void scoresEveryRowInBatchesAsTheModelScoresItAlone() throws Exception {
    List<Row> rows = List.of(new Row("a", null, "describe a pet", "a cat sleeps"), new Row("b", null, "describe a pet", "a dog runs"),
        new Row("stranger", null, "name a food", "a cat sleeps"), new Row(null, "[0.25, 0.75]", "name a food", "soup"),
        new Row("a", "0.9,0.1", "describe a pet", "a dog runs"));
    Path in = write("score-in.jsonl", rows.stream().map(RecordFilesTest::line).toArray(String[]::new));
    Path out = dir.resolve("scored/sub/out.jsonl"); // folders are created
    List<Long> progress = new ArrayList<>();
    long t0 = System.nanoTime();
    RecordFiles.ScoreReport rep = RecordFiles.score(model, in, out, null, true, 2, progress::add);
    double wall = (System.nanoTime() - t0) / 1e9;
    assertThat(progress).as("after each batch of 2, then the rest").containsExactly(2L, 4L, 5L);
    assertThat(rep.rows()).isEqualTo(5);
    Set<String> distinct = new LinkedHashSet<>();
    for (Row r : rows) { distinct.add(r.prompt()); distinct.add(r.response()); }
    assertThat(rep.distinctTexts()).isEqualTo(distinct.size());
    assertThat(rep.seconds()).isPositive().isLessThanOrEqualTo(wall);
    List<String> lines = Files.readAllLines(out);
    assertThat(lines).hasSize(rows.size());
    double[] rewards = new double[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      JsonNode o = Json.parse(lines.get(i));
      Row r = rows.get(i);
      assertThat(o.path("response").asText()).isEqualTo(r.response());
      assertThat(o.path("prompt").asText()).isEqualTo(r.prompt());
      assertThat(o.has("user_id")).isEqualTo(r.user() != null);
      assertThat(o.has("weights")).isEqualTo(r.weights() != null);
      rewards[i] = o.path("reward").asDouble();
      assertThat(rewards[i]).as("row " + i).isCloseTo(expected(r, true), within(1e-5));
    }
    assertThat(rewards[2]).as("the stranger is scored zero-shot, not as user a").isNotCloseTo(expected(new Row("a", null, "name a food", "a cat sleeps"), false), within(1e-6));
    assertThat(rewards[4]).as("explicit weights win over the id").isNotCloseTo(expected(new Row("a", null, "describe a pet", "a dog runs"), false), within(1e-6));
    try (var s = Files.list(out.getParent())) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("out.jsonl");
    }
    // a second run replaces the output whole; without a progress listener
    RecordFiles.ScoreReport again = RecordFiles.score(model, write("score-one.jsonl", line(rows.get(0))), out, null, false, 100, null);
    assertThat(again.rows()).isEqualTo(1);
    assertThat(Files.readAllLines(out)).hasSize(1);
  }

  @Test
  void aFailingRowLeavesNoOutputAndNamesTheRowAndField() throws Exception {
    Path out = dir.resolve("failed/out.jsonl");
    Path in = write("score-bad.jsonl", line(new Row("a", null, "p", "r")), line(new Row("nobody", null, "p", "r")));
    assertUserError(() -> RecordFiles.score(model, in, out, null, false, 1, null), "user = nobody");
    try (var s = Files.list(out.getParent())) {
      assertThat(s.toList()).as("neither the output nor its temporary file").isEmpty();
    }
    assertUserError(() -> RecordFiles.score(model, write("s1.jsonl", "{\"user_id\": \"a\", \"prompt\": \"p\"}"), out, null, false, 1, null),
        "rows to score need a 'response' column");
    assertUserError(() -> RecordFiles.score(model, write("s2.jsonl", "{\"prompt\": \"p\", \"response\": \"r\"}"), out, null, false, 1, null),
        "rows to score need 'user_id' or 'weights'");
    assertUserError(() -> RecordFiles.score(model, write("s3.jsonl", "{\"user_id\": \"a\", \"response\": \"r\"}"), out, null, false, 1, null),
        "this model conditions on prompts: add a 'prompt' column");
    assertUserError(() -> RecordFiles.score(model, write("s4.jsonl", "{\"weights\": \"0.5, 0.5\", \"prompt\": \"p\", \"response\": \"r\"}",
        "{\"weights\": \" \", \"prompt\": \"p\", \"response\": \"r\"}"), out, null, false, 1, null), "s4.jsonl line 2 user_id = missing");
    assertUserError(() -> RecordFiles.score(model, write("s5.jsonl", "{\"user_id\": \"a\", \"prompt\": \"\", \"response\": \"r\"}"), out, null, false, 1, null),
        "s5.jsonl line 1 prompt = empty");
    assertUserError(() -> RecordFiles.score(model, write("s6.jsonl", "{\"user_id\": \"a\", \"prompt\": \"p\", \"response\": \"npy:vec.npy#0\"}"),
        out, null, false, 1, null), "dimension 16");
    assertUserError(() -> RecordFiles.score(model, write("s7.jsonl", "{\"weights\": \"0.5, x\", \"prompt\": \"p\", \"response\": \"r\"}"),
        out, null, false, 1, null), "s7.jsonl line 1 weights[1] = x: weights are numbers");
    assertThat(Files.exists(out)).isFalse();
  }

  @Test
  void weightsAreCommaSeparatedNumbersWithOptionalBrackets() {
    assertThat(RecordFiles.parseWeights(" [0.25, 0.75] ", "w")).containsExactly(0.25, 0.75);
    assertThat(RecordFiles.parseWeights("1", "w")).containsExactly(1.0);
    assertThat(RecordFiles.parseWeights("0.5,0.5", "w")).containsExactly(0.5, 0.5);
    assertThatThrownBy(() -> RecordFiles.parseWeights("[0.5, 0.5", "w")).isInstanceOf(PalException.class).hasMessageContaining("w weights[0] = [0.5");
    assertThatThrownBy(() -> RecordFiles.parseWeights("0.5, 0.5]", "w")).isInstanceOf(PalException.class).hasMessageContaining("w weights[1] = 0.5]");
  }
}
