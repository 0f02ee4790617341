package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.PalApi;
import org.pal.core.config.Json;

/** prepare: the dataset directory Spark writes is the one the records dataset writes on one machine, file for file. */
class PrepareJobTest {
  static SparkSession spark;
  static final String[] FILES = {"dataset.json", "items.npy", "prompts.npy", "pairs.npy", "pair_split.npy"};

  @BeforeAll
  static void setUp() {
    spark = SparkTests.spark();
  }

  /** The input file read in small byte ranges, so the rows arrive in several partitions. */
  static Dataset<Row> read(Path file) {
    SparkSession spark = SparkTests.spark();
    spark.conf().set("spark.sql.files.maxPartitionBytes", "4096");
    spark.conf().set("spark.sql.files.openCostInBytes", "0");
    try {
      Dataset<Row> d = spark.read().json(file.toString());
      d.cache().count();
      return d;
    } finally {
      spark.conf().unset("spark.sql.files.maxPartitionBytes");
      spark.conf().unset("spark.sql.files.openCostInBytes");
    }
  }

  static Path single(Path file, Path out, boolean skipInvalid, long seed) {
    PalApi pal = PalApi.create();
    pal.writeDataset(pal.dataset(Json.parse("{\"type\": \"records\", \"path\": \"" + file + "\", \"encoder\": " + SparkTests.ENCODER
        + ", \"skipInvalid\": " + skipInvalid + "}"), seed), out);
    return out;
  }

  static void assertSameFiles(Path a, Path b) throws Exception {
    for (String f : FILES) {
      assertThat(Files.exists(a.resolve(f))).as(f).isEqualTo(Files.exists(b.resolve(f)));
      if (Files.exists(a.resolve(f))) assertThat(Files.readAllBytes(a.resolve(f))).as(f).isEqualTo(Files.readAllBytes(b.resolve(f)));
    }
  }

  @Test
  void writesTheSingleMachineDatasetDirectory(@TempDir Path dir) throws Exception {
    Path file = SparkTests.writePets(dir.resolve("pets.jsonl"), 30, 16, 4);
    Dataset<Row> in = read(file);
    assertThat(in.rdd().getNumPartitions()).as("partitions").isGreaterThan(3);
    PalSpark.Prepared p = PalSpark.on(spark).batchSize(5).prepare(in, dir.resolve("spark"), Json.parse(SparkTests.ENCODER), PalSpark.Splits.seed(3));
    assertThat(p.rows()).isEqualTo(480);
    assertThat(p.users()).isEqualTo(30);
    assertThat(p.items()).isEqualTo(12);
    assertThat(p.prompts()).isEqualTo(3);
    assertSameFiles(dir.resolve("spark"), single(file, dir.resolve("one"), false, 3));
    assertThat(PalApi.create().dataset(dir.resolve("spark")).split().unseenUsers()).hasSize(6);
  }

  @Test
  void chosenRejectedRowsWithACorruptOneSkippedAsTheSingleMachineReaderSkipsIt(@TempDir Path dir) throws Exception {
    List<String> lines = new ArrayList<>();
    java.util.Random r = new java.util.Random(9);
    for (int i = 0; i < 200; i++) {
      String c = SparkTests.CATS[r.nextInt(6)] + " " + r.nextInt(5), d = SparkTests.DOGS[r.nextInt(6)] + " " + r.nextInt(5);
      boolean cats = (i % 10) < 5;
      String rejected = i == 77 ? "" : "\"rejected\": \"" + (cats ? d : c) + "\", ";
      lines.add("{\"user_id\": \"w" + (i % 10) + "\", \"chosen\": \"" + (cats ? c : d) + "\", " + rejected + "\"n\": " + i + "}");
    }
    Path file = dir.resolve("chosen.jsonl");
    Files.write(file, lines);
    Dataset<Row> in = read(file);
    assertThatThrownBy(() -> PalSpark.on(spark).prepare(in, dir.resolve("fails"), Json.parse(SparkTests.ENCODER), PalSpark.Splits.seed(1)))
        .hasStackTraceContaining("row 78: rejected = missing: every record needs rejected");
    assertThat(dir.resolve("fails")).doesNotExist();
    PalSpark skip = PalSpark.on(spark).skipInvalid(true);
    PalSpark.Prepared p = skip.prepare(in, dir.resolve("spark"), Json.parse(SparkTests.ENCODER), PalSpark.Splits.seed(1));
    assertThat(p.rows()).isEqualTo(199);
    assertThat(p.skipped()).isEqualTo(1);
    assertThat(p.prompts()).isZero();
    assertSameFiles(dir.resolve("spark"), single(file, dir.resolve("one"), true, 1));
  }

  @Test
  void valuesFirstReadByAnInvalidRowKeepTheSingleMachineReadersPlace(@TempDir Path dir) throws Exception {
    // row 2's label is bad, but the reader has read its left and right by then: both values are
    // numbered there, ahead of row 3's, and kept because row 4 uses them
    List<String> lines = new ArrayList<>(List.of(
        "{\"user_id\": \"a\", \"left\": \"" + SparkTests.CATS[0] + "\", \"right\": \"" + SparkTests.DOGS[0] + "\", \"label\": 1}",
        "{\"user_id\": \"b\", \"left\": \"" + SparkTests.CATS[1] + "\", \"right\": \"" + SparkTests.DOGS[1] + "\", \"label\": 7}",
        "{\"user_id\": \"a\", \"left\": \"" + SparkTests.CATS[2] + "\", \"right\": \"" + SparkTests.DOGS[2] + "\", \"label\": -1}",
        "{\"user_id\": \"c\", \"left\": \"" + SparkTests.DOGS[1] + "\", \"right\": \"" + SparkTests.CATS[1] + "\", \"label\": 1}",
        "{\"user_id\": \"b\", \"left\": \"" + SparkTests.CATS[3] + "\", \"left_only\": 0, \"label\": 1}"));
    java.util.Random r = new java.util.Random(4);
    for (int i = 0; i < 60; i++) { // enough users and pairs for the seeded splits; only values numbered above
      lines.add("{\"user_id\": \"u" + (i % 10) + "\", \"left\": \"" + SparkTests.CATS[r.nextInt(3)] + "\", \"right\": \""
          + SparkTests.DOGS[r.nextInt(3)] + "\", \"label\": " + (i % 10 < 5 ? 1 : -1) + "}");
    }
    Path file = dir.resolve("labels.jsonl");
    Files.write(file, lines);
    PalSpark skip = PalSpark.on(spark).skipInvalid(true);
    PalSpark.Prepared p = skip.prepare(read(file), dir.resolve("spark"), Json.parse(SparkTests.ENCODER), PalSpark.Splits.seed(2));
    assertThat(p.rows()).isEqualTo(63);
    assertThat(p.skipped()).isEqualTo(2);
    assertThat(p.items()).isEqualTo(6); // CATS[3], read only by the invalid row 5, is not kept
    assertThat(p.users()).isEqualTo(12);
    assertSameFiles(dir.resolve("spark"), single(file, dir.resolve("one"), true, 2));
  }
}
