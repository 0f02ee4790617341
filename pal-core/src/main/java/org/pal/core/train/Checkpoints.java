package org.pal.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.pal.core.PalException;
import org.pal.core.archive.AtomicFiles;
import org.pal.core.archive.InputFiles;
import org.pal.core.archive.Npy;
import org.pal.core.archive.OutputDir;
import org.pal.core.config.Json;

/**
 * Per-epoch training state in {@code DIR/epoch-NNNNNN/} (parameters, best parameters, Adam moments,
 * counters, and the identity of the run: full resolved config and data hash) with {@code DIR/LATEST}
 * naming the newest complete one. Each epoch directory is swapped in whole and LATEST is replaced
 * atomically, so a kill at any moment leaves a loadable checkpoint. Values are stored as float64,
 * which holds float32 exactly: a resumed run is bit-identical.
 */
public final class Checkpoints {
  /**
   * @param identity what must match for a run to continue from this state: see {@link #requireSameRun}
   */
  public record State(int epochsDone, long adamSteps, int bestEpoch, double bestValidationAccuracy, int badEpochs,
                      double lastLoss, JsonNode identity, double[] params, double[] best, double[] m, double[] v) {}

  private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("epoch-\\d{6,9}");

  private Checkpoints() {}

  public static void save(Path dir, State s) {
    String name = String.format("epoch-%06d", s.epochsDone());
    AtomicFiles.writeDirectory(dir.resolve(name), true, tmp -> {
      ObjectNode j = Json.mapper().createObjectNode();
      j.put("epochsDone", s.epochsDone()).put("adamSteps", s.adamSteps()).put("bestEpoch", s.bestEpoch())
          .put("bestValidationAccuracy", s.bestValidationAccuracy()).put("badEpochs", s.badEpochs())
          .put("lastLoss", s.lastLoss());
      j.set("identity", s.identity());
      Files.writeString(tmp.resolve("state.json"), Json.write(j));
      Npy.writeDoubles(tmp.resolve("params.npy"), 1, s.params().length, s.params());
      Npy.writeDoubles(tmp.resolve("best.npy"), 1, s.best().length, s.best());
      Npy.writeDoubles(tmp.resolve("adam_m.npy"), 1, s.m().length, s.m());
      Npy.writeDoubles(tmp.resolve("adam_v.npy"), 1, s.v().length, s.v());
    });
    AtomicFiles.writeString(dir.resolve("LATEST"), name + "\n");
    try (Stream<Path> old = Files.list(dir)) {
      // only epoch directories PAL wrote: a checkpoint directory pointed at someone's folder loses nothing
      for (Path p : old.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && !p.getFileName().toString().equals(name)
          && OutputDir.isOurs(p)).toList()) {
        AtomicFiles.deleteTree(p);
      }
    } catch (IOException e) {
      throw PalException.environment("cannot prune old checkpoints in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The newest complete checkpoint, or null when the directory has none yet. */
  public static State load(Path dir) {
    Path latest = dir.resolve("LATEST");
    if (!Files.exists(latest)) return null;
    try {
      String name = InputFiles.readText(latest).trim();
      if (!NAME.matcher(name).matches()) throw corrupt(dir, "LATEST does not name an epoch directory");
      Path ck = dir.resolve(name);
      JsonNode j = Json.readTree(ck.resolve("state.json"));
      if (!j.isObject()) throw corrupt(dir, "state.json is not an object");
      JsonNode identity = j.get("identity");
      if (identity == null || !identity.isObject()) {
        throw corrupt(dir, "state.json has no run identity (written by an earlier PAL)");
      }
      int epochs = (int) whole(j, "epochsDone", 1, Integer.MAX_VALUE, dir);
      State s = new State(epochs, whole(j, "adamSteps", 0, Long.MAX_VALUE, dir), (int) whole(j, "bestEpoch", 0, epochs, dir),
          number(j, "bestValidationAccuracy", dir), (int) whole(j, "badEpochs", 0, epochs, dir), number(j, "lastLoss", dir),
          identity, finite(ck, "params.npy", dir), finite(ck, "best.npy", dir), finite(ck, "adam_m.npy", dir), finite(ck, "adam_v.npy", dir));
      int n = s.params().length;
      if (s.best().length != n || s.m().length != n || s.v().length != n) throw corrupt(dir, "its arrays differ in length");
      for (double x : s.v()) if (x < 0) throw corrupt(dir, "adam_v.npy has a negative second moment");
      return s;
    } catch (PalException pe) {
      if (pe.kind() == PalException.Kind.USER_INPUT && !pe.getMessage().startsWith("checkpoint in ")) {
        throw PalException.userInput("checkpoint in " + dir + " is corrupt (" + pe.getMessage() + "); delete the directory to start over");
      }
      throw pe;
    }
  }

  private static PalException corrupt(Path dir, String what) {
    return PalException.userInput("checkpoint in " + dir + " is corrupt: " + what + "; delete the directory to start over");
  }

  private static long whole(JsonNode j, String field, long min, long max, Path dir) {
    JsonNode v = j.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
      throw corrupt(dir, "state.json " + field + " is missing or out of range");
    }
    return v.asLong();
  }

  private static double number(JsonNode j, String field, Path dir) {
    JsonNode v = j.get(field);
    if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) throw corrupt(dir, "state.json " + field + " is missing or not a finite number");
    return v.asDouble();
  }

