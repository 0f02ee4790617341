package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;
import org.pal.core.archive.Npy;
import org.pal.core.config.Json;

/** prepare's refusals (each once, with its message), its counts, and the single-machine reader's numbering where values are shared by valid and invalid rows. */
class PrepareChecksTest {
  static final com.fasterxml.jackson.databind.JsonNode ENC = Json.parse(SparkTests.ENCODER);

  static String row(String user, String left, String right, Object label) {
    return "{\"user_id\": " + (user == null ? "null" : "\"" + user + "\"") + ", \"left\": " + (left == null ? "null" : "\"" + left + "\"")
        + ", \"right\": \"" + right + "\", \"label\": " + label + "}";
  }

  @Test
  void tablesThatCannotBeRecordsAreRefusedNamingTheColumnOrTheRows(@TempDir Path dir) throws Exception {
    PalSpark pal = PalSpark.on(SparkTests.spark());
    StructType noLabel = new StructType().add("user_id", DataTypes.StringType).add("left", DataTypes.StringType).add("right", DataTypes.StringType);
    assertThatThrownBy(() -> pal.prepare(SparkTests.spark().createDataFrame(List.of(), noLabel), dir.resolve("a"), ENC, PalSpark.Splits.seed(0)))
        .isInstanceOf(PalException.class).hasMessage("record columns = [user_id, left, right]: the record format needs user_id, prompt (optional) and left, right, label"
            + " or chosen, rejected; 'label' is missing");
    StructType arrays = noLabel.add("label", DataTypes.IntegerType).add("prompt", DataTypes.createArrayType(DataTypes.FloatType));
    assertThatThrownBy(() -> pal.prepare(SparkTests.spark().createDataFrame(List.of(), arrays), dir.resolve("b"), ENC, PalSpark.Splits.seed(0)))
        .hasMessage("record column prompt type = array<float>: record values are text, image:PATH or npy:FILE#ROW");
    StructType records = noLabel.add("label", DataTypes.IntegerType);
    assertThatThrownBy(() -> pal.prepare(SparkTests.spark().createDataFrame(List.of(), records), dir.resolve("c"), ENC, PalSpark.Splits.seed(0)))
        .hasMessage("records = no valid records: the table is empty");
    List<Row> bad = List.of(RowFactory.create(null, "x", "y", 1), RowFactory.create("u", null, "y", 1), RowFactory.create("u", "x", "y", 3));
    PalSpark skip = PalSpark.on(SparkTests.spark()).skipInvalid(true);
    assertThatThrownBy(() -> skip.prepare(SparkTests.spark().createDataFrame(bad, records).coalesce(1), dir.resolve("d"), ENC, PalSpark.Splits.seed(0)))
        .hasMessage("records = no valid records: all 3 rows were invalid: [row 1: user_id = missing: every record needs user_id, "
            + "row 2: left = missing: every record needs left, row 3: column label = 3: must be 1 (left preferred), -1 or 0 (right preferred)]");
    assertThat(dir.resolve("d")).doesNotExist();
    // the chosen/rejected form names its own fields
    StructType chosen = new StructType().add("user_id", DataTypes.StringType).add("chosen", DataTypes.StringType).add("rejected", DataTypes.StringType);
    PalSpark skip2 = PalSpark.on(SparkTests.spark()).skipInvalid(true);
    assertThatThrownBy(() -> skip2.prepare(SparkTests.spark().createDataFrame(List.of(RowFactory.create("u", null, "y"), RowFactory.create("u", "x", " ")), chosen)
        .coalesce(1), dir.resolve("e"), ENC, PalSpark.Splits.seed(0)))
        .hasMessage("records = no valid records: all 2 rows were invalid: [row 1: chosen = missing: every record needs chosen, row 2: rejected = \"\": every record needs rejected]");
  }

