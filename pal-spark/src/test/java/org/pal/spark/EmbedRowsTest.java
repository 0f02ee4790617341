package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.PalApi;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ImageEmbedder;

/** embed's refusals, and a row that breaks the encoder's batch call found row by row (named, or skipped with the rest embedded). */
class EmbedRowsTest {
  @Test
  void columnsAreCheckedBeforeAnyJob() {
    PalSpark pal = PalSpark.on(SparkTests.spark());
    Function<StructType, Dataset<Row>> empty = s -> SparkTests.spark().createDataFrame(List.of(), s);
    var enc = Json.parse(SparkTests.ENCODER);
    assertThatThrownBy(() -> pal.embed(empty.apply(new StructType().add("id", DataTypes.IntegerType)), "text", enc)).isInstanceOf(PalException.class)
        .hasMessage("embed column = text: is not a column of the input; columns: [id]");
    assertThatThrownBy(() -> pal.embed(empty.apply(new StructType().add("v", DataTypes.createArrayType(DataTypes.FloatType))), "v", enc))
        .hasMessage("embed column v = an array: is a vector already; embed text or images");
    assertThatThrownBy(() -> pal.embed(empty.apply(new StructType().add("text", DataTypes.StringType).add("embedding", DataTypes.StringType)), "text", enc))
        .hasMessage("input column = embedding: would be overwritten; rename it");
    assertThatThrownBy(() -> pal.idColumn("key").embed(empty.apply(new StructType().add("text", DataTypes.StringType)), "text", enc))
        .hasMessage("id column = key: is not a column of the input; columns: [text]");
  }

  @Test
  void aValueThatBreaksTheEncodersBatchIsFoundAndNamedOrSkipped(@TempDir Path dir) throws Exception {
    Path good = Files.write(dir.resolve("good.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 3, 4});
    Files.write(dir.resolve("bad.png"), "GIF89a, not a PNG".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 9; i++) rows.add(RowFactory.create(i, i == 4 ? "image:bad.png" : i == 6 ? "image:good.png" : SparkTests.CATS[i % 6]));
    Dataset<Row> in = SparkTests.spark().createDataFrame(rows, schema).coalesce(1);
    var enc = Json.parse(SparkTests.ENCODER);
    assertThatThrownBy(() -> PalSpark.on(SparkTests.spark()).dataRoot(dir).idColumn("id").batchSize(3).embed(in, "text", enc).collectAsList())
        .hasStackTraceContaining("partition 0 row 5 (id 4): image = bad.png: does not decode as PNG");
    try (Embedder e = PalApi.create().registry().embedder(enc)) {
      for (int batch : new int[] {3, 1}) {
        PalSpark skip = PalSpark.on(SparkTests.spark()).dataRoot(dir).skipInvalid(true).batchSize(batch);
        List<Row> out = skip.embed(in, "text", enc).collectAsList();
        assertThat(out).extracting(r -> r.getInt(0)).as("batch %d", batch).containsExactly(0, 1, 2, 3, 5, 6, 7, 8);
        for (Row r : out) {
          int i = r.getInt(0);
          float[] expected = i == 6 ? ((ImageEmbedder) e).embedImages(List.of(good))[0] : e.embed(List.of(SparkTests.CATS[i % 6]))[0];
          assertThat(EmbedJobTest.vector(r)).as("batch %d row %d", batch, i).containsExactly(expected);
        }
        assertThat(skip.skippedRows()).isEqualTo(1);
        assertThat(skip.problems()).containsExactly("partition 0 row 5: image = bad.png: does not decode as PNG");
      }
    }
  }
}