  private static double[] finite(Path ck, String file, Path dir) {
    double[] v = Npy.readDoubles(ck.resolve(file)).values();
    for (double x : v) if (!Double.isFinite(x)) throw corrupt(dir, file + " has a non-finite value");
    return v;
  }

  /**
   * Fails unless a checkpoint's identity matches this run's: the resolved config, the effective
   * learning rates, the data and split hash must be equal; only the epoch budget may grow.
   */
  public static void requireSameRun(Path dir, JsonNode saved, JsonNode current) {
    ObjectNode a = ((ObjectNode) saved).deepCopy(), b = ((ObjectNode) current).deepCopy();
    JsonNode savedEpochs = a.remove("epochs"), epochs = b.remove("epochs");
    // the workers that ran are compared on their own (below); the config's setting may be absent (= the machine's cores)
    JsonNode savedThreads = a.remove("threads"), threads = b.remove("threads");
    for (ObjectNode id : List.of(a, b)) {
      if (id.get("config") instanceof ObjectNode c && c.get("trainer") instanceof ObjectNode t) t.remove("threads");
    }
    List<String> diffs = new ArrayList<>();
    diff("", a, b, diffs);
    if (!diffs.isEmpty()) {
      throw PalException.userInput("checkpoint in " + dir + " belongs to another run: " + String.join("; ", diffs.subList(0, Math.min(5, diffs.size())))
          + (diffs.size() > 5 ? "; ..." : "") + ". Resume with the original config and data, or use another checkpoint directory");
    }
    if (savedThreads != null && threads != null && savedThreads.asInt() != threads.asInt()) {
      // another worker count gives other noise streams and another order of gradient additions
      throw PalException.badInput("trainer.threads", threads.asInt(), "the checkpoint in " + dir + " was written by a run with "
          + savedThreads.asInt() + " worker(s), and a run continues exactly only with as many; resume with --threads "
          + savedThreads.asInt() + " (trainer.threads: " + savedThreads.asInt() + ")");
    }
    if (savedEpochs != null && epochs != null && epochs.asLong() < savedEpochs.asLong()) {
      throw PalException.badInput("trainer.epochs", epochs.asLong(), "the checkpoint in " + dir + " was written by a run of "
          + savedEpochs.asLong() + " epochs; resume with at least that many (only a larger epoch count may differ)");
    }
  }

  private static void diff(String path, JsonNode a, JsonNode b, List<String> out) {
    if (a != null && b != null && a.isObject() && b.isObject()) {
      java.util.TreeSet<String> keys = new java.util.TreeSet<>();
      a.fieldNames().forEachRemaining(keys::add);
      b.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) diff(path.isEmpty() ? k : path + "." + k, a.get(k), b.get(k), out);
    } else if (a == null || b == null || !a.equals(b)) {
      // numbers compare by value: 1e-3 written as 0.001 is the same setting
      if (a != null && b != null && a.isNumber() && b.isNumber() && a.asDouble() == b.asDouble()) return;
      out.add(path + " was " + shown(a) + ", now " + shown(b));
    }
  }

  private static String shown(JsonNode n) {
    if (n == null) return "absent";
    String s = n.toString();
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
