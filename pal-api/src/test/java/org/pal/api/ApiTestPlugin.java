package org.pal.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.ModelVariant;
import org.pal.core.spi.PalPlugin;
import org.pal.core.tensor.Tape;
import org.pal.core.tensor.Var;
import org.pal.models.PalA;

/**
 * A deterministic text encoder for tests ("test-words": the normalised sum of one fixed random
 * vector per lower-cased word), counting every text it encodes, so tests can check that each
 * distinct input is encoded once without loading an ONNX model; and "test-unfactorized", a model
 * variant without the factorized scoring capability.
 */
public final class ApiTestPlugin extends PalPlugin {
  public static final AtomicInteger TEXTS = new AtomicInteger();
  /** Encoders closed so far: every opened encoder must be closed exactly once. */
  public static final AtomicInteger CLOSED = new AtomicInteger();

  /** @param poison a word whose texts embed as NaN (a broken encoder), or null */
  public record Spec(Integer dim, String poison) {}

  @Override
  protected void configurePlugin() {
    register(ExtensionPoint.EMBEDDER, "test-words", Spec.class, (s, c) -> new Words(s.dim() == null ? 16 : s.dim(), s.poison()),
        "test encoder: sum of per-word random vectors");
    register(ExtensionPoint.MODEL, "test-unfactorized", PalA.Spec.class, (s, c) -> new Unfactorized(new PalA(s, c)),
        "PAL-A without the FactorizedVariant capability: scored row by row");
  }

  /**
   * PAL-A (same spec, same parameter names, so the same initial values for a seed) seen only as a
   * {@link ModelVariant}: a plugin variant that does not factorize, which scoring must handle through
   * {@link ModelVariant#utilities} and which must give PAL-A's rewards.
   */
  static final class Unfactorized implements ModelVariant {
    private final ModelVariant inner;

    Unfactorized(ModelVariant inner) {
      this.inner = inner;
    }

    @Override
    public Var[] utilities(Tape tape, Var weights, Var prompts, Random random, Var... items) {
      return inner.utilities(tape, weights, prompts, random, items);
    }

    @Override
    public int k() {
      return inner.k();
    }
  }

  static final class Words implements Embedder {
    private final int dim;
    private final String poison;

    Words(int dim, String poison) {
      this.dim = dim;
      this.poison = poison;
    }

    @Override
    public float[][] embed(List<String> texts) {
      TEXTS.addAndGet(texts.size());
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
        if (poison != null && texts.get(i).contains(poison)) out[i][dim - 1] = Float.NaN;
      }
      return out;
    }

    @Override public int dimension() { return dim; }
    @Override public String fingerprint() { return "test-words:" + dim; }
    @Override public void close() { CLOSED.incrementAndGet(); }
  }

  /** Pet preferences: the first half of the users like cats, the rest dogs; left/right/label rows. */
  static Path writePets(Path file, int users, int pairsPerUser, long seed) throws java.io.IOException {
    String[] cats = {"a cat purring on the sofa", "a kitten chasing yarn", "the cat naps in the sun", "a tabby cat watches birds",
        "my cat sleeps on the keyboard", "a fluffy kitten meows softly"};
    String[] dogs = {"a dog fetching a stick", "the puppy wags its tail", "a dog barks at the mailman", "a loyal dog guards the house",
        "my dog runs in the park", "a playful puppy digs holes"};
    String[] prompts = {"describe a pet", "tell me about an animal at home", "write one line about a companion"};
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder();
    for (int u = 0; u < users; u++) {
      boolean likesCats = u < users / 2;
      for (int p = 0; p < pairsPerUser; p++) {
        String c = cats[r.nextInt(cats.length)], d = dogs[r.nextInt(dogs.length)];
        boolean catLeft = r.nextBoolean();
        int label = (catLeft == likesCats) ? 1 : -1;
        sb.append(String.format("{\"user_id\": \"u%d\", \"prompt\": \"%s\", \"left\": \"%s\", \"right\": \"%s\", \"label\": %d}%n",
            u, prompts[r.nextInt(prompts.length)], catLeft ? c : d, catLeft ? d : c, label));
      }
    }
    java.nio.file.Files.writeString(file, sb);
    return file;
  }
}
