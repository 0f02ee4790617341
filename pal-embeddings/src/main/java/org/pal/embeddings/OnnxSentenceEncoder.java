package org.pal.embeddings;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import org.pal.core.spi.Embedder;

/**
 * Any sentence-transformer exported to ONNX (model {@code .onnx} + {@code tokenizer.json}): tokenises
 * with the Hugging Face tokenizer (DJL), runs ONNX Runtime on batches of similar length (sorted by
 * token count, so padding is not computed), pools token vectors (mean over the attention mask, or
 * CLS) and optionally L2-normalises. Pooling, normalisation and max tokens are read from the export's
 * own {@code 1_Pooling/config.json}, {@code modules.json} and {@code sentence_bert_config.json}
 * where present, and can be overridden in the spec.
 *
 * <p>Thread-safe: the ONNX Runtime session and the tokenizer may be shared; {@link #embed} keeps no
 * state between calls.
 */
public final class OnnxSentenceEncoder implements Embedder {
  /** Built-in models: jar resources of the langchain4j MiniLM artifacts, so text works with no download. */
  public static final Map<String, String[]> BUILT_IN = Map.of(
      "all-minilm-l6-v2", new String[] {"all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json"},
      "all-minilm-l6-v2-q", new String[] {"all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json"});

  public record Spec(String model, String pooling, Boolean normalize, Integer maxTokens, Integer batchSize,
                     Boolean bucketing, String device, Integer threads) {
    public Spec {
      if (model == null) model = "builtin:all-minilm-l6-v2";
      if (batchSize == null) batchSize = 32;
      if (bucketing == null) bucketing = true;
      if (device == null) device = "cpu";
      if (pooling != null && !pooling.equals("mean") && !pooling.equals("cls")) {
        throw PalException.badInput("pooling", "\"" + pooling + "\"", "valid poolings: [mean, cls]");
      }
      if (maxTokens != null && maxTokens < 2) throw PalException.badInput("maxTokens", maxTokens, "must be at least 2");
      if (batchSize < 1) throw PalException.badInput("batchSize", batchSize, "must be at least 1");
      if (threads != null && threads < 1) throw PalException.badInput("threads", threads, "must be at least 1");
      Devices.check(device);
    }

    public static Spec defaults() {
      return new Spec(null, null, null, null, null, null, null, null);
    }
  }

  private final OrtEnvironment env = org.pal.embeddings.Ort.environment();
  private final OrtSession session;
  private final HuggingFaceTokenizer tokenizer;
  private final boolean meanPooling;
  private final boolean normalize;
  private final int maxTokens;
  private final int batchSize;
  private final boolean bucketing;
  private final boolean hasTypeIds;
  private final String outputName;
  private final int dimension;
  private final String fingerprint;

