package org.pal.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.experiment.RunResult;
import org.pal.core.experiment.Sweep;

/** Pick-a-Pic and Pick-a-Filter on a small Pick-a-Pic-shaped parquet file with generated images. */
class PickAPicDatasetTest {
  private final ComponentRegistry registry = Pal.load().registry();

  /** users u0..u7 with 60 decisive comparisons each, u8 with 5, plus ties and one excluded ranking id. */
  static Path fixture(Path dir) throws Exception {
    Random r = new Random(1);
    StringBuilder sb = new StringBuilder();
    long rid = 1000;
    for (int u = 0; u < 9; u++) {
      int n = u < 8 ? 60 : 5;
      for (int i = 0; i < n + 2; i++) {
        boolean tie = i >= n;
        double l0 = tie ? 0.5 : (r.nextBoolean() ? 1 : 0);
        sb.append(String.format("{\"user_id\": %d, \"ranking_id\": %d, \"caption\": \"a red cat on a blue mat\", \"jpg_0\": \"%s\", \"jpg_1\": \"%s\", \"label_0\": %s, \"label_1\": %s}%n",
            u, rid++, png(r), png(r), l0, tie ? 0.5 : 1 - l0));
      }
    }
    Path json = dir.resolve("p.jsonl"), parquet = dir.resolve("train.parquet");
    Files.writeString(json, sb);
    try (var c = DriverManager.getConnection("jdbc:duckdb:"); var s = c.createStatement()) {
      s.execute("COPY (SELECT user_id, ranking_id, caption, from_base64(jpg_0) AS jpg_0, from_base64(jpg_1) AS jpg_1, label_0, label_1 FROM read_json_auto('"
          + json + "', format = 'newline_delimited')) TO '" + parquet + "' (FORMAT PARQUET)");
    }
    Files.writeString(dir.resolve("exclude.txt"), "1000\n");
    return parquet;
  }

  private static String png(Random r) throws Exception {
    BufferedImage img = new BufferedImage(12, 10, BufferedImage.TYPE_INT_RGB);
    int base = r.nextInt(120);
    for (int y = 0; y < 10; y++) for (int x = 0; x < 12; x++) {
      int v = base + r.nextInt(100);
      img.setRGB(x, y, (v << 16) | (v << 8) | v); // grey: colour comes only from filters
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode clip() {
    var e = PalConfig.typed("onnx-clip");
    e.put("model", Path.of("../pal-embeddings/src/test/fixtures/tiny-clip").toAbsolutePath().normalize().toString());
    return e;
  }

  @Test
  void pickAPicDropsTiesExcludedIdsAndSmallUsers(@TempDir Path dir) throws Exception {
    Path f = fixture(dir);
    PickAPicDataset p = new PickAPicDataset(new PickAPicDataset.Spec(List.of(f.toString()), clip(), 50, dir.resolve("exclude.txt").toString(),
        0.0, 0.25, 0.1, 0.2, 6), registry);
    var d = p.data();
    assertThat(d.userIds()).hasSize(8).doesNotContain("8");
    assertThat(d.pairs().size()).isEqualTo(8 * 60 - 1); // ties and ranking id 1000 gone
    assertThat(d.items().dim()).isEqualTo(16);
    assertThat(d.prompts().rows()).isEqualTo(1);
    assertThat(p.groupOf("0")).isZero();
    var split = p.load(0);
    assertThat(split.ids(split.seenUsers())).hasSize(6).doesNotContain(d.userIds().get(6), d.userIds().get(7));
  }

  @Test
  void pickAFilterGivesTwoGroupsThatKEquals2Separates(@TempDir Path dir) throws Exception {
    Path f = fixture(dir);
    PickAPicDataset p = new PickAPicDataset(new PickAPicDataset.Spec(List.of(f.toString()), clip(), 50, null, 1.0, 0.25, 0.1, 0.2, null), registry);
    assertThat(p.data().userIds().stream().filter(u -> p.groupOf(u) == 1)).hasSize(4);
    assertThat(p.data().userIds().stream().filter(u -> p.groupOf(u) == 2)).hasSize(4);
    // the original choices are coin flips on grey images: only the group's colour rule is learnable
    var cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"dim\": 8, \"itemProjector\": {\"type\": \"linear\"}, \"promptProjector\": {\"type\": \"linear\"}},"
        + " \"trainer\": {\"epochs\": 150, \"batchSize\": 64, \"patience\": 40, \"groups\": {\"mapping\": {\"lr\": 0.01}, \"prototypes\": {\"lr\": 0.01},"
        + " \"users\": {\"lr\": 0.05}, \"scale\": {\"lr\": 0.01}}}}");
    List<RunResult> runs = new Sweep(registry).run(p, cfg, List.of(1, 2), List.of(0L), 20, null, n -> null);
    assertThat(runs.get(1).seenAccuracy()).as("K=2 seen").isGreaterThan(0.8);
    assertThat(runs.get(1).seenAccuracy()).isGreaterThan(runs.get(0).seenAccuracy() + 0.15);
  }

  @Test
  void filtersTintAndBadImagesAreNamed(@TempDir Path dir) throws Exception {
    BufferedImage grey = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) grey.setRGB(x, y, 0x808080);
    int b = PickAPicDataset.tint(grey, true).getRGB(0, 0), r = PickAPicDataset.tint(grey, false).getRGB(0, 0);
    assertThat(b & 0xff).isGreaterThan((b >> 16) & 0xff);
    assertThat((r >> 16) & 0xff).isGreaterThan(r & 0xff);
    Path json = dir.resolve("bad.jsonl"), parquet = dir.resolve("bad.parquet");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      sb.append("{\"user_id\": 1, \"ranking_id\": ").append(7 + i).append(", \"caption\": \"x\", \"jpg_0\": \"").append(Base64.getEncoder().encodeToString("not a png".getBytes()))
          .append("\", \"jpg_1\": \"").append(Base64.getEncoder().encodeToString("nor this".getBytes())).append("\", \"label_0\": 1, \"label_1\": 0}\n");
    }
    Files.writeString(json, sb);
    try (var c = DriverManager.getConnection("jdbc:duckdb:"); var s = c.createStatement()) {
      s.execute("COPY (SELECT user_id, ranking_id, caption, from_base64(jpg_0) AS jpg_0, from_base64(jpg_1) AS jpg_1, label_0, label_1 FROM read_json_auto('"
          + json + "', format = 'newline_delimited')) TO '" + parquet + "' (FORMAT PARQUET)");
    }
    assertThatThrownBy(() -> new PickAPicDataset(new PickAPicDataset.Spec(List.of(parquet.toString()), clip(), 1, null, 0.0, 0.0, 0.0, 0.0, null), registry).data())
        .hasMessageContaining("ranking 7 image").hasMessageContaining("does not decode");
  }
}
