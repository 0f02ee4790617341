package org.pal.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.pal.core.PalException;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.ImageEmbedder;
import org.pal.core.spi.PalPlugin;

/**
 * A deterministic encoder for tests ("spark-words": the normalised sum of one fixed random vector
 * per lower-cased word; an image is the vector of its bytes' hash, and bytes that are not an image
 * are refused), counting how many instances were built and how many calls reached them, so tests
 * see that an executor builds one and every task uses it.
 */
public final class SparkTestPlugin extends PalPlugin {
  public static final AtomicInteger CREATED = new AtomicInteger();
  public static final AtomicInteger CALLS = new AtomicInteger();

  public record Spec(Integer dim) {}

  @Override
  protected void configurePlugin() {
    register(ExtensionPoint.EMBEDDER, "spark-words", Spec.class, (s, c) -> new Words(s.dim() == null ? 16 : s.dim()),
        "test encoder: sum of per-word random vectors");
  }

  static final class Words implements ImageEmbedder {
    private final int dim;

    Words(int dim) {
      this.dim = dim;
      CREATED.incrementAndGet();
    }

    @Override
    public float[][] embed(List<String> texts) {
      CALLS.incrementAndGet();
      float[][] out = new float[texts.size()][];
      for (int i = 0; i < out.length; i++) out[i] = words(texts.get(i), dim);
      return out;
    }

    @Override
    public float[][] embedImages(List<Path> images) {
      CALLS.incrementAndGet();
      float[][] out = new float[images.size()][];
      for (int i = 0; i < out.length; i++) {
        try {
          byte[] b = Files.readAllBytes(images.get(i));
          if (b.length < 8 || (b[0] & 0xff) != 0x89) throw PalException.badInput("image", images.get(i).getFileName(), "does not decode as PNG");
          out[i] = words("image" + java.util.Arrays.hashCode(b), dim);
        } catch (IOException e) {
          throw PalException.badInput("image", images.get(i).getFileName(), "cannot be read");
        }
      }
      return out;
    }

    static float[] words(String text, int dim) {
      float[] v = new float[dim];
      for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
        if (w.isEmpty()) continue;
        Random r = new Random(w.hashCode());
        for (int j = 0; j < dim; j++) v[j] += (float) r.nextGaussian();
      }
      double n = 0;
      for (float x : v) n += x * x;
      n = Math.sqrt(n) + 1e-9;
      for (int j = 0; j < dim; j++) v[j] /= (float) n;
      return v;
    }

    @Override public int dimension() { return dim; }
    @Override public String fingerprint() { return "spark-words:" + dim; }
    @Override public void close() {}
  }
}