  public OnnxSentenceEncoder(Spec spec) {
    byte[] onnx;
    Path dir = null;
    InputStream tokenizerJson;
    try {
      if (spec.model().startsWith("builtin:")) {
        String name = spec.model().substring("builtin:".length());
        String[] res = BUILT_IN.get(name);
        if (res == null) throw PalException.badInput("model", "\"" + spec.model() + "\"", "built-in models: " + BUILT_IN.keySet().stream().map(n -> "builtin:" + n).sorted().toList() + ", or a directory with model.onnx and tokenizer.json");
        onnx = resource(res[0]);
        tokenizerJson = new java.io.ByteArrayInputStream(resource(res[1]));
      } else {
        dir = Path.of(spec.model());
        Path model = findOnnx(dir);
        Path tok = dir.resolve("tokenizer.json");
        if (!Files.exists(tok)) throw PalException.badInput("model", dir, "has no tokenizer.json; export it with the model (see the README's export recipe)");
        onnx = Files.readAllBytes(model);
        tokenizerJson = Files.newInputStream(tok);
      }
    } catch (IOException e) {
      throw PalException.environment("cannot read encoder " + spec.model() + ": " + e.getMessage(), e);
    }
    // settings: spec overrides, else the export's own config files, else sentence-transformers' defaults
    boolean mean = true, norm = true;
    int max = 256;
    if (dir != null) {
      JsonNode pool = optionalJson(dir.resolve("1_Pooling/config.json"));
      if (pool != null && pool.path("pooling_mode_cls_token").asBoolean(false)) mean = false;
      JsonNode modules = optionalJson(dir.resolve("modules.json"));
      if (modules != null) norm = modules.toString().contains("Normalize");
      JsonNode sbert = optionalJson(dir.resolve("sentence_bert_config.json"));
      if (sbert != null && sbert.has("max_seq_length")) max = sbert.get("max_seq_length").asInt();
    }
    this.meanPooling = spec.pooling() != null ? spec.pooling().equals("mean") : mean;
    this.normalize = spec.normalize() != null ? spec.normalize() : norm;
    this.maxTokens = spec.maxTokens() != null ? spec.maxTokens() : max;
    this.batchSize = spec.batchSize();
    this.bucketing = spec.bucketing();
    try (InputStream in = tokenizerJson) {
      this.tokenizer = HuggingFaceTokenizer.newInstance(in, Map.of("truncation", "true", "maxLength", String.valueOf(maxTokens),
          "padding", "false", "addSpecialTokens", "true"));
    } catch (IOException | RuntimeException e) {
      throw PalException.userInput("tokenizer.json of " + spec.model() + " cannot be loaded (" + e.getMessage() + "); it must be a Hugging Face tokenizer.json");
    }
    try {
      OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      opts.setIntraOpNumThreads(spec.threads() != null ? spec.threads() : Runtime.getRuntime().availableProcessors());
      Devices.apply(spec.device(), opts);
      this.session = env.createSession(onnx, opts);
    } catch (OrtException e) {
      throw PalException.userInput("model " + spec.model() + " is not a loadable ONNX model (" + e.getMessage() + "); re-export it");
    }
    Set<String> inputs = session.getInputNames();
    if (!inputs.contains("input_ids") || !inputs.contains("attention_mask")) {
      close();
      throw PalException.userInput("model " + spec.model() + " has inputs " + inputs + "; a sentence-transformer export needs input_ids and attention_mask");
    }
    this.hasTypeIds = inputs.contains("token_type_ids");
    try {
      String out = null;
      int dim = -1;
      for (Map.Entry<String, NodeInfo> e : session.getOutputInfo().entrySet()) {
        if (e.getValue().getInfo() instanceof TensorInfo ti && ti.getShape().length == 3) {
          out = e.getKey();
          dim = (int) ti.getShape()[2];
          break;
        }
      }
      if (out == null) {
        close();
        throw PalException.userInput("model " + spec.model() + " has no rank-3 output (token embeddings); outputs: " + session.getOutputNames());
      }
      this.outputName = out;
      this.dimension = dim > 0 ? dim : probeDimension();
    } catch (OrtException e) {
      throw PalException.environment("cannot inspect " + spec.model() + ": " + e.getMessage(), e);
    }
    this.fingerprint = sha256(onnx) + ":" + (meanPooling ? "mean" : "cls") + ":" + (normalize ? "norm" : "raw") + ":" + maxTokens;
  }

