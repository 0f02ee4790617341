package org.pal.embeddings;

import java.nio.file.Path;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.PalPlugin;

/** Registers the ONNX Runtime encoders. */
public final class EmbeddingsPlugin extends PalPlugin {
  /** {@code onnx-sentence} with an optional on-disk cache. */
  public record SentenceSpec(String model, String pooling, Boolean normalize, Integer maxTokens, Integer batchSize,
                             Boolean bucketing, String device, Integer threads, String cache) {
    OnnxSentenceEncoder.Spec encoder() {
      return new OnnxSentenceEncoder.Spec(model, pooling, normalize, maxTokens, batchSize, bucketing, device, threads);
    }
  }

  /** {@code onnx-clip} with an optional on-disk cache. */
  public record ClipSpec(String model, Boolean normalize, Integer batchSize, String device, Integer threads, String cache) {}

  @Override
  protected void configurePlugin() {
    register(ExtensionPoint.EMBEDDER, "onnx-clip", ClipSpec.class, (s, c) -> {
      Embedder e = new OnnxClipEncoder(new OnnxClipEncoder.Spec(s.model(), s.normalize(), s.batchSize(), s.device(), s.threads()));
      return s.cache() == null ? e : new CachingEmbedder(e, Path.of(s.cache()));
    }, "CLIP in ONNX: image.onnx + text.onnx + tokenizer.json + preprocessor_config.json, one space for images and texts");
    register(ExtensionPoint.EMBEDDER, "onnx-sentence", SentenceSpec.class, (s, c) -> build(s),
        "sentence-transformer in ONNX (dir with model.onnx + tokenizer.json, or builtin:all-minilm-l6-v2[-q])");
  }

  static Embedder build(SentenceSpec s) {
    Embedder e = new OnnxSentenceEncoder(s.encoder());
    return s.cache() == null ? e : new CachingEmbedder(e, Path.of(s.cache()));
  }
}
