package org.pal.cli;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.pal.core.PalException;
import org.pal.embeddings.CachingEmbedder;
import org.pal.embeddings.EmbeddingCache;
import org.pal.embeddings.OnnxSentenceEncoder;

/**
 * Encoder throughput, side by side on the same sentences: a plain ONNX Runtime loop (batch 32 in
 * input order, padded to the batch's longest, default session options) against the project's
 * encoder, for the full and the quantized MiniLM; and the cache-hit path.
 */
final class EmbedBench {
  private static final String[] WORDS = ("the a of and to in is was for on that with as by at from his her they this which be have "
      + "people time year day way man woman child world life hand part place case week company system program question work "
      + "government number night point home water room mother area money story fact month lot right study book eye job word "
      + "business issue side kind head house service friend father power hour game line end member law car city community name "
      + "president team minute idea kid body information back parent face others level office door health person art war history "
      + "party result change morning reason research girl guy moment air teacher force education quickly slowly gently bright "
      + "ancient modern quiet loud happy sad green blue river mountain forest garden music painting science market").split(" ");

  private EmbedBench() {}

  static List<String> sentences(int n, long seed) {
    Random r = new Random(seed);
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int len = 10 + r.nextInt(16); // 10 to 25 words
      StringBuilder sb = new StringBuilder();
      for (int w = 0; w < len; w++) {
        String word = WORDS[r.nextInt(WORDS.length)];
        sb.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word).append(w == len - 1 ? "." : " ");
      }
      out.add(sb.toString());
    }
    return out;
  }

  static Map<String, Object> run(int n, int rounds) throws Exception {
    List<String> texts = sentences(n, 7);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("workload", "embed");
    o.put("sentences", n);
    o.put("wordsPerSentence", "10-25");
    for (String model : List.of("all-minilm-l6-v2", "all-minilm-l6-v2-q")) {
      String[] res = OnnxSentenceEncoder.BUILT_IN.get(model);
      double plainBest = 0, oursBest = 0;
      try (OnnxSentenceEncoder ours = new OnnxSentenceEncoder(new OnnxSentenceEncoder.Spec("builtin:" + model, null, null, null, null, null, null, null));
           PlainLoop plain = new PlainLoop(res[0], res[1])) {
        plain.embed(texts.subList(0, 64));
        ours.embed(texts.subList(0, 64));
        for (int r = 0; r < rounds; r++) { // alternate, keep each one's best round
          long t0 = System.nanoTime();
          plain.embed(texts);
          plainBest = Math.max(plainBest, n / ((System.nanoTime() - t0) / 1e9));
          t0 = System.nanoTime();
          ours.embed(texts);
          oursBest = Math.max(oursBest, n / ((System.nanoTime() - t0) / 1e9));
        }
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("plainLoopSentencesPerSecond", Math.round(plainBest));
      m.put("palSentencesPerSecond", Math.round(oursBest));
      m.put("ratio", Math.round(oursBest / plainBest * 100) / 100.0);
      o.put(model, m);
    }
    o.put("cacheHitVectorsPerSecond", cacheHits());
    return o;
  }

  /** The hit path alone: 100,000 distinct cached texts looked up through CachingEmbedder. */
  private static long cacheHits() throws Exception {
    Path dir = Files.createTempDirectory("pal-cache-bench");
    try {
      FakeEmbedder fake = new FakeEmbedder();
      CachingEmbedder warm = new CachingEmbedder(fake, dir);
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < 100_000; i++) texts.add("cached sentence number " + i + " with some more words to hash");
      warm.embed(texts); // fills and flushes the cache
      CachingEmbedder reader = new CachingEmbedder(fake, dir); // a fresh process would open it like this
      reader.embed(texts.subList(0, 1000));
      long t0 = System.nanoTime();
      float[][] v = reader.embed(texts);
      double secs = (System.nanoTime() - t0) / 1e9;
      if (reader.encodedCount() != 0 || v.length != texts.size()) throw PalException.internal("cache bench missed the cache");
      return Math.round(texts.size() / secs);
    } finally {
      org.pal.core.archive.AtomicFiles.deleteTree(dir);
    }
  }

  private static final class FakeEmbedder implements org.pal.core.spi.Embedder {
    @Override public float[][] embed(List<String> texts) {
      float[][] out = new float[texts.size()][384];
      for (int i = 0; i < out.length; i++) out[i][i % 384] = 1;
      return out;
    }
    @Override public int dimension() { return 384; }
    @Override public String fingerprint() { return "bench-fake"; }
    @Override public void close() {}
  }

  /** The baseline: what one writes first with ONNX Runtime and the tokenizer, no bucketing. */
  private static final class PlainLoop implements AutoCloseable {
    final OrtEnvironment env = org.pal.embeddings.Ort.environment();
    final OrtSession session;
    final HuggingFaceTokenizer tokenizer;

    PlainLoop(String onnx, String tokenizerJson) throws Exception {
      try (InputStream m = EmbedBench.class.getClassLoader().getResourceAsStream(onnx);
           InputStream t = EmbedBench.class.getClassLoader().getResourceAsStream(tokenizerJson)) {
        session = env.createSession(m.readAllBytes(), new OrtSession.SessionOptions());
        tokenizer = HuggingFaceTokenizer.newInstance(t, Map.of("truncation", "true", "maxLength", "256", "padding", "true"));
      }
    }

    float[][] embed(List<String> texts) throws Exception {
      float[][] out = new float[texts.size()][];
      for (int from = 0; from < texts.size(); from += 32) {
        List<String> batch = texts.subList(from, Math.min(texts.size(), from + 32));
        Encoding[] enc = tokenizer.batchEncode(batch);
        int b = enc.length, len = enc[0].getIds().length;
        long[] ids = new long[b * len], mask = new long[b * len], types = new long[b * len];
        for (int r = 0; r < b; r++) {
          System.arraycopy(enc[r].getIds(), 0, ids, r * len, len);
          System.arraycopy(enc[r].getAttentionMask(), 0, mask, r * len, len);
          System.arraycopy(enc[r].getTypeIds(), 0, types, r * len, len);
        }
        long[] shape = {b, len};
        try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape);
             OrtSession.Result res = session.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", t))) {
          float[][][] h = (float[][][]) res.get(0).getValue();
          for (int r = 0; r < b; r++) {
            float[] v = new float[h[r][0].length];
            int c = 0;
            for (int p = 0; p < len; p++) {
              if (mask[r * len + p] == 0) continue;
              c++;
              for (int j = 0; j < v.length; j++) v[j] += h[r][p][j];
            }
            double nrm = 0;
            for (int j = 0; j < v.length; j++) { v[j] /= c; nrm += v[j] * v[j]; }
            for (int j = 0; j < v.length; j++) v[j] /= (float) Math.sqrt(nrm);
            out[from + r] = v;
          }
        }
      }
      return out;
    }

    @Override
    public void close() throws Exception {
      session.close();
      tokenizer.close();
    }
  }
}