  /**
   * Values read by invalid rows keep the single-machine reader's numbering whether a valid row used
   * them before or after; counts are per call even on an instance that skipped rows before; distinct
   * values are embedded in batches spread over the cores' tasks.
   */
  @Test
  void sharedValuesCountsAndBatchesMatchTheSingleMachineReader(@TempDir Path dir) throws Exception {
    List<String> lines = new ArrayList<>();
    lines.add(row("a", SparkTests.CATS[0] + " one", SparkTests.DOGS[0] + " one", 1)); // valid first, then read by an invalid row
    lines.add(row("b", SparkTests.CATS[0] + " one", SparkTests.DOGS[0] + " one", 5));
    lines.add(row("b", SparkTests.CATS[1] + " two", SparkTests.DOGS[1] + " two", 9)); // invalid first, then used by a valid row
    lines.add(row("c", SparkTests.DOGS[1] + " two", SparkTests.CATS[1] + " two", -1));
    java.util.Random r = new java.util.Random(6);
    for (int i = 0; i < 80; i++) {
      int a = r.nextInt(8), b = r.nextInt(8);
      lines.add("{\"user_id\": \"u" + (i % 12) + "\", \"prompt\": \"" + SparkTests.PROMPTS[i % 3] + "\", \"left\": \"" + SparkTests.CATS[a % 6] + " " + a
          + "\", \"right\": \"" + SparkTests.DOGS[b % 6] + " " + b + "\", \"label\": " + (i % 12 < 6 ? 1 : -1) + "}");
    }
    for (int i = 0; i < 4; i++) lines.set(i, lines.get(i).replace("{", "{\"prompt\": \"" + SparkTests.PROMPTS[i % 3] + "\", "));
    Path file = dir.resolve("shared.jsonl");
    Files.write(file, lines);
    var in = PrepareJobTest.read(file);
    PalSpark skip = PalSpark.on(SparkTests.spark()).skipInvalid(true).batchSize(2);
    skip.prepare(in, dir.resolve("first"), ENC, PalSpark.Splits.seed(5)); // this instance has skipped 2 rows before the call below
    int calls = SparkTestPlugin.CALLS.get();
    PalSpark.Prepared p = skip.prepare(in, dir.resolve("spark"), ENC, PalSpark.Splits.seed(5));
    int encoderCalls = SparkTestPlugin.CALLS.get() - calls;
    assertThat(p.skipped()).isEqualTo(2);
    assertThat(skip.skippedRows()).isEqualTo(4);
    assertThat(p.rows()).isEqualTo(82);
    assertThat(p.items()).isEqualTo(20); // 16 "cat a"/"dog b" values and the four "one"/"two" values
    assertThat(p.prompts()).isEqualTo(3);
    PrepareJobTest.assertSameFiles(dir.resolve("spark"), PrepareJobTest.single(file, dir.resolve("one"), true, 5));
    // 20 items in batches of 2: 8 tasks (4 per core of local[2]) of 2 or 3 values, 12 calls; 3 prompts: 2 tasks, 2 calls
    assertThat(encoderCalls).isEqualTo(14);
  }

  /** Vectors from .npy files join the table when their dimension is the table's; otherwise the value is named (texts never are). */
  @Test
  void aValueOfAnotherDimensionIsNamedByItsReferenceNeverByItsText(@TempDir Path dir) throws Exception {
    float[] v = {0.5f, -1f, 2f, 0.25f};
    Files.write(dir.resolve("v.npy"), Npy.encode(1, 4, "<f4", i -> v[i]));
    StructType schema = new StructType().add("user_id", DataTypes.StringType).add("left", DataTypes.StringType).add("right", DataTypes.StringType)
        .add("label", DataTypes.IntegerType);
    PalSpark pal = PalSpark.on(SparkTests.spark()).dataRoot(dir);
    var npyFirst = SparkTests.spark().createDataFrame(List.of(RowFactory.create("u", "npy:v.npy#0", "a cat", 1)), schema);
    assertThatThrownBy(() -> pal.prepare(npyFirst, dir.resolve("a"), ENC, PalSpark.Splits.seed(0)))
        .hasMessage("items value (text) = 16 numbers: every items vector must have the table's dimension 4");
    var textFirst = SparkTests.spark().createDataFrame(List.of(RowFactory.create("u", "a cat", "npy:v.npy#0", 1)), schema);
    assertThatThrownBy(() -> pal.prepare(textFirst, dir.resolve("b"), ENC, PalSpark.Splits.seed(0)))
        .hasMessage("items value npy:v.npy#0 = 4 numbers: every items vector must have the table's dimension 16");
    var outside = SparkTests.spark().createDataFrame(List.of(RowFactory.create("u", "a cat", "image:../elsewhere.png", 1)), schema);
    assertThatThrownBy(() -> pal.prepare(outside, dir.resolve("c"), ENC, PalSpark.Splits.seed(0)))
        .hasStackTraceContaining("items value image:../elsewhere.png = ");
  }
}
