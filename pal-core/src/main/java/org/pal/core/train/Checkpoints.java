package org.pal.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.pal.core.PalException;
import org.pal.core.archive.AtomicFiles;
import org.pal.core.archive.Npy;
import org.pal.core.archive.OutputDir;
import org.pal.core.config.Json;

/**
 * Per-epoch training state in {@code DIR/epoch-NNNNNN/} (parameters, best parameters, Adam moments,
 * counters) with {@code DIR/LATEST} naming the newest complete one. Each epoch directory is swapped
 * in whole and LATEST is replaced atomically, so a kill at any moment leaves a loadable checkpoint.
 * Values are stored as float64, which holds float32 exactly: a resumed run is bit-identical.
 */
public final class Checkpoints {
  public record State(int epochsDone, long adamSteps, int bestEpoch, double bestValidationAccuracy, int badEpochs,
                      double lastLoss, String fingerprint, double[] params, double[] best, double[] m, double[] v) {}

  private Checkpoints() {}

  public static void save(Path dir, State s) {
    String name = String.format("epoch-%06d", s.epochsDone());
    AtomicFiles.writeDirectory(dir.resolve(name), true, tmp -> {
      ObjectNode j = Json.mapper().createObjectNode();
      j.put("epochsDone", s.epochsDone()).put("adamSteps", s.adamSteps()).put("bestEpoch", s.bestEpoch())
          .put("bestValidationAccuracy", s.bestValidationAccuracy()).put("badEpochs", s.badEpochs())
          .put("lastLoss", s.lastLoss()).put("fingerprint", s.fingerprint());
      Files.writeString(tmp.resolve("state.json"), Json.write(j));
      Npy.writeDoubles(tmp.resolve("params.npy"), 1, s.params().length, s.params());
      Npy.writeDoubles(tmp.resolve("best.npy"), 1, s.best().length, s.best());
      Npy.writeDoubles(tmp.resolve("adam_m.npy"), 1, s.m().length, s.m());
      Npy.writeDoubles(tmp.resolve("adam_v.npy"), 1, s.v().length, s.v());
    });
    AtomicFiles.writeString(dir.resolve("LATEST"), name + "\n");
    try (Stream<Path> old = Files.list(dir)) {
      // only epoch directories PAL wrote: a checkpoint directory pointed at someone's folder loses nothing
      for (Path p : old.filter(p -> p.getFileName().toString().startsWith("epoch-") && !p.getFileName().toString().equals(name)
          && OutputDir.isOurs(p)).toList()) {
        AtomicFiles.deleteTree(p);
      }
    } catch (IOException e) {
      throw PalException.environment("cannot prune old checkpoints in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The newest complete checkpoint, or null when the directory has none. */
  public static State load(Path dir) {
    Path latest = dir.resolve("LATEST");
    if (!Files.exists(latest)) return null;
    try {
      Path ck = dir.resolve(Files.readString(latest).trim());
      JsonNode j = Json.readTree(ck.resolve("state.json"));
      return new State(j.get("epochsDone").asInt(), j.get("adamSteps").asLong(), j.get("bestEpoch").asInt(),
          j.get("bestValidationAccuracy").asDouble(), j.get("badEpochs").asInt(), j.get("lastLoss").asDouble(),
          j.get("fingerprint").asText(),
          Npy.read(ck.resolve("params.npy")).values(), Npy.read(ck.resolve("best.npy")).values(),
          Npy.read(ck.resolve("adam_m.npy")).values(), Npy.read(ck.resolve("adam_v.npy")).values());
    } catch (IOException | RuntimeException e) {
      if (e instanceof PalException pe && pe.kind() == PalException.Kind.USER_INPUT) {
        throw PalException.userInput("checkpoint in " + dir + " is corrupt (" + pe.getMessage() + "); delete the directory to start over");
      }
      throw PalException.environment("cannot read checkpoint in " + dir + ": " + e.getMessage(), e);
    }
  }
}
