package org.pal.embeddings;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import org.pal.core.spi.ImageEmbedder;

/**
 * A CLIP exported to ONNX as two towers in one directory: {@code image.onnx} (pixel_values
 * [N, 3, H, W] to [N, D]) and {@code text.onnx} (input_ids [N, context], optionally attention_mask,
 * to [N, D]), with {@code tokenizer.json}, {@code preprocessor_config.json} (size, crop, mean, std)
 * and optionally {@code config.json} (context_length, pad_token_id; default 77 and 0). Images go
 * through {@link ClipPreprocessor}; texts are tokenised and padded to the context length. Both
 * towers' outputs are L2-normalised (unless normalize is false), so they share one space.
 *
 * <p>Thread-safe.
 */
public final class OnnxClipEncoder implements ImageEmbedder {
  public record Spec(String model, Boolean normalize, Integer batchSize, String device, Integer threads) {
    public Spec {
      if (model == null) throw PalException.badInput("model", "null", "give the directory with image.onnx, text.onnx, tokenizer.json and preprocessor_config.json");
      if (normalize == null) normalize = true;
      if (batchSize == null) batchSize = 16;
      if (device == null) device = "cpu";
      if (batchSize < 1) throw PalException.badInput("batchSize", batchSize, "must be at least 1");
      Devices.check(device);
    }
  }

  private final OrtEnvironment env = org.pal.embeddings.Ort.environment();
  private final OrtSession image;
  private final OrtSession text;
  private final HuggingFaceTokenizer tokenizer;
  private final ClipPreprocessor pre;
  private final int context;
  private final long padId;
  private final boolean normalize;
  private final int batchSize;
  private final boolean textMask;
  private final int dimension;
  private final String fingerprint;

