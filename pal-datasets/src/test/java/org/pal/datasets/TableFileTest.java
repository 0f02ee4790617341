package org.pal.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TableFileTest {
  @Test
  void readsJsonlCsvAndParquetInFileOrder(@TempDir Path dir) throws Exception {
    Path jsonl = dir.resolve("a.jsonl"), csv = dir.resolve("a.csv"), parquet = dir.resolve("a.parquet");
    StringBuilder j = new StringBuilder(), c = new StringBuilder("id,text\n");
    for (int i = 0; i < 300; i++) {
      j.append("{\"id\": ").append(299 - i).append(", \"text\": \"row ").append(i).append(", with a comma\"}\n");
      c.append(299 - i).append(",\"row ").append(i).append(", with a comma\"\n");
    }
    Files.writeString(jsonl, j);
    Files.writeString(csv, c);
    try (var conn = DriverManager.getConnection("jdbc:duckdb:"); var s = conn.createStatement()) {
      s.execute("COPY (SELECT * FROM read_json_auto('" + jsonl + "', format = 'newline_delimited')) TO '" + parquet + "' (FORMAT PARQUET)");
    }
    for (Path p : new Path[] {jsonl, csv, parquet}) {
      var texts = TableFile.readColumn(p, "text");
      assertThat(texts).hasSize(300);
      assertThat(texts.get(0)).isEqualTo("row 0, with a comma");
      assertThat(texts.get(299)).isEqualTo("row 299, with a comma");
      assertThat(TableFile.readColumn(p, "id").get(1)).isEqualTo("298");
    }
  }

  @Test
  void badFilesAreNamed(@TempDir Path dir) throws Exception {
    Path fake = dir.resolve("fake.parquet");
    Files.writeString(fake, "id,text\n1,hello\n");
    assertThatThrownBy(() -> TableFile.readColumn(fake, "text")).hasMessageContaining("fake.parquet").hasMessageContaining("PARQUET");
    Path csv = dir.resolve("b.csv");
    Files.writeString(csv, "id,body\n1,hello\n");
    assertThatThrownBy(() -> TableFile.readColumn(csv, "text")).hasMessageContaining("column = text").hasMessageContaining("[id, body]");
    Files.writeString(dir.resolve("x.txt"), "text\nhello\n");
    assertThatThrownBy(() -> TableFile.readColumn(dir.resolve("x.txt"), "text")).hasMessageContaining("unknown extension");
    assertThatThrownBy(() -> TableFile.readColumn(dir.resolve("missing.csv"), "text")).hasMessageContaining("does not exist");
  }
}
