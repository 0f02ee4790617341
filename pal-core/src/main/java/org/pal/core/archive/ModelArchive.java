package org.pal.core.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Param;

/**
 * A model on disk: a directory with {@code pal-model.json} (format version, resolved config, dims,
 * user ids, parameter index, provenance) and one float32 {@code .npy} per parameter under
 * {@code params/}, loadable with numpy. Written atomically; loading rebuilds the model through the
 * registry and restores every parameter bit for bit.
 */
public final class ModelArchive {
  public static final String MANIFEST = "pal-model.json";
  public static final int FORMAT_VERSION = 1;
  public static final String VERSION = "0.1.0";

  private ModelArchive() {}

  /** Provenance: what produced the model. {@code extra} holds metrics and anything else worth keeping. */
  public record Provenance(long seed, String dataHash, String version, String createdAt, Map<String, Object> extra) {}

  /**
   * How raw inputs become the vectors the model reads: the embedder config of the items and of the
   * prompts (the same object when one encoder does both), its fingerprint (weights and settings) and
   * output dimension. Null for a model trained on vectors only.
   */
  public record Encoder(JsonNode config, String fingerprint, int dim) {}

  /** The encoders of a model's items and prompts (prompts null when the model has none). */
  public record Inputs(Encoder items, Encoder prompts) {}

  public static void save(PalModel model, Path dir, Provenance provenance) {
    save(model, dir, provenance, null, null);
  }

  /**
   * @param inputs the encoders that turn raw values into this model's vectors, or null (vectors only)
   * @param dataset what the model was trained on (the dataset's spec or directory), or null
   */
  public static void save(PalModel model, Path dir, Provenance provenance, Inputs inputs, JsonNode dataset) {
    AtomicFiles.writeDirectory(dir, tmp -> {
      ObjectNode m = Json.mapper().createObjectNode();
      m.put("formatVersion", FORMAT_VERSION);
      m.set("config", Json.mapper().valueToTree(model.config()));
      m.put("itemDim", model.itemDim()).put("promptDim", model.promptDim()).put("k", model.k());
      ArrayNode users = m.putArray("userIds");
      model.userIds().forEach(users::add);
      ArrayNode ps = m.putArray("params");
      Files.createDirectories(tmp.resolve("params"));
      for (Param p : model.params().params()) {
        String file = "params/" + p.name() + ".npy";
        ps.addObject().put("name", p.name()).put("group", p.group()).put("rows", p.rows()).put("cols", p.cols()).put("file", file);
        Npy.writeFloats(tmp.resolve(file), p.rows(), p.cols(), p.value().toFloatArray());
      }
      m.set("provenance", Json.mapper().valueToTree(provenance));
      if (inputs != null) m.set("inputs", Json.mapper().valueToTree(inputs));
      if (dataset != null) m.set("dataset", dataset);
      Files.writeString(tmp.resolve(MANIFEST), Json.write(m));
    });
  }

  public static JsonNode manifest(Path dir) {
    Path f = dir.resolve(MANIFEST);
    if (!Files.isDirectory(dir)) throw PalException.badInput("model", dir, "is not a directory; give the directory written by 'pal train'");
    if (!Files.exists(f)) throw PalException.badInput("model", dir, "has no " + MANIFEST + "; it is not a PAL model archive (or was not written completely)");
    return Json.readTree(f);
  }

  /** The recorded input encoders of an archive, or null when it was trained on vectors only. */
  public static Inputs inputs(Path dir) {
    JsonNode n = manifest(dir).get("inputs");
    if (n == null || n.isNull()) return null;
    return Json.bind(Json.mapper(), n, Inputs.class, dir + "/" + MANIFEST + " inputs");
  }

  public static PalModel load(ComponentRegistry registry, Path dir) {
    JsonNode m = manifest(dir);
    try {
      int version = m.path("formatVersion").asInt(-1);
      if (version != FORMAT_VERSION) throw PalException.badInput(dir + "/" + MANIFEST + " formatVersion", version, "this PAL reads version " + FORMAT_VERSION);
      PalConfig config = Json.bind(Json.mapper(), m.get("config"), PalConfig.class, "config");
      List<String> users = new ArrayList<>();
      m.get("userIds").forEach(u -> users.add(u.asText()));
      PalModel model = PalModel.build(registry, config, m.get("itemDim").asInt(), m.get("promptDim").asInt(), users, DataType.FLOAT);
      for (JsonNode p : m.get("params")) {
        Param param = model.params().get(p.get("name").asText());
        Npy.Array a = Npy.read(dir.resolve(p.get("file").asText()));
        if (a.rows() != param.rows() || a.cols() != param.cols()) {
          throw PalException.badInput(dir + "/" + p.get("file").asText() + " shape", a.rows() + "x" + a.cols(),
              "expected " + param.rows() + "x" + param.cols() + " for parameter " + param.name() + "; the archive is corrupt");
        }
        for (int i = 0; i < a.values().length; i++) param.value().set(i, a.values()[i]);
      }
      return model;
    } catch (NullPointerException e) {
      throw PalException.userInput(dir + "/" + MANIFEST + " is missing required fields; the archive is corrupt");
    }
  }
}
