package org.pal.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;
import org.pal.core.archive.AtomicFiles;
import org.pal.core.fuzz.Outcome;
import org.pal.core.spi.Embedder;

/** The embedding cache never serves corruption, never stores NaN, and never costs finished work. */
class CacheIntegrityTest {
  /** A deterministic fake encoder: vector i of text t is t.length() + i, or NaN when asked to. */
  static final class Fake implements Embedder {
    final AtomicInteger calls = new AtomicInteger();
    final boolean nan;

    Fake(boolean nan) {
      this.nan = nan;
    }

    @Override
    public float[][] embed(List<String> texts) {
      calls.addAndGet(texts.size());
      float[][] out = new float[texts.size()][4];
      for (int i = 0; i < out.length; i++) for (int j = 0; j < 4; j++) out[i][j] = nan && j == 2 ? Float.NaN : texts.get(i).length() + j;
      return out;
    }

    @Override
    public int dimension() {
      return 4;
    }

    @Override
    public String fingerprint() {
      return "fake";
    }

    @Override
    public void close() {}
  }

  private static Path segment(Path cacheDir) throws Exception {
    try (var s = Files.list(cacheDir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("seg-")).findFirst().orElseThrow();
    }
  }

  @Test
  void flippedBytesAreDroppedRecomputedAndTheSegmentQuarantined(@TempDir Path root) throws Exception {
    Fake inner = new Fake(false);
    CachingEmbedder first = new CachingEmbedder(inner, root);
    float[][] truth = first.embed(List.of("alpha", "beta", "gamma"));
    Path seg = segment(first.cache().directory());
    byte[] b = Files.readAllBytes(seg);
    b[8 + 32 + 5] ^= 0x7f; // inside the first record's vector
    Files.write(seg, b);
    Fake again = new Fake(false);
    CachingEmbedder second = new CachingEmbedder(again, root);
    assertThat(second.cache().droppedRecords()).isEqualTo(1);
    assertThat(second.cache().quarantinedSegments()).hasSize(1);
    assertThat(second.cache().directory().resolve("quarantine").resolve(seg.getFileName())).exists();
    assertThat(second.embed(List.of("alpha", "beta", "gamma"))).isDeepEqualTo(truth);
    assertThat(again.calls.get()).isEqualTo(1); // only the damaged one was encoded again
    assertThat(second.hitCount()).isEqualTo(2);
    // the good records of the quarantined segment were written again: a third run needs the encoder for nothing
    Fake third = new Fake(false);
    CachingEmbedder t = new CachingEmbedder(third, root);
    assertThat(t.embed(List.of("alpha", "beta", "gamma"))).isDeepEqualTo(truth);
    assertThat(third.calls.get()).isZero();
  }

  @Test
  void nonFiniteEncoderOutputIsAnErrorAndIsNeverCached(@TempDir Path root) throws Exception {
    CachingEmbedder e = new CachingEmbedder(new Fake(true), root);
    assertThatThrownBy(() -> e.embed(List.of("x"))).isInstanceOf(PalException.class).hasMessageContaining("non-finite")
        .extracting(x -> ((PalException) x).kind()).isEqualTo(PalException.Kind.USER_INPUT);
    assertThat(e.cache().size()).isZero();
    try (var s = Files.list(e.cache().directory())) {
      assertThat(s.filter(p -> p.getFileName().toString().startsWith("seg-"))).isEmpty();
    }
  }

  @Test
  void aCacheThatCannotBeWrittenOrOpenedCostsNoWork(@TempDir Path root) throws Exception {
    CachingEmbedder e = new CachingEmbedder(new Fake(false), root.resolve("c"));
    // the cache folder disappears and a file takes its place: writing a segment fails (even as root)
    AtomicFiles.deleteTree(e.cache().directory());
    Files.writeString(e.cache().directory(), "not a folder");
    assertThat(e.embed(List.of("kept"))[0]).containsExactly(4f, 5f, 6f, 7f);
    assertThat(e.embed(List.of("again"))[0]).containsExactly(5f, 6f, 7f, 8f);
    Path file = root.resolve("file");
    Files.writeString(file, "x");
    CachingEmbedder none = new CachingEmbedder(new Fake(false), file); // cannot even be opened
    assertThat(none.cache()).isNull();
    assertThat(none.embed(List.of("ab"))[0]).containsExactly(2f, 3f, 4f, 5f);
  }

  @Provide
  Arbitrary<byte[]> segments() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(400);
  }

  /** Any bytes as a segment: the cache opens, and every vector it serves is finite and of the right length. */
  @Property(tries = 200)
  void anySegmentBytesOpenSafely(@ForAll("segments") byte[] bytes, @ForAll boolean validHeader) throws Exception {
    Path root = Files.createTempDirectory("pal-cache-fuzz");
    try {
      CachingEmbedder seed = new CachingEmbedder(new Fake(false), root);
      seed.embed(List.of("a", "bb"));
      Path dir = seed.cache().directory();
      byte[] content = bytes;
      if (validHeader) {
        byte[] good = Files.readAllBytes(segment(dir));
        content = good.clone();
        for (int i = 0; i < bytes.length && i < content.length; i++) if (bytes[i] % 3 == 0) content[8 + (i * 7) % (content.length - 8)] ^= bytes[i];
      }
      Files.write(dir.resolve("seg-0-fuzz.bin"), content);
      EmbeddingCache c = Outcome.of(() -> new EmbeddingCache(root, "fake", 4));
      assertThat(c).isNotNull();
      for (String t : List.of("a", "bb")) {
        float[] v = c.get(EmbeddingCache.key(t));
        if (v != null) {
          Outcome.finite(v);
          assertThat(v).hasSize(4);
        }
      }
    } finally {
      AtomicFiles.deleteTree(root);
    }
  }
}
