package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
import org.pal.api.PalApi;
import org.pal.core.config.Json;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ImageEmbedder;

/** embed: the executors' vectors equal the encoder's on one machine; one encoder per JVM; bad rows fail or are skipped. */
class EmbedJobTest {
  static SparkSession spark;
  static final StructType TEXTS = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);

  @BeforeAll
  static void setUp() {
    spark = SparkTests.spark();
  }

  static Dataset<Row> frame(List<Row> rows, StructType schema, int partitions) {
    return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions), schema);
  }

  static List<String> texts(int n) {
    List<String> t = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String[] pool = i % 3 == 0 ? SparkTests.CATS : i % 3 == 1 ? SparkTests.DOGS : SparkTests.PROMPTS;
      t.add(pool[i % pool.length] + (i % 4 == 0 ? " again and again" : ""));
    }
    return t;
  }

  static List<Row> rows(List<String> texts) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) rows.add(RowFactory.create(i, texts.get(i)));
    return rows;
  }

  static float[] vector(Row r) {
    List<Float> l = r.getList(r.fieldIndex("embedding"));
    float[] v = new float[l.size()];
    for (int i = 0; i < v.length; i++) v[i] = l.get(i);
    return v;
  }

  @Test
  void theDefaultEncoderGivesTheSameVectorsAsOnOneMachine() {
    List<String> texts = texts(30);
    List<Row> out = PalSpark.on(spark).batchSize(8).embed(frame(rows(texts), TEXTS, 3), "text", Json.parse("{\"type\": \"onnx-sentence\"}"))
        .orderBy("id").collectAsList();
    float[][] expected;
    try (Embedder e = PalApi.create().registry().embedder(Json.parse("{\"type\": \"onnx-sentence\"}"))) {
      expected = e.embed(texts);
    }
    assertThat(out).hasSize(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      float[] v = vector(out.get(i));
      assertThat(v).hasSize(384);
      for (int j = 0; j < v.length; j++) assertThat(v[j]).as("row %d, dim %d", i, j).isCloseTo(expected[i][j], within(1e-5f));
    }
  }

  @Test
  void oneEncoderPerJvmServesEveryTask() {
    String config = "{\"type\": \"spark-words\", \"dim\": 12}"; // a config no other test opens
    int created = SparkTestPlugin.CREATED.get(), opened = ExecutorResources.created(), calls = SparkTestPlugin.CALLS.get();
    Dataset<Row> in = frame(rows(texts(60)), TEXTS, 6);
    List<Row> out = PalSpark.on(spark).batchSize(5).embed(in, "text", Json.parse(config)).collectAsList();
    out = PalSpark.on(spark).batchSize(5).embed(in, "text", Json.parse(config)).collectAsList(); // a second job reuses it too
    assertThat(out).hasSize(60);
    assertThat(SparkTestPlugin.CREATED.get() - created).as("encoders built").isEqualTo(1);
    assertThat(ExecutorResources.created() - opened).as("resources opened").isEqualTo(1);
    assertThat(SparkTestPlugin.CALLS.get() - calls).as("batches encoded: 6 partitions x 2 batches x 2 jobs").isEqualTo(24);
  }

  @Test
  void anEmptyTextFailsNamingItsRowOrIsSkipped() {
    List<Row> rows = rows(texts(12));
    rows.set(7, RowFactory.create(7, null));
    Dataset<Row> in = frame(rows, TEXTS, 2);
    assertThatThrownBy(() -> PalSpark.on(spark).idColumn("id").embed(in, "text", Json.parse(SparkTests.ENCODER)).collectAsList())
        .hasStackTraceContaining("partition 1 row 2 (id 7): column text = missing");
    PalSpark skip = PalSpark.on(spark).skipInvalid(true);
    List<Row> out = skip.embed(in, "text", Json.parse(SparkTests.ENCODER)).collectAsList();
    assertThat(out).hasSize(11).noneMatch(r -> r.getInt(0) == 7);
    assertThat(skip.skippedRows()).isEqualTo(1);
  }

  @Test
  void imageBytesAreEmbeddedAsTheirFilesAndOneThatDoesNotDecodeIsNamed(@TempDir Path dir) throws Exception {
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("image", DataTypes.BinaryType);
    List<Row> rows = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      byte[] png = new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, (byte) i, (byte) (i * 7)};
      Path f = dir.resolve("img" + i + ".png");
      Files.write(f, png);
      files.add(f);
      rows.add(RowFactory.create(i, png));
    }
    List<Row> out = PalSpark.on(spark).embed(frame(rows, schema, 2), "image", Json.parse(SparkTests.ENCODER)).orderBy("id").collectAsList();
    float[][] expected;
    try (Embedder e = PalApi.create().registry().embedder(Json.parse(SparkTests.ENCODER))) {
      expected = ((ImageEmbedder) e).embedImages(files);
    }
    for (int i = 0; i < 6; i++) assertThat(vector(out.get(i))).containsExactly(expected[i]);
    rows.set(4, RowFactory.create(4, "GIF89a not really".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    assertThatThrownBy(() -> PalSpark.on(spark).embed(frame(rows, schema, 2), "image", Json.parse(SparkTests.ENCODER)).collectAsList())
        .hasStackTraceContaining("partition 1 row 2: image = image-1.gif: does not decode as PNG");
  }
}
