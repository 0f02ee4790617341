package org.pal.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.spi.BuildContext;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ExtensionPoint;

class SentenceEncoderTest {
  static {
    Ort.disableTelemetry(); // langchain4j's reference model creates ORT's environment itself
  }

  static final List<String> SENTENCES = List.of(
      "The cat sat quietly on the warm windowsill all afternoon.",
      "A kitten rested calmly on the sunny window ledge for hours.",
      "Interest rates were raised again by the central bank this morning.",
      "The central bank increased borrowing costs once more today.",
      "She practiced the violin every evening before dinner.",
      "Every night before supper she rehearsed on her violin.",
      "The football match was postponed because of heavy rain.",
      "Heavy rainfall forced the soccer game to be delayed.",
      "Photosynthesis converts sunlight into chemical energy in plants.",
      "Plants turn light from the sun into chemical energy.",
      "He forgot his umbrella at the train station.",
      "The museum opened a new exhibition of impressionist paintings.",
      "Quantum computers use qubits that can be in superposition.",
      "My grandmother bakes the best apple pie in town.",
      "The hikers reached the summit just before sunset.",
      "Stock markets fell sharply after the earnings report.",
      "A good night's sleep improves memory and concentration.",
      "The new smartphone has a larger screen and a faster chip.",
      "Volunteers cleaned up the beach on Saturday morning.",
      "The orchestra performed a symphony by Beethoven.");

  static OnnxSentenceEncoder full;

  @BeforeAll
  static void load() {
    full = new OnnxSentenceEncoder(OnnxSentenceEncoder.Spec.defaults());
  }

  @AfterAll
  static void close() {
    full.close();
  }

  static double cosine(float[] a, float[] b) {
    double d = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
    return d / Math.sqrt(na * nb);
  }

  @Test
  void agreesWithTheIndependentLangchain4jImplementation() {
    float[][] ours = full.embed(SENTENCES);
    AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
    assertThat(full.dimension()).isEqualTo(384);
    for (int i = 0; i < SENTENCES.size(); i++) {
      float[] theirs = reference.embed(SENTENCES.get(i)).content().vector();
      assertThat(cosine(ours[i], theirs)).as("sentence %d", i).isGreaterThanOrEqualTo(0.9999);
    }
  }

  @Test
  void paraphrasesScoreHigherThanUnrelatedPairs() {
    float[][] v = full.embed(SENTENCES);
    double minParaphrase = 1, maxUnrelated = -1;
    for (int i = 0; i < 10; i += 2) minParaphrase = Math.min(minParaphrase, cosine(v[i], v[i + 1]));
    for (int i = 0; i < 10; i += 2) for (int j = 10; j < 20; j++) maxUnrelated = Math.max(maxUnrelated, cosine(v[i], v[j]));
    assertThat(minParaphrase).isGreaterThan(maxUnrelated);
    double norm = 0;
    for (float x : v[3]) norm += x * x;
    assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
  }

  @Test
  void bucketingAndBatchSizeDoNotChangeVectors() {
    try (OnnxSentenceEncoder plain = new OnnxSentenceEncoder(new OnnxSentenceEncoder.Spec(null, null, null, null, 1, false, null, 1))) {
      float[][] a = full.embed(SENTENCES), b = plain.embed(SENTENCES);
      for (int i = 0; i < a.length; i++) assertThat(cosine(a[i], b[i])).isGreaterThan(0.99999);
    }
  }

  @Test
  void quantizedTwinLoadsThroughTheSameCode() {
    try (OnnxSentenceEncoder q = new OnnxSentenceEncoder(new OnnxSentenceEncoder.Spec("builtin:all-minilm-l6-v2-q", null, null, null, null, null, null, null))) {
      float[][] a = full.embed(SENTENCES.subList(0, 4)), b = q.embed(SENTENCES.subList(0, 4));
      assertThat(q.dimension()).isEqualTo(384);
      assertThat(q.fingerprint()).isNotEqualTo(full.fingerprint());
      for (int i = 0; i < 4; i++) assertThat(cosine(a[i], b[i])).isGreaterThan(0.95);
    }
  }

