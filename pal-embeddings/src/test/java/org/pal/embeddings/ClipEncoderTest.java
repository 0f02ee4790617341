package org.pal.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.archive.Npy;

/**
 * onnx-clip on the tiny CLIP-shaped fixture that src/test/fixtures/make_tiny_clip.py generates:
 * preprocessing against PIL + numpy (an independent implementation), both towers against numpy.
 */
class ClipEncoderTest {
  // through the module directory, so the test also runs from pal-cli (the mutation run, TESTING.md)
  static final Path FIXTURE = Path.of("../pal-embeddings/src/test/fixtures/tiny-clip");

  private static OnnxClipEncoder clip() {
    return new OnnxClipEncoder(new OnnxClipEncoder.Spec(FIXTURE.toString(), null, null, null, 1));
  }

  @Test
  void preprocessingMatchesPilBicubicCropAndNormalisation() {
    float[] ours = ClipPreprocessor.fromConfig(FIXTURE.resolve("preprocessor_config.json"))
        .apply(ClipPreprocessor.read(FIXTURE.resolve("test.png")));
    double[] expected = Npy.read(FIXTURE.resolve("expected_pixels.npy")).values();
    assertThat(ours).hasSize(expected.length);
    double worst = 0;
    for (int i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - expected[i]));
    // identical 8-bit resampling: the only differences are float rounding after normalisation
    assertThat(worst).isLessThan(1e-5);
  }

  @Test
  void imageAndTextTowersGiveTheExpectedVectorsInOneSpace() {
    try (OnnxClipEncoder c = clip()) {
      assertThat(c.dimension()).isEqualTo(16);
      float[] img = c.embedImages(List.of(FIXTURE.resolve("test.png")))[0];
      float[] txt = c.embed(List.of("a red cat on a blue mat"))[0];
      double[] ei = Npy.read(FIXTURE.resolve("expected_image_embeds.npy")).values();
      double[] et = Npy.read(FIXTURE.resolve("expected_text_embeds.npy")).values();
      for (int j = 0; j < 16; j++) {
        assertThat((double) img[j]).isCloseTo(ei[j], org.assertj.core.data.Offset.offset(1e-5));
        assertThat((double) txt[j]).isCloseTo(et[j], org.assertj.core.data.Offset.offset(1e-5));
      }
      // unknown words map to [UNK], different sentences to different vectors
      float[][] two = c.embed(List.of("a red cat on a blue mat", "zebra the sofa"));
      for (int j = 0; j < 16; j++) assertThat(two[0][j]).isCloseTo(txt[j], org.assertj.core.data.Offset.offset(1e-6f));
      assertThat(two[1]).isNotEqualTo(txt);
    }
  }

  @Test
  void imagesAreCachedByContent(@TempDir Path dir) throws Exception {
    Path copy = dir.resolve("renamed.png");
    Files.copy(FIXTURE.resolve("test.png"), copy);
    try (OnnxClipEncoder c = clip()) {
      CachingEmbedder first = new CachingEmbedder(c, dir.resolve("cache"));
      float[] a = first.embedImages(List.of(FIXTURE.resolve("test.png")))[0];
      assertThat(first.encodedCount()).isEqualTo(1);
      CachingEmbedder second = new CachingEmbedder(c, dir.resolve("cache"));
      float[] b = second.embedImages(List.of(copy))[0];
      assertThat(second.encodedCount()).isZero();
      assertThat(b).containsExactly(a);
    }
  }

  @Test
  void badImagesAndExportsAreNamed(@TempDir Path dir) throws Exception {
    Path junk = dir.resolve("junk.png");
    Files.writeString(junk, "not an image");
    try (OnnxClipEncoder c = clip()) {
      assertThatThrownBy(() -> c.embedImages(List.of(junk))).hasMessageContaining("junk.png").hasMessageContaining("cannot be decoded");
      assertThatThrownBy(() -> c.embed(List.of(""))).hasMessageContaining("text[0]");
    }
    assertThatThrownBy(() -> new OnnxClipEncoder(new OnnxClipEncoder.Spec(dir.toString(), null, null, null, null)))
        .hasMessageContaining("has no image.onnx");
    for (String f : List.of("text.onnx", "tokenizer.json", "preprocessor_config.json", "config.json")) Files.copy(FIXTURE.resolve(f), dir.resolve(f));
    Files.write(dir.resolve("image.onnx"), new byte[] {9, 9, 9});
    assertThatThrownBy(() -> new OnnxClipEncoder(new OnnxClipEncoder.Spec(dir.toString(), null, null, null, null)))
        .hasMessageContaining("image.onnx").hasMessageContaining("not a loadable ONNX model");
    // the sentence encoder on a model whose output is not token embeddings
    Path wrong = dir.resolve("wrong");
    Files.createDirectories(wrong);
    Files.copy(FIXTURE.resolve("text.onnx"), wrong.resolve("model.onnx"));
    Files.copy(FIXTURE.resolve("tokenizer.json"), wrong.resolve("tokenizer.json"));
    assertThatThrownBy(() -> new OnnxSentenceEncoder(new OnnxSentenceEncoder.Spec(wrong.toString(), null, null, null, null, null, null, null)))
        .hasMessageContaining("input_ids and attention_mask");
  }
}