  private int probeDimension() {
    return embed(List.of("probe")) [0].length;
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = OnnxSentenceEncoder.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) throw PalException.environment("built-in model resource " + name + " is not on the class path", null);
      return in.readAllBytes();
    }
  }

  private static Path findOnnx(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) throw PalException.badInput("model", dir, "is not a directory (nor builtin:NAME); give the export directory");
    for (String c : List.of("model.onnx", "onnx/model.onnx")) if (Files.exists(dir.resolve(c))) return dir.resolve(c);
    try (var s = Files.list(dir)) {
      List<Path> onnx = s.filter(p -> p.toString().endsWith(".onnx")).sorted().toList();
      if (onnx.size() == 1) return onnx.get(0);
      throw PalException.badInput("model", dir, onnx.isEmpty() ? "has no .onnx file" : "has several .onnx files " + onnx + "; keep one or name it model.onnx");
    }
  }

  private static JsonNode optionalJson(Path p) {
    return Files.exists(p) ? Json.readTree(p) : null;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw PalException.environment("SHA-256 unavailable", e);
    }
  }

  @Override
  public float[][] embed(List<String> texts) {
    int n = texts.size();
    float[][] out = new float[n][];
    if (n == 0) return out;
    for (int i = 0; i < n; i++) {
      String t = texts.get(i);
      if (t == null || t.isBlank()) throw PalException.badInput("text[" + i + "]", t == null ? "null" : "\"\"", "texts to embed must not be empty");
    }
    Encoding[] enc = tokenizer.batchEncode(texts);
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) order[i] = i;
    // length bucketing: batches of similar length waste no compute on padding
    if (bucketing) Arrays.sort(order, (a, b) -> Integer.compare(enc[a].getIds().length, enc[b].getIds().length));
    for (int from = 0; from < n; from += batchSize) {
      int to = Math.min(n, from + batchSize);
      run(enc, order, from, to, out);
    }
    return out;
  }

  private void run(Encoding[] enc, Integer[] order, int from, int to, float[][] out) {
    int b = to - from, len = 0;
    for (int i = from; i < to; i++) len = Math.max(len, enc[order[i]].getIds().length);
    long[] ids = new long[b * len], mask = new long[b * len], types = new long[b * len];
    for (int r = 0; r < b; r++) {
      Encoding e = enc[order[from + r]];
      long[] ii = e.getIds(), mm = e.getAttentionMask(), tt = e.getTypeIds();
      System.arraycopy(ii, 0, ids, r * len, ii.length);
      System.arraycopy(mm, 0, mask, r * len, mm.length);
      System.arraycopy(tt, 0, types, r * len, tt.length);
    }
    long[] shape = {b, len};
    try (OnnxTensor tIds = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
         OnnxTensor tMask = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
         OnnxTensor tTypes = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape)) {
      Map<String, OnnxTensor> in = hasTypeIds
          ? Map.of("input_ids", tIds, "attention_mask", tMask, "token_type_ids", tTypes)
          : Map.of("input_ids", tIds, "attention_mask", tMask);
      try (OrtSession.Result res = session.run(in, Set.of(outputName))) {
        OnnxTensor t = (OnnxTensor) res.get(0);
        long[] s = t.getInfo().getShape();
        if (s.length != 3 || s[0] != b || s[1] != len) {
          throw PalException.userInput("model output " + outputName + " has shape " + Arrays.toString(s) + "; expected [" + b + ", " + len + ", dim]");
        }
        int d = (int) s[2];
        java.nio.FloatBuffer fb = t.getFloatBuffer();
        for (int r = 0; r < b; r++) {
          float[] v = new float[d];
          if (meanPooling) {
            int count = 0;
            for (int p = 0; p < len; p++) {
              if (mask[r * len + p] == 0) continue;
              count++;
              int base = (r * len + p) * d;
              for (int j = 0; j < d; j++) v[j] += fb.get(base + j);
            }
            for (int j = 0; j < d; j++) v[j] /= Math.max(count, 1);
          } else {
            int base = r * len * d;
            for (int j = 0; j < d; j++) v[j] = fb.get(base + j);
          }
          if (normalize) {
            double nrm = 0;
            for (float x : v) nrm += x * x;
            float inv = (float) (1 / Math.max(Math.sqrt(nrm), 1e-12));
            for (int j = 0; j < d; j++) v[j] *= inv;
          }
          out[order[from + r]] = v;
        }
      }
    } catch (OrtException e) {
      throw PalException.environment("ONNX Runtime failed on a batch: " + e.getMessage(), e);
    }
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public String fingerprint() {
    return fingerprint;
  }

  @Override
  public void close() {
    try {
      if (session != null) session.close();
    } catch (OrtException e) {
      // closing twice or after a failed start: nothing left to release
    }
    if (tokenizer != null) tokenizer.close();
  }
}