  public OnnxClipEncoder(Spec spec) {
    Path dir = Path.of(spec.model());
    if (!Files.isDirectory(dir)) throw PalException.badInput("model", dir, "is not a directory; give the CLIP export directory");
    for (String f : List.of("image.onnx", "text.onnx", "tokenizer.json", "preprocessor_config.json")) {
      if (!Files.exists(dir.resolve(f))) throw PalException.badInput("model", dir, "has no " + f + "; a CLIP export needs image.onnx, text.onnx, tokenizer.json and preprocessor_config.json");
    }
    this.pre = ClipPreprocessor.fromConfig(dir.resolve("preprocessor_config.json"));
    JsonNode cfg = Files.exists(dir.resolve("config.json")) ? Json.readTree(dir.resolve("config.json")) : Json.mapper().createObjectNode();
    this.context = cfg.path("context_length").asInt(cfg.path("text_config").path("max_position_embeddings").asInt(77));
    this.padId = cfg.path("pad_token_id").asLong(0);
    this.normalize = spec.normalize();
    this.batchSize = spec.batchSize();
    try {
      this.tokenizer = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"), Map.of("truncation", "true",
          "maxLength", String.valueOf(context), "padding", "false"));
    } catch (IOException | RuntimeException e) {
      throw PalException.userInput(dir.resolve("tokenizer.json") + " cannot be loaded (" + e.getMessage() + "); it must be a Hugging Face tokenizer.json");
    }
    byte[] imageBytes, textBytes;
    try {
      imageBytes = Files.readAllBytes(dir.resolve("image.onnx"));
      textBytes = Files.readAllBytes(dir.resolve("text.onnx"));
      OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      opts.setIntraOpNumThreads(spec.threads() != null ? spec.threads() : Runtime.getRuntime().availableProcessors());
      Devices.apply(spec.device(), opts);
      this.image = session(imageBytes, opts, dir.resolve("image.onnx"));
      this.text = session(textBytes, opts, dir.resolve("text.onnx"));
    } catch (IOException | OrtException e) {
      throw PalException.environment("cannot load " + dir + ": " + e.getMessage(), e);
    }
    if (!image.getInputNames().contains("pixel_values")) throw PalException.userInput(dir.resolve("image.onnx") + " has inputs " + image.getInputNames() + "; expected pixel_values");
    if (!text.getInputNames().contains("input_ids")) throw PalException.userInput(dir.resolve("text.onnx") + " has inputs " + text.getInputNames() + "; expected input_ids");
    this.textMask = text.getInputNames().contains("attention_mask");
    int di = outputDim(image, dir.resolve("image.onnx")), dt = outputDim(text, dir.resolve("text.onnx"));
    if (di > 0 && dt > 0 && di != dt) throw PalException.userInput(dir + ": image tower gives " + di + "-d vectors, text tower " + dt + "-d; they must share one space");
    this.dimension = di > 0 ? di : dt;
    this.fingerprint = OnnxSentenceEncoder.sha256(imageBytes) + ":" + OnnxSentenceEncoder.sha256(textBytes) + ":" + (normalize ? "norm" : "raw");
  }

  private OrtSession session(byte[] bytes, OrtSession.SessionOptions opts, Path file) {
    try {
      return env.createSession(bytes, opts);
    } catch (OrtException e) {
      throw PalException.userInput(file + " is not a loadable ONNX model (" + e.getMessage() + "); re-export it");
    }
  }

  private static int outputDim(OrtSession s, Path file) {
    try {
      var info = s.getOutputInfo().values().iterator().next().getInfo();
      if (!(info instanceof TensorInfo ti) || ti.getShape().length != 2) {
        throw PalException.userInput(file + " first output has shape " + info + "; expected [N, D] embeddings");
      }
      return (int) ti.getShape()[1];
    } catch (OrtException e) {
      throw PalException.environment("cannot inspect " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public float[][] embed(List<String> texts) {
    int n = texts.size();
    float[][] out = new float[n][];
    for (int from = 0; from < n; from += batchSize) {
      int to = Math.min(n, from + batchSize), b = to - from;
      long[] ids = new long[b * context], mask = new long[b * context];
      java.util.Arrays.fill(ids, padId);
      for (int r = 0; r < b; r++) {
        String t = texts.get(from + r);
        if (t == null || t.isBlank()) throw PalException.badInput("text[" + (from + r) + "]", t == null ? "null" : "\"\"", "texts to embed must not be empty");
        Encoding e = tokenizer.encode(t);
        long[] ii = e.getIds();
        int len = Math.min(ii.length, context);
        System.arraycopy(ii, 0, ids, r * context, len);
        for (int p = 0; p < len; p++) mask[r * context + p] = 1;
      }
      long[] shape = {b, context};
      try (OnnxTensor tIds = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
           OnnxTensor tMask = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape)) {
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put("input_ids", tIds);
        if (textMask) in.put("attention_mask", tMask);
        collect(text, in, b, from, out);
      } catch (OrtException e) {
        throw PalException.environment("ONNX Runtime failed on a text batch (" + e.getMessage() + "); check that tokenizer.json belongs to text.onnx", e);
      }
    }
    return out;
  }

  @Override
  public float[][] embedImages(List<Path> images) {
    int n = images.size(), c = pre.cropHeight() * pre.cropWidth() * 3;
    float[][] out = new float[n][];
    for (int from = 0; from < n; from += batchSize) {
      int to = Math.min(n, from + batchSize), b = to - from;
      float[] px = new float[b * c];
      for (int r = 0; r < b; r++) System.arraycopy(pre.apply(ClipPreprocessor.read(images.get(from + r))), 0, px, r * c, c);
      try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(px), new long[] {b, 3, pre.cropHeight(), pre.cropWidth()})) {
        collect(image, Map.of("pixel_values", t), b, from, out);
      } catch (OrtException e) {
        throw PalException.environment("ONNX Runtime failed on an image batch: " + e.getMessage(), e);
      }
    }
    return out;
  }

  private void collect(OrtSession s, Map<String, OnnxTensor> in, int b, int from, float[][] out) throws OrtException {
    try (OrtSession.Result res = s.run(in)) {
      OnnxTensor t = (OnnxTensor) res.get(0);
      long[] shape = t.getInfo().getShape();
      if (shape.length != 2 || shape[0] != b) throw PalException.userInput("model output has shape " + java.util.Arrays.toString(shape) + "; expected [" + b + ", D]");
      int d = (int) shape[1];
      FloatBuffer fb = t.getFloatBuffer();
      for (int r = 0; r < b; r++) {
        float[] v = new float[d];
        fb.get(r * d, v);
        if (normalize) {
          double nrm = 0;
          for (float x : v) nrm += x * x;
          float inv = (float) (1 / Math.max(Math.sqrt(nrm), 1e-12));
          for (int j = 0; j < d; j++) v[j] *= inv;
        }
        out[from + r] = v;
      }
    }
  }

  @Override public int dimension() { return dimension; }
  @Override public String fingerprint() { return fingerprint; }

  @Override
  public void close() {
    try {
      image.close();
      text.close();
    } catch (OrtException e) {
      // already closed
    }
    tokenizer.close();
  }
}
