package org.pal.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;
import org.pal.api.Comparison;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.ScoreRequest;
import org.pal.api.User;
import org.pal.core.config.PalConfig;
import org.pal.core.spi.Embedder;
import org.pal.models.PalB;

/**
 * Scoring and enrolment through the library API ({@code pal bench --workload score}): rewards per
 * second on precomputed vectors for PAL-B and PAL-A (D = 384, d = 16, K = 4) at batch sizes 1, 64 and
 * 4,096, one user and one prompt per batch (best-of-n); raw text through the default MiniLM against
 * the bare encoder on the same sentences, cold and cached; and the time to enrol one new user from 20
 * comparisons on vectors. Every figure is the median (with min and max) of at least 5 timed runs of at
 * least {@code seconds} each, after a warm-up of the same length.
 */
final class ScoreBench {
  private ScoreBench() {}

  static Map<String, Object> run(double seconds) {
    PalApi api = PalApi.create();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("threads", 1);
    Random r = new Random(3);
    int dim = 384;
    for (String type : List.of("pal-b", "pal-a")) {
      try (RewardModel m = api.initialise(config(type), dim, dim, ids(100), null)) {
        Map<String, Object> byBatch = new LinkedHashMap<>();
        for (int b : new int[] {1, 64, 4096}) {
          double[][] w = new double[b][];
          float[][] p = new float[b][], x = new float[b][];
          float[] prompt = vec(r, dim);
          double[] uw = m.weights(User.id("u7"));
          for (int i = 0; i < b; i++) { w[i] = uw; p[i] = prompt; x[i] = vec(r, dim); }
          byBatch.put("batch-" + b, rate(seconds, () -> { m.rewards(w, p, x); return b; }, "rewards/s"));
        }
        out.put(type + " vectors", byBatch);
      }
    }
    // raw text: the default encoder alone, then the same sentences scored (encode + model)
    List<String> texts = EmbedBench.sentences(2000, 11);
    var encCfg = PalConfig.typed("onnx-sentence");
    PalConfig palB = config("pal-b");
    try (Embedder e = api.registry().embedder(encCfg); RewardModel m = api.initialise(palB, dim, dim, ids(100), encCfg)) {
      out.put("encoder alone (texts/s)", rate(seconds, () -> { e.embed(texts); return texts.size(); }, "texts/s"));
      List<Input> in = texts.stream().map(Input::text).toList();
      out.put("raw text scored, cold (texts/s)", rate(seconds, () -> {
        m.score(List.of(new ScoreRequest(User.id("u3"), Input.text("Which answer is more helpful?"), in)));
        return texts.size();
      }, "texts/s"));
    }
    java.nio.file.Path cache;
    try {
      cache = java.nio.file.Files.createTempDirectory("pal-bench-cache");
    } catch (java.io.IOException ex) {
      throw org.pal.core.PalException.environment("cannot create a temporary cache", ex);
    }
    ObjectNode cached = PalConfig.typed("onnx-sentence");
    cached.put("cache", cache.toString());
    try (RewardModel m = api.initialise(palB, dim, dim, ids(100), cached)) {
      List<Input> in = texts.stream().map(Input::text).toList();
      ScoreRequest q = new ScoreRequest(User.id("u3"), Input.text("Which answer is more helpful?"), in);
      m.score(List.of(q)); // fills the cache
      out.put("raw text scored, every text cached (texts/s)", rate(seconds, () -> { m.score(List.of(q)); return texts.size(); }, "texts/s"));
    } finally {
      try { org.pal.core.archive.AtomicFiles.deleteTree(cache); } catch (java.io.IOException ignored) { /* a temp dir */ }
    }
    // enrolment: one new user from 20 comparisons on vectors, median over 100 users
    try (RewardModel m = api.initialise(palB, dim, dim, ids(100), null)) {
      double[] ms = new double[100];
      for (int warm = 0; warm < 30; warm++) m.enrol(comparisons(r, "w" + warm, dim));
      for (int u = 0; u < ms.length; u++) {
        List<Comparison> cs = comparisons(r, "new" + u, dim);
        long t0 = System.nanoTime();
        m.enrol(cs);
        ms[u] = (System.nanoTime() - t0) / 1e6;
      }
      Arrays.sort(ms);
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("users", ms.length);
      e.put("median ms", round(ms[ms.length / 2]));
      e.put("min ms", round(ms[0]));
      e.put("max ms", round(ms[ms.length - 1]));
      out.put("pal-b enrol one user, 20 comparisons", e);
    }
    return out;
  }

  private static List<Comparison> comparisons(Random r, String user, int dim) {
    List<Comparison> cs = new ArrayList<>();
    for (int i = 0; i < 20; i++) cs.add(new Comparison(user, Input.vector(vec(r, dim)), Input.vector(vec(r, dim)), Input.vector(vec(r, dim))));
    return cs;
  }

  /** At least 5 runs of at least {@code seconds} each after a warm-up of the same length; min / median / max. */
  static Map<String, Object> rate(double seconds, LongSupplier work, String unit) {
    long warmEnd = System.nanoTime() + (long) (seconds * 1e9);
    while (System.nanoTime() < warmEnd) work.getAsLong();
    double[] rates = new double[5];
    for (int i = 0; i < rates.length; i++) {
      long t0 = System.nanoTime(), n = 0, end = t0 + (long) (seconds * 1e9), t;
      do { n += work.getAsLong(); t = System.nanoTime(); } while (t < end);
      rates[i] = n / ((t - t0) / 1e9);
    }
    Arrays.sort(rates);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("median " + unit, Math.round(rates[2]));
    o.put("min", Math.round(rates[0]));
    o.put("max", Math.round(rates[4]));
    return o;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static float[] vec(Random r, int d) {
    float[] v = new float[d];
    for (int i = 0; i < d; i++) v[i] = (float) r.nextGaussian();
    return v;
  }

  private static List<String> ids(int n) {
    List<String> l = new ArrayList<>();
    for (int i = 0; i < n; i++) l.add("u" + i);
    return l;
  }

  private static PalConfig config(String type) {
    ObjectNode m = PalConfig.typed(type);
    m.put("k", 4).put("dim", 16);
    if (type.equals("pal-b")) m.set("itemProjector", PalB.Spec.referenceMlp());
    else m.set("projector", PalB.Spec.referenceMlp());
    return new PalConfig(m, null, null, null, null);
  }
}
