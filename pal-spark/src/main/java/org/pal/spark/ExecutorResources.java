package org.pal.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.spark.TaskContext;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import org.pal.core.spi.Embedder;
import org.pal.core.spi.ExtensionPoint;

/**
 * What an executor JVM opens once and shares between all its tasks: the plugin registry, encoders
 * (one per distinct config) and models (one per archive content and encoder choice). Tasks of one
 * executor run as threads of one JVM; embedders and {@link RewardModel} scoring are thread-safe, and
 * models handed out here have their shared parameters frozen so concurrent enrolments never touch
 * them.
 *
 * <p>The first use sets this JVM's PAL workers to one ({@link PalApi#useThreads}): each task is one
 * thread. In local mode that is the driver's JVM too.
 *
 * <p>"Once per JVM" is once per class loader that loads this class: Spark loads an application jar
 * with one loader per executor (also under {@code spark.executor.userClassPathFirst}), so that is once
 * per executor; {@link #created()} counts what was opened so tests can check it.
 */
final class ExecutorResources {
  /** Set by Spark's executor environment ({@code spark.executorEnv.ORT_DISABLE_TELEMETRY=1}) or the launcher. */
  static final String TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY";

  private static final Map<String, Object> OPEN = new ConcurrentHashMap<>();
  private static final AtomicInteger CREATED = new AtomicInteger();
  private static volatile PalApi api;
  /** Reads the process environment; replaceable in tests. */
  static volatile Function<String, String> environment = System::getenv;

  private ExecutorResources() {}

  /** How many encoders and models this JVM has opened so far. */
  static int created() {
    return CREATED.get();
  }

  static PalApi api() {
    PalApi a = api;
    if (a == null) {
      synchronized (ExecutorResources.class) {
        if (api == null) {
          // Spark's task slots are the parallelism: a task's enrolment split over N workers would run
          // N x slots threads on the executor's cores (and the fits of N = 1 are the sequential loop's)
          PalApi.useThreads(1);
          api = PalApi.create();
        }
        a = api;
      }
    }
    return a;
  }

  /**
   * The executor's encoder for a JSON embedder config, opened on first use. Inside a task, a config
   * that leaves {@code threads} out gets the task's CPUs ({@link #perCaller}).
   */
  static Embedder embedder(String config) {
    TaskContext task = TaskContext.get();
    String own = task == null ? config : perCaller(config, task.cpus());
    return (Embedder) OPEN.computeIfAbsent("embedder " + own, k -> {
      requireTelemetryOff();
      Embedder e = api().registry().embedder(Json.parse(own));
      CREATED.incrementAndGet();
      return e;
    });
  }

  /**
   * {@code config} with {@code "threads": cpus} when its encoder's spec has a {@code threads} field
   * and the config leaves it out; otherwise unchanged. The executor's tasks share one encoder and
   * each calls it on its own batches, so every call should use its task's CPUs: an encoder's
   * default (every core of the machine, per call) runs slots x cores threads on the executor's
   * cores, and ONNX Runtime's spinning workers then fight over them.
   */
  static String perCaller(String config, int cpus) {
    JsonNode node = Json.parse(config);
    if (!(node instanceof ObjectNode o) || o.has("threads")) return config;
    Class<?> spec = api().registry().lookup(ExtensionPoint.EMBEDDER, node, "encoder").specClass();
    boolean takesThreads = spec.isRecord() && java.util.Arrays.stream(spec.getRecordComponents())
        .anyMatch(c -> c.getName().equals("threads") && (c.getType() == Integer.class || c.getType() == int.class));
    return takesThreads ? Json.write(o.deepCopy().put("threads", cpus)) : config;
  }

  /**
   * The executor's copy of a shipped model archive, unpacked once into a temporary folder and loaded
   * through the API; {@code vectorsOnly} opens no encoder (scoring and enrolment on vectors).
   */
  static RewardModel model(ModelShipment archive, boolean vectorsOnly) {
    return (RewardModel) OPEN.computeIfAbsent("model " + archive.sha256() + (vectorsOnly ? " vectors" : " encoders"), k -> {
      if (!vectorsOnly) requireTelemetryOff();
      Path dir = archive.unpack();
      RewardModel m = api().load(dir, vectorsOnly ? PalApi.LoadOptions.vectors() : PalApi.LoadOptions.DEFAULT);
      m.engine().params().freeze(true); // enrolment then never flips the shared flag under a concurrent task
      CREATED.incrementAndGet();
      return m;
    });
  }

  /**
   * ONNX Runtime's telemetry reads the process command line and crashes a JVM whose command line is
   * over about 4 KB (Spark's launchers reach that); it must be off before any ORT environment exists,
   * and only the environment variable does that. PalSpark's session builder sets it for executors.
   */
  static void requireTelemetryOff() {
    String v = environment.apply(TELEMETRY_ENV);
    if (!"1".equals(v)) {
      throw new PalException(PalException.Kind.ENVIRONMENT, "this JVM would open ONNX Runtime with its telemetry on (" + TELEMETRY_ENV + " is "
          + (v == null ? "unset" : "\"" + v + "\"") + "), which can crash it; start the session with PalSpark.sessionBuilder(), or set "
          + "--conf spark.executorEnv." + TELEMETRY_ENV + "=1 (and export " + TELEMETRY_ENV + "=1 for the driver and local runs)");
    }
  }

  /** Closes and forgets everything (tests, or a driver that ran in local mode and carries on). */
  static synchronized void release() {
    for (Object o : OPEN.values()) {
      if (o instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception ignored) {
          // closing native sessions is best effort
        }
      }
    }
    OPEN.clear();
  }

  static void deleteTree(Path dir) {
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary folder left behind is harmless
    }
  }

  static JsonNode parse(String json) {
    return Json.parse(json);
  }
}
