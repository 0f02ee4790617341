package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThumbnailsTest {
  static BufferedImage decode(String url) throws Exception {
    assertThat(url).startsWith("data:image/png;base64,");
    return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(url.substring("data:image/png;base64,".length()))));
  }

  static Path png(Path dir, String name, int w, int h, int rgb) throws Exception {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, rgb);
    Path p = dir.resolve(name);
    ImageIO.write(img, "png", p.toFile());
    return p;
  }

  @Test
  void scalesTheLongerSideDownKeepingTheAspectAndColour(@TempDir Path dir) throws Exception {
    BufferedImage t = decode(Thumbnails.dataUrl(png(dir, "wide.png", 200, 100, 0x3366CC), 96));
    assertThat(t.getWidth()).isEqualTo(96);
    assertThat(t.getHeight()).isEqualTo(48);
    assertThat(t.getRGB(40, 20) & 0xFFFFFF).isEqualTo(0x3366CC);
    BufferedImage tall = decode(Thumbnails.dataUrl(png(dir, "tall.png", 30, 300, 0xFF0000), 96));
    assertThat(tall.getHeight()).isEqualTo(96);
    assertThat(tall.getWidth()).isEqualTo(10);
  }

  @Test
  void neverEnlargesAndGivesNullForWhatIsNotAnImage(@TempDir Path dir) throws Exception {
    BufferedImage small = decode(Thumbnails.dataUrl(png(dir, "small.png", 20, 10, 0x00FF00), 96));
    assertThat(small.getWidth()).isEqualTo(20);
    assertThat(small.getHeight()).isEqualTo(10);
    Path text = Files.writeString(dir.resolve("notes.png"), "not a picture");
    assertThat(Thumbnails.dataUrl(text, 96)).isNull();
    assertThat(Thumbnails.dataUrl(dir.resolve("missing.png"), 96)).isNull();
    assertThatThrownBy(() -> Thumbnails.dataUrl(text, 0)).hasMessageContaining("maxPixels");
  }
}
