package org.pal.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pal.api.Dataset;
import org.pal.api.PalApi;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Table;
import org.pal.core.train.StepProfile;
import org.pal.core.train.TrainResult;
import org.pal.core.train.TrainerSpec;
import org.pal.models.PalB;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Training throughput of PAL-B with the reference projector (3 linear layers of width d, GELU), batch
 * 256, 1,000 users, random data, after a warm-up: the same workloads as
 * {@code shared/bench/palb_reference_torch.py}. Workload {@code memory} trains on 40 million
 * comparisons over a 4,000 x 384 prompt table (the paper's Persona scale) and reports the heap.
 */
@Command(name = "bench", description = {"Training throughput (workloads S, L), memory at Persona scale (memory), text encoder",
    "throughput against a plain ONNX Runtime loop and the cache-hit path (embed), or loading 1,000,000 generic-format records",
    "with precomputed vectors (records), or scoring and enrolment through the library API (score); prints one JSON object."})
final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--workload", required = true, description = "S (D=384, d=16, K=4), L (D=1024, d=512, K=2) or memory") String workload;
  @Option(names = "--pairs", description = "training pairs (one epoch; default: 51200 for S, 10240 for L, as the yardstick); a timed run trains as many epochs as last --min-seconds") Integer pairs;
  @Option(names = "--runs", defaultValue = "5", description = "timed runs after the warm-up (default ${DEFAULT-VALUE}); min, median and max are reported") int runs;
  @Option(names = "--min-seconds", defaultValue = "2", description = "each timed run lasts at least this long (default ${DEFAULT-VALUE})") double minSeconds;
  @Option(names = "--threads", description = PalCommand.THREADS) Integer threads;
  @Option(names = "--scaling", split = ",", description = "S, L: worker counts measured in this one process, e.g. 1,2: each is warmed up, "
      + "then their timed runs alternate so that a drift of the machine's speed hits all alike; prints each count's "
      + "min/median/max and its median over the first count's (overrides --threads)") List<Integer> scaling;
  @Option(names = "--profile", description = "S, L: time the phases of each training step (forward, backward, waits, optimizer) and print microseconds per step for each worker count") boolean profile;
  @Option(names = "--comparisons", defaultValue = "40000000", description = "memory workload: comparisons (default ${DEFAULT-VALUE})") int comparisons;
  @Option(names = "--sentences", defaultValue = "2000", description = "embed workload: sentences (default ${DEFAULT-VALUE})") int sentences;
  @Option(names = "--steps", defaultValue = "200", description = "memory workload: mini-batches to train (default ${DEFAULT-VALUE})") int steps;

  @CommandLine.Mixin ServeBench.Options serve = new ServeBench.Options();

  @Override
  public void run() {
    PalCommand.configureThreads(threads);
    if (runs < 1) throw PalException.badInput("--runs", runs, "must be at least 1");
    if (!(minSeconds > 0)) throw PalException.badInput("--min-seconds", minSeconds, "must be positive");
    Map<String, Object> out = switch (workload) {
      case "S", "s" -> throughput("S", 384, 16, 4, pairs != null ? pairs : 51200);
      case "L", "l" -> throughput("L", 1024, 512, 2, pairs != null ? pairs : 10240);
      case "memory" -> memory();
      case "embed" -> embed();
      case "records" -> records();
      case "score" -> ScoreBench.run(minSeconds);
      case "serve" -> ServeBench.run(serve);
      default -> throw PalException.badInput("--workload", workload, "valid workloads: [S, L, memory, embed, records, score, serve]");
    };
    spec.commandLine().getOut().println(Json.write(out));
  }

  private static PalConfig palB(int d, int k, int epochs) {
    ObjectNode m = PalConfig.typed("pal-b");
    m.put("k", k).put("dim", d);
    m.set("itemProjector", PalB.Spec.referenceMlp());
    String groups = "{\"mapping\":{\"lr\":1e-4,\"weightDecay\":1e-2},\"prototypes\":{\"lr\":1e-4,\"weightDecay\":1e-2},"
        + "\"users\":{\"lr\":1e-4,\"weightDecay\":1e-2},\"scale\":{\"lr\":1e-4,\"weightDecay\":1e-2}}";
    TrainerSpec t;
    try {
      t = new TrainerSpec(epochs, 256, 0L, 0, Json.mapper().readValue(groups,
          Json.mapper().getTypeFactory().constructMapType(Map.class, String.class, org.pal.core.train.GroupSpec.class)), null, null, null);
    } catch (IOException e) {
      throw PalException.internal(e.getMessage());
    }
    return new PalConfig(m, null, null, null, t);
  }

  /** Random data shaped like the yardstick's: a fresh prompt, left and right vector per pair. */
  private static SplitDataset randomData(int n, int dim, int users, int validation, long seed) {
    Random r = new Random(seed);
    int total = n + validation;
    float[] items = new float[2 * total * dim], prompts = new float[total * dim];
    for (int i = 0; i < items.length; i++) items[i] = (float) r.nextGaussian();
    for (int i = 0; i < prompts.length; i++) prompts[i] = (float) r.nextGaussian();
    int[] user = new int[total], prompt = new int[total], left = new int[total], right = new int[total];
    byte[] label = new byte[total];
    for (int i = 0; i < total; i++) {
      user[i] = r.nextInt(users); prompt[i] = i; left[i] = 2 * i; right[i] = 2 * i + 1; label[i] = (byte) (r.nextBoolean() ? 1 : -1);
    }
    List<String> ids = new ArrayList<>();
    for (int u = 0; u < users; u++) ids.add("u" + u);
    PreferenceDataset d = new PreferenceDataset(new Table("items", items, 2 * total, dim), new Table("prompts", prompts, total, dim), ids,
        new Pairs(user, prompt, left, right, label));
    int[] seen = new int[users];
    for (int u = 0; u < users; u++) seen[u] = u;
    int[] train = new int[n], val = new int[validation];
    for (int i = 0; i < n; i++) train[i] = i;
    for (int i = 0; i < validation; i++) val[i] = n + i;
    return new SplitDataset(d, seen, new int[0], train, val, new int[0], new int[0]);
  }

  /**
   * "on" or "off": whether this JVM asked for transparent huge pages for its heap
   * (-XX:+UseTransparentHugePages), with the kernel's setting beside it, e.g. "on (kernel: madvise)".
   */
  static String heapHugePages() {
    String jvm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption("UseTransparentHugePages").getValue();
    String kernel = "unknown";
    try {
      Matcher m = Pattern.compile("\\[(\\w+)]").matcher(Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled")));
      if (m.find()) kernel = m.group(1);
    } catch (IOException | RuntimeException e) {
      // not Linux, or no transparent huge pages: "unknown"
    }
    return ("true".equals(jvm) ? "on" : "off") + " (kernel: " + kernel + ")";
  }

  /**
   * Warm-up until the figure stops rising, then {@code runs} timed runs of at least {@code minSeconds}
   * each on fresh models (same seed): min, median and max pairs/s. With {@code --scaling}, every worker
   * count is warmed up and the counts' timed runs alternate (1, 2, 1, 2, ...), so that a change of the
   * machine's speed during the sitting (a shared VM drifts by 10-20 %) hits every count alike.
   */
  private Map<String, Object> throughput(String name, int dim, int d, int k, int n) {
    List<Integer> counts = scaling != null && !scaling.isEmpty() ? scaling : List.of(org.pal.core.tensor.Threads.workers());
    for (int c : counts) {
      if (c < 1) throw PalException.badInput("--scaling", counts, "every worker count must be at least 1, e.g. --scaling 1,2");
    }
    if (counts.stream().distinct().count() != counts.size()) {
      throw PalException.badInput("--scaling", counts, "name each worker count once, e.g. --scaling 1,2");
    }
    PalApi api = PalApi.create();
    Dataset data = new Dataset(randomData(n, dim, 1000, 256, 1), null, null);
    List<Map<String, Object>> perCount = new ArrayList<>();
    List<Integer> epochs = new ArrayList<>();
    for (int c : counts) {
      PalCommand.configureThreads(c);
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("threads", c);
      epochs.add(warmUp(api, data, d, k, n, c, o));
      o.put("runSeconds", new ArrayList<Double>());
      o.put("runPairsPerSecond", new ArrayList<Long>());
      perCount.add(o);
    }
    int params = 0;
    List<List<Map<String, Object>>> profiles = new ArrayList<>();
    for (int j = 0; j < counts.size(); j++) profiles.add(new ArrayList<>());
    if (profile) StepProfile.enable();
    try {
      for (int i = 0; i < runs; i++) {
        for (int j = 0; j < counts.size(); j++) {
          PalCommand.configureThreads(counts.get(j));
          if (profile) StepProfile.reset(); // each run's profile on its own
          PalApi.Trained t = timedRun(api, data, d, k, epochs.get(j), counts.get(j));
          params = t.model().engine().params().size();
          record(perCount.get(j), t.result());
          perCount.get(j).put("parallelism", t.result().parallelism());
          if (profile) profiles.get(j).add(stepPhases(t.result()));
        }
      }
    } finally {
      if (profile) StepProfile.disable();
    }
    if (profile) {
      for (int j = 0; j < counts.size(); j++) perCount.get(j).put("profileMicrosPerStep", meanOf(profiles.get(j)));
    }
    if (scaling != null) PalCommand.configureThreads(threads); // back to this command's own setting
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("workload", name);
    o.put("D", dim); o.put("d", d); o.put("k", k); o.put("batch", 256); o.put("users", 1000);
    o.put("params", params);
    o.put("pairsPerEpoch", n);
    // OpenBLAS picks its kernels from the CPU unless told (OPENBLAS_CORETYPE): it changes the figures a lot
    o.put("openblasCoreType", System.getenv().getOrDefault("OPENBLAS_CORETYPE", "detected"));
    // so do the heap's pages: the training gathers rows at random from tables of tens of MB (pal-cli/bin/pal turns them on)
    o.put("heapHugePages", heapHugePages());
    for (Map<String, Object> c : perCount) summarise(c);
    if (counts.size() == 1) {
      o.putAll(perCount.get(0));
      o.put("pairsPerSecond", perCount.get(0).get("median"));
    } else {
      double base = ((Number) perCount.get(0).get("median")).doubleValue();
      for (Map<String, Object> c : perCount) {
        c.put("overFirst", Math.round(((Number) c.get("median")).doubleValue() / base * 1000) / 1000.0);
      }
      o.put("runOrder", "alternating: one timed run of each worker count in turn, " + runs + " rounds");
      o.put("scaling", perCount);
    }
    return o;
  }

  /**
   * Two warm-up phases for {@code workers} workers, recorded in {@code o}: short rounds until the figure
   * stops rising (it sizes the runs), then whole runs of the timed length until those stop rising too
   * (the JIT may still improve code that only long runs reach). Returns the epochs a timed run trains.
   */
  private int warmUp(PalApi api, Dataset data, int d, int k, int n, int workers, Map<String, Object> o) {
    PalConfig w = palB(d, k, 1);
    List<Long> warm = new ArrayList<>();
    // a round: short fits of up to 50 mini-batches (each with its validation pass, as an epoch of the
    // timed runs has) until half a second has passed; its figure is pairs trained / seconds training
    int steps = Math.max(1, Math.min(n / 256, 50));
    TrainerSpec ws = w.trainer();
    w = w.withTrainer(new TrainerSpec(1, ws.batchSize(), ws.seed(), 0, ws.groups(), null, null, steps, workers));
    long warmStart = System.nanoTime();
    Plateau rounds = new Plateau();
    while (true) {
      double trained = 0, seconds = 0;
      while (seconds < 0.5) {
        TrainResult r = api.train(w, data).result();
        trained += r.pairsPerSecond() * r.trainSeconds();
        seconds += r.trainSeconds();
      }
      double rate = trained / seconds;
      warm.add(Math.round(rate));
      rounds.offer(rate);
      double warmSecs = (System.nanoTime() - warmStart) / 1e9;
      // plateau: three rounds in a row without a new high (by more than PLATEAU), after at least ten
      if ((warm.size() >= 10 && rounds.sinceBest >= 3) || warm.size() >= 60 || warmSecs > 120) break;
    }
    // a quarter to spare: a timed run may be faster than the warm-up's best round
    int epochs = epochsFor(rounds.best, n);
    List<Long> whole = new ArrayList<>();
    Plateau runs = new Plateau();
    // whole runs until two in a row bring no new high (by more than PLATEAU), at most eight
    while (whole.size() < 8 && runs.sinceBest < 2) {
      double rate = timedRun(api, data, d, k, epochs, workers).result().pairsPerSecond();
      whole.add(Math.round(rate));
      runs.offer(rate);
    }
    o.put("warmupPairsPerSecond", warm);
    o.put("warmupRunPairsPerSecond", whole);
    o.put("warmupSeconds", Math.round((System.nanoTime() - warmStart) / 1e8) / 10.0);
    int sized = epochsFor(Math.max(rounds.best, runs.best), n);
    o.put("epochsPerRun", sized);
    return sized;
  }

  private int epochsFor(double pairsPerSecond, int n) {
    return (int) Math.max(1, Math.ceil(1.25 * minSeconds * pairsPerSecond / n));
  }

  private static PalApi.Trained timedRun(PalApi api, Dataset data, int d, int k, int epochs, int workers) {
    PalConfig c = palB(d, k, epochs);
    return api.train(c.withTrainer(c.trainer().withThreads(workers)), data);
  }

  /** The step profile of one timed run, plus what the fit spent outside the steps (validation, epoch ends), per step. */
  private static Map<String, Object> stepPhases(TrainResult r) {
    Map<String, Object> p = StepProfile.microsPerStep();
    long steps = ((Number) p.get("steps")).longValue();
    double inSteps = ((Number) p.get("region")).doubleValue() + ((Number) p.get("update")).doubleValue();
    p.put("step", Math.round(r.trainSeconds() * 1e7 / Math.max(1, steps)) / 10.0);
    p.put("outsideSteps", Math.round((r.trainSeconds() * 1e6 / Math.max(1, steps) - inSteps) * 10) / 10.0);
    return p;
  }

  /** Field by field mean of the runs' profiles (microseconds per step). */
  private static Map<String, Object> meanOf(List<Map<String, Object>> runs) {
    Map<String, Object> o = new LinkedHashMap<>();
    for (String key : runs.get(0).keySet()) {
      double sum = 0;
      for (Map<String, Object> r : runs) sum += ((Number) r.get(key)).doubleValue();
      o.put(key, Math.round(sum / runs.size() * 10) / 10.0);
    }
    o.put("runs", runs.size());
    return o;
  }

  @SuppressWarnings("unchecked")
  private static void record(Map<String, Object> o, TrainResult r) {
    ((List<Double>) o.get("runSeconds")).add(Math.round(r.trainSeconds() * 100) / 100.0);
    ((List<Long>) o.get("runPairsPerSecond")).add(Math.round(r.pairsPerSecond()));
  }

  @SuppressWarnings("unchecked")
  private static void summarise(Map<String, Object> o) {
    List<Long> sorted = new ArrayList<>((List<Long>) o.get("runPairsPerSecond"));
    java.util.Collections.sort(sorted);
    long median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
        : Math.round((sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2.0);
    o.put("min", sorted.get(0));
    o.put("median", median);
    o.put("max", sorted.get(sorted.size() - 1));
  }

  /** A warm-up round counts as a new high only when it beats the best so far by more than this. */
  private static final double PLATEAU = 0.03;

  /** The best figure so far, and how many figures in a row have not beaten it by more than {@link #PLATEAU}. */
  private static final class Plateau {
    double best;
    int sinceBest;

    void offer(double rate) {
      sinceBest = rate > best * (1 + PLATEAU) ? 0 : sinceBest + 1;
      best = Math.max(best, rate);
    }
  }

  private Map<String, Object> memory() {
    int n = comparisons, users = 40_000, promptsN = 4000, dim = 384;
    Random r = new Random(3);
    float[] prompts = new float[promptsN * dim];
    for (int i = 0; i < prompts.length; i++) prompts[i] = (float) r.nextGaussian();
    float[] items = new float[2 * dim]; // the two answers of the Persona study, "yes" and "no"
    for (int i = 0; i < items.length; i++) items[i] = (float) r.nextGaussian();
    long tableBytes = 4L * (prompts.length + items.length);
    int[] user = new int[n], prompt = new int[n], left = new int[n], right = new int[n];
    byte[] label = new byte[n];
    for (int i = 0; i < n; i++) {
      user[i] = i % users; prompt[i] = r.nextInt(promptsN); left[i] = i & 1; right[i] = 1 - (i & 1); label[i] = (byte) (r.nextBoolean() ? 1 : -1);
    }
    List<String> ids = new ArrayList<>(users);
    for (int u = 0; u < users; u++) ids.add("u" + u);
    PreferenceDataset d = new PreferenceDataset(new Table("items", items, 2, dim), new Table("prompts", prompts, promptsN, dim), ids,
        new Pairs(user, prompt, left, right, label));
    int val = 4096;
    int[] train = new int[n - val], validation = new int[val];
    for (int i = 0; i < train.length; i++) train[i] = i;
    for (int i = 0; i < val; i++) validation[i] = train.length + i;
    int[] seen = new int[users];
    for (int u = 0; u < users; u++) seen[u] = u;
    SplitDataset split = new SplitDataset(d, seen, new int[0], train, validation, new int[0], new int[0]);
    PalConfig cfg = palB(16, 4, 1);
    cfg = cfg.withTrainer(new TrainerSpec(1, 256, 0L, 0, cfg.trainer().groups(), null, null, steps));
    PalApi api = PalApi.create();
    Dataset data = new Dataset(split, null, null);
    resetPeaks();
    TrainResult res = api.train(cfg, data).result();
    long peak = peakHeap();
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("workload", "memory");
    o.put("comparisons", n);
    o.put("promptTable", promptsN + " x " + dim);
    o.put("users", users);
    o.put("stepsTrained", steps);
    o.put("tableBytes", tableBytes);
    o.put("pairArrayBytes", 17L * n);
    o.put("peakHeapBytesDuringTraining", peak);
    o.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
    o.put("pairsPerSecond", Math.round(res.pairsPerSecond()));
    o.put("threads", res.threads());
    return o;
  }

  private Map<String, Object> embed() {
    try {
      return EmbedBench.run(sentences, 3);
    } catch (PalException e) {
      throw e;
    } catch (Exception e) {
      throw PalException.environment("embedding benchmark failed: " + e.getMessage(), e);
    }
  }

  /** Loads 1,000,000 generic-format records whose prompts and responses are precomputed vectors. */
  private Map<String, Object> records() {
    int n = 1_000_000, users = 10_000, prompts = 4_000, items = 20_000, dim = 384;
    java.nio.file.Path dir = null;
    try {
      dir = java.nio.file.Files.createTempDirectory("pal-records-bench");
      Random r = new Random(5);
      float[] pv = new float[prompts * dim], iv = new float[items * dim];
      for (int i = 0; i < pv.length; i++) pv[i] = (float) r.nextGaussian();
      for (int i = 0; i < iv.length; i++) iv[i] = (float) r.nextGaussian();
      org.pal.core.archive.Npy.writeFloats(dir.resolve("prompts.npy"), prompts, dim, pv);
      org.pal.core.archive.Npy.writeFloats(dir.resolve("items.npy"), items, dim, iv);
      java.nio.file.Path file = dir.resolve("records.jsonl");
      try (var w = java.nio.file.Files.newBufferedWriter(file)) {
        for (int i = 0; i < n; i++) {
          int a = r.nextInt(items), b = (a + 1 + r.nextInt(items - 1)) % items;
          w.write("{\"user_id\": \"u" + r.nextInt(users) + "\", \"prompt\": \"npy:prompts.npy#" + r.nextInt(prompts)
              + "\", \"left\": \"npy:items.npy#" + a + "\", \"right\": \"npy:items.npy#" + b + "\", \"label\": " + (r.nextBoolean() ? 1 : 0) + "}\n");
        }
      }
      long fileBytes = java.nio.file.Files.size(file);
      System.gc();
      long before = usedHeap();
      resetPeaks();
      long t0 = System.nanoTime();
      org.pal.datasets.RecordsDataset ds = new org.pal.datasets.RecordsDataset(
          new org.pal.datasets.RecordsDataset.Spec(file.toString(), null, null, null, null, false), Pal.load().registry());
      var data = ds.data();
      double secs = (System.nanoTime() - t0) / 1e9;
      long peak = peakHeap();
      System.gc();
      long retained = usedHeap() - before;
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("workload", "records");
      o.put("records", data.pairs().size());
      o.put("fileBytes", fileBytes);
      o.put("distinctPrompts", data.prompts().rows());
      o.put("distinctItems", data.items().rows());
      o.put("users", data.userIds().size());
      o.put("loadSeconds", Math.round(secs * 100) / 100.0);
      o.put("retainedHeapBytes", retained);
      o.put("tableBytes", 4L * dim * (data.prompts().rows() + data.items().rows()));
      o.put("pairArrayBytes", 17L * data.pairs().size());
      o.put("peakHeapBytesWhileLoading", peak);
      return o;
    } catch (java.io.IOException e) {
      throw PalException.environment("records benchmark: " + e.getMessage(), e);
    } finally {
      if (dir != null) {
        try {
          org.pal.core.archive.AtomicFiles.deleteTree(dir);
        } catch (java.io.IOException ignored) {
          // a temporary directory left behind is harmless
        }
      }
    }
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) p.resetPeakUsage();
  }

  private static long peakHeap() {
    long s = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) s += p.getPeakUsage().getUsed();
    return s;
  }
}