  @Test
  void registryBuildsItFromJsonWithACache(@TempDir Path dir) {
    var node = PalConfig.typed("onnx-sentence");
    node.put("model", "builtin:all-minilm-l6-v2-q").put("cache", dir.toString());
    var registry = Pal.load().registry();
    try (Embedder e = registry.create(ExtensionPoint.EMBEDDER, node, new BuildContext(registry, null, "", "", 0, 0, 0, 0, 1, "embedder"))) {
      assertThat(e).isInstanceOf(CachingEmbedder.class);
      assertThat(e.embed(List.of("hello world"))[0]).hasSize(384);
    }
    node.put("pooling", "max");
    assertThatThrownBy(() -> registry.create(ExtensionPoint.EMBEDDER, node, new BuildContext(registry, null, "", "", 0, 0, 0, 0, 1, "embedder")))
        .hasMessageContaining("pooling = \"max\"").hasMessageContaining("[mean, cls]");
  }

  @Test
  void cacheServesASecondRunWithoutTheEncoderAndSurvivesKillsAndConcurrency(@TempDir Path dir) throws Exception {
    CachingEmbedder first = new CachingEmbedder(full, dir);
    float[][] a = first.embed(SENTENCES);
    assertThat(first.encodedCount()).isEqualTo(20);
    // a killed run leaves only a temporary file, which is never read
    Files.writeString(first.cache().directory().resolve(".seg-killed.tmp"), "half a segm");
    CachingEmbedder second = new CachingEmbedder(full, dir);
    float[][] b = second.embed(SENTENCES);
    assertThat(second.encodedCount()).isZero();
    for (int i = 0; i < a.length; i++) assertThat(b[i]).containsExactly(a[i]);
    // two writers at once: each writes its own segments; a third reader sees everything
    List<String> x = new ArrayList<>(), y = new ArrayList<>();
    for (int i = 0; i < 30; i++) { x.add("left writer sentence number " + i); y.add("right writer sentence number " + i); }
    CachingEmbedder w1 = new CachingEmbedder(full, dir), w2 = new CachingEmbedder(full, dir);
    CompletableFuture<float[][]> f1 = CompletableFuture.supplyAsync(() -> w1.embed(x)), f2 = CompletableFuture.supplyAsync(() -> w2.embed(y));
    f1.get();
    f2.get();
    CachingEmbedder third = new CachingEmbedder(full, dir);
    List<String> all = new ArrayList<>(x);
    all.addAll(y);
    all.addAll(SENTENCES);
    third.embed(all);
    assertThat(third.encodedCount()).isZero();
    assertThat(third.cache().size()).isEqualTo(80);
  }

  @Test
  void badInputIsNamed(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> full.embed(List.of("fine", " "))).hasMessageContaining("text[1]").hasMessageContaining("must not be empty");
    assertThatThrownBy(() -> new OnnxSentenceEncoder(new OnnxSentenceEncoder.Spec(dir.resolve("none").toString(), null, null, null, null, null, null, null)))
        .isInstanceOf(PalException.class).hasMessageContaining("none").hasMessageContaining("not a directory");
    Files.write(dir.resolve("model.onnx"), new byte[] {1, 2, 3, 4, 5});
    assertThatThrownBy(() -> new OnnxSentenceEncoder(new OnnxSentenceEncoder.Spec(dir.toString(), null, null, null, null, null, null, null)))
        .hasMessageContaining("tokenizer.json");
    Files.writeString(dir.resolve("tokenizer.json"), new String(OnnxSentenceEncoder.class.getClassLoader()
        .getResourceAsStream("all-minilm-l6-v2-tokenizer.json").readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    assertThatThrownBy(() -> new OnnxSentenceEncoder(new OnnxSentenceEncoder.Spec(dir.toString(), null, null, null, null, null, null, null)))
        .isInstanceOf(PalException.class).hasMessageContaining("not a loadable ONNX model");
    assertThatThrownBy(() -> new OnnxSentenceEncoder(new OnnxSentenceEncoder.Spec(null, null, null, null, null, null, "tpu", null)))
        .hasMessageContaining("device = \"tpu\"");
    assertThatThrownBy(() -> new OnnxSentenceEncoder(new OnnxSentenceEncoder.Spec("builtin:all-minilm-l6-v2-q", null, null, null, null, null, "cuda", null)))
        .hasMessageContaining("cuda").hasMessageContaining("-Pgpu");
    try (OnnxSentenceEncoder auto = new OnnxSentenceEncoder(new OnnxSentenceEncoder.Spec("builtin:all-minilm-l6-v2-q", null, null, null, null, null, "auto", null))) {
      assertThat(auto.embed(List.of("runs on the CPU"))[0]).hasSize(384);
    }
  }
}
