package org.pal.embeddings;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The one way PAL gets an ONNX Runtime environment, with ORT's telemetry off before it exists.
 *
 * <p>ORT 1.29's native library starts a telemetry client when its environment is created: it reads
 * {@code /proc/self/cmdline} and {@code /etc/machine-id}, writes a device id under
 * {@code ~/.cache/Microsoft/}, and with a command line over about 4 KB it crashes the whole JVM.
 * The only switch that acts before creation is the {@code ORT_DISABLE_TELEMETRY=1} environment
 * variable, read by the native code with {@code getenv}; the Java API's {@code setTelemetry(false)}
 * comes too late. Java cannot set its own process environment, so this class appends the variable
 * to the C {@code environ} array through JavaCPP (already on the class path for BLAS) before the
 * first environment is created. Every PAL entry point (CLI, library, tests, server, Spark
 * executors) reaches ORT through {@link #environment()}, so all are covered.
 */
public final class Ort {
  private static final Logger LOG = Logger.getLogger(Ort.class.getName());
  public static final String VARIABLE = "ORT_DISABLE_TELEMETRY";
  // the new environ array and its string must live as long as the process: never freed
  private static final List<Pointer> KEEP = new ArrayList<>();
  private static boolean done;

  private Ort() {}

  /** ORT's shared environment, created (once) with telemetry off. */
  public static synchronized OrtEnvironment environment() {
    disableTelemetry();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try {
      env.setTelemetry(false); // belt and braces for events after creation
    } catch (OrtException e) {
      LOG.fine("ORT setTelemetry(false): " + e.getMessage());
    }
    return env;
  }

  /** Sets {@code ORT_DISABLE_TELEMETRY=1} in this process's C environment (idempotent). */
  public static synchronized void disableTelemetry() {
    if (done) return;
    done = true;
    try {
      Pointer environVar = Loader.addressof("environ");
      if (environVar == null || environVar.isNull()) {
        LOG.warning("cannot find the C environment; set " + VARIABLE + "=1 before starting Java to keep ONNX Runtime's telemetry off");
        return;
      }
      PointerPointer<?> holder = new PointerPointer<>(environVar);
      holder.capacity(1);
      PointerPointer<?> old = new PointerPointer<>(holder.get(0));
      int n = 0;
      while (true) {
        old.capacity(n + 1);
        Pointer entry = old.get(n);
        if (entry == null || entry.isNull()) break;
        String kv = new BytePointer(entry).getString();
        if (kv.equals(VARIABLE + "=1")) return; // already off
        n++;
      }
      PointerPointer<?> fresh = new PointerPointer<>(n + 2);
      int m = 0;
      for (int i = 0; i < n; i++) {
        Pointer entry = old.get(i);
        // an explicit other value (ORT_DISABLE_TELEMETRY=0) is replaced: telemetry crashes long command lines
        if (new BytePointer(entry).getString().startsWith(VARIABLE + "=")) continue;
        fresh.put(m++, entry);
      }
      BytePointer ours = new BytePointer(VARIABLE + "=1");
      fresh.put(m++, ours);
      fresh.put(m, (Pointer) null);
      KEEP.add(fresh);
      KEEP.add(ours);
      holder.put(0, fresh); // one aligned pointer store: readers see the old array or the new one
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      LOG.warning("cannot turn ONNX Runtime's telemetry off from inside Java (" + e + "); set " + VARIABLE + "=1 before starting Java");
    }
  }
}
