package org.pal.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.PalPlugin;

/**
 * Test encoders: "server-words" (the normalised sum of one fixed random vector per word; no ONNX
 * model to load) and "server-gated" (the same, but each call first waits on {@link #GATE}, so a test
 * can hold the scoring thread and fill the queue).
 */
public final class ServerTestPlugin extends PalPlugin {
  public record Spec(Integer dim) {}

  /** When set, embedding calls of server-gated count ENTERED down and wait for the latch. */
  public static final AtomicReference<CountDownLatch> GATE = new AtomicReference<>();
  public static final AtomicReference<CountDownLatch> ENTERED = new AtomicReference<>();

  @Override
  protected void configurePlugin() {
    register(ExtensionPoint.EMBEDDER, "server-words", Spec.class, (s, c) -> new Words(s.dim() == null ? 16 : s.dim(), false), "test encoder");
    register(ExtensionPoint.EMBEDDER, "server-gated", Spec.class, (s, c) -> new Words(s.dim() == null ? 16 : s.dim(), true), "test encoder with a gate");
    register(ExtensionPoint.EMBEDDER, "server-pixels", Spec.class, (s, c) -> new Pixels(), "test image encoder: an image's mean colour");
  }

  /** Texts through the word hash (dimension 3), images as their mean red, green and blue in [0, 1]. */
  static final class Pixels implements org.pal.core.spi.ImageEmbedder {
    private final Words words = new Words(3, false);

    @Override public float[][] embed(List<String> texts) { return words.embed(texts); }

    @Override
    public float[][] embedImages(List<Path> images) {
      float[][] out = new float[images.size()][3];
      for (int i = 0; i < out.length; i++) {
        try {
          java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(images.get(i).toFile());
          int n = img.getWidth() * img.getHeight();
          for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) {
            int rgb = img.getRGB(x, y);
            out[i][0] += ((rgb >> 16) & 255) / 255f / n;
            out[i][1] += ((rgb >> 8) & 255) / 255f / n;
            out[i][2] += (rgb & 255) / 255f / n;
          }
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      return out;
    }

    @Override public int dimension() { return 3; }
    @Override public String fingerprint() { return "server-pixels:3"; }
    @Override public void close() {}
  }

  static final class Words implements Embedder {
    private final int dim;
    private final boolean gated;

    Words(int dim, boolean gated) {
      this.dim = dim;
      this.gated = gated;
    }

    @Override
    public float[][] embed(List<String> texts) {
      CountDownLatch g = GATE.get();
      if (gated && g != null) {
        CountDownLatch e = ENTERED.get();
        if (e != null) e.countDown();
        try {
          g.await();
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
        }
      }
      float[][] out = new float[texts.size()][dim];
      for (int i = 0; i < out.length; i++) {
        for (String w : texts.get(i).toLowerCase(Locale.ROOT).split("[^a-z]+")) {
          if (w.isEmpty()) continue;
          Random r = new Random(w.hashCode());
          for (int j = 0; j < dim; j++) out[i][j] += (float) r.nextGaussian();
        }
        double n = 0;
        for (float v : out[i]) n += v * v;
        n = Math.sqrt(n) + 1e-9;
        for (int j = 0; j < dim; j++) out[i][j] /= (float) n;
      }
      return out;
    }

    @Override public int dimension() { return dim; }
    @Override public String fingerprint() { return "server-words:" + dim; }
    @Override public void close() {}
  }

  static final String[] CATS = {"a cat purring on the sofa", "a kitten chasing yarn", "the cat naps in the sun", "a tabby cat watches birds",
      "my cat sleeps on the keyboard", "a fluffy kitten meows softly"};
  static final String[] DOGS = {"a dog fetching a stick", "the puppy wags its tail", "a dog barks at the mailman", "a loyal dog guards the house",
      "my dog runs in the park", "a playful puppy digs holes"};
  static final String[] PROMPTS = {"describe a pet", "tell me about an animal at home", "write one line about a companion"};

  /** Pet preferences: the first half of the users like cats, the rest dogs. */
  static Path writePets(Path file, int users, int pairsPerUser, long seed) throws IOException {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder();
    for (int u = 0; u < users; u++) {
      boolean likesCats = u < users / 2;
      for (int p = 0; p < pairsPerUser; p++) {
        String c = CATS[r.nextInt(CATS.length)], d = DOGS[r.nextInt(DOGS.length)];
        boolean catLeft = r.nextBoolean();
        sb.append(String.format("{\"user_id\": \"u%d\", \"prompt\": \"%s\", \"left\": \"%s\", \"right\": \"%s\", \"label\": %d}%n",
            u, PROMPTS[r.nextInt(PROMPTS.length)], catLeft ? c : d, catLeft ? d : c, (catLeft == likesCats) ? 1 : -1));
      }
    }
    Files.writeString(file, sb);
    return file;
  }
}
