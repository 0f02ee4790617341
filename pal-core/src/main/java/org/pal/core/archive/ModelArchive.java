package org.pal.core.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *
 * <p>The manifest lists every parameter with its shape and the SHA-256 of its file. Loading checks
 * all of them: a parameter missing from the manifest, a file changed on disk, a non-finite value or
 * a file path leaving the archive is an error, never a model that silently predicts with random or
 * NaN weights.
 */
public final class ModelArchive {
  public static final String MANIFEST = "pal-model.json";
  /** 2: parameters carry shape and SHA-256. */
  public static final int FORMAT_VERSION = 2;
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
      int index = 0;
      for (Param p : model.params().params()) {
        // plugin parameter names become file names only when they are safe as such
        String file = "params/" + (p.name().matches("[A-Za-z0-9_.-]{1,100}") && !p.name().startsWith(".") ? p.name() : "param-" + index) + ".npy";
        float[] values = p.value().toFloatArray();
        byte[] bytes = Npy.encode(p.rows(), p.cols(), "<f4", i -> values[i]);
        Files.write(tmp.resolve(file), bytes);
        ObjectNode e = ps.addObject().put("name", p.name()).put("group", p.group()).put("file", file);
        e.putArray("shape").add(p.rows()).add(p.cols());
        e.put("sha256", sha256(bytes));
        index++;
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
    JsonNode m = Json.readTree(f);
    if (!m.isObject()) throw corrupt(dir, "the manifest is not a JSON object");
    return m;
  }

  /** The recorded input encoders of an archive, or null when it was trained on vectors only. */
  public static Inputs inputs(Path dir) {
    JsonNode n = manifest(dir).get("inputs");
    if (n == null || n.isNull()) return null;
    return Json.bind(Json.mapper(), n, Inputs.class, dir + "/" + MANIFEST + " inputs");
  }

  public static PalModel load(ComponentRegistry registry, Path dir) {
    JsonNode m = manifest(dir);
    String where = dir + "/" + MANIFEST;
    JsonNode version = m.get("formatVersion");
    if (version == null || !version.isIntegralNumber() || version.asLong() != FORMAT_VERSION) {
      String v = version == null ? "missing" : version.toString();
      throw PalException.badInput(where + " formatVersion", v, version != null && version.isIntegralNumber() && version.asLong() == 1
          ? "written by an earlier PAL without parameter checksums; retrain it (or adapt from its training run) with this version"
          : "this PAL reads version " + FORMAT_VERSION);
    }
    JsonNode cfgNode = m.get("config");
    if (cfgNode == null || !cfgNode.isObject()) throw corrupt(dir, "'config' is missing");
    PalConfig config = Json.bind(Json.mapper(), cfgNode, PalConfig.class, "config");
    int itemDim = dimension(m, "itemDim", 1, dir), promptDim = dimension(m, "promptDim", 0, dir);
    JsonNode ids = m.get("userIds");
    if (ids == null || !ids.isArray()) throw corrupt(dir, "'userIds' is missing");
    List<String> users = new ArrayList<>();
    Set<String> distinct = new HashSet<>();
    for (JsonNode u : ids) {
      if (!u.isTextual() || u.asText().isBlank()) throw corrupt(dir, "userIds[" + users.size() + "] is not a non-empty string");
      if (!distinct.add(u.asText())) throw corrupt(dir, "userIds[" + users.size() + "] repeats an earlier id");
      users.add(u.asText());
    }
    PalModel model = PalModel.build(registry, config, itemDim, promptDim, users, DataType.FLOAT);
    JsonNode params = m.get("params");
    if (params == null || !params.isArray()) throw corrupt(dir, "'params' is missing");
    Map<String, Param> expected = new LinkedHashMap<>();
    for (Param p : model.params().params()) expected.put(p.name(), p);
    Set<String> loaded = new HashSet<>();
    for (int i = 0; i < params.size(); i++) {
      JsonNode e = params.get(i);
      String at = "params[" + i + "]";
      if (!e.isObject()) throw corrupt(dir, at + " is not an object");
      JsonNode name = e.get("name"), file = e.get("file"), shape = e.get("shape"), sha = e.get("sha256");
      if (name == null || !name.isTextual()) throw corrupt(dir, at + ".name is missing");
      Param param = expected.get(name.asText());
      if (param == null) throw corrupt(dir, at + ".name '" + name.asText() + "' is not a parameter of this model; its parameters: " + expected.keySet());
      if (!loaded.add(param.name())) throw corrupt(dir, "parameter " + param.name() + " is listed twice");
      if (shape == null || !shape.isArray() || shape.size() != 2 || !shape.get(0).isIntegralNumber() || !shape.get(1).isIntegralNumber()
          || shape.get(0).asLong() != param.rows() || shape.get(1).asLong() != param.cols()) {
        throw corrupt(dir, "parameter " + param.name() + " has shape " + shape + " in the manifest; the config makes it [" + param.rows() + ", " + param.cols() + "]");
      }
      if (sha == null || !sha.isTextual() || !sha.asText().matches("[0-9a-f]{64}")) throw corrupt(dir, at + ".sha256 is missing or not a SHA-256");
      if (file == null || !file.isTextual()) throw corrupt(dir, at + ".file is missing");
      Path f = ConfinedPaths.resolve(dir, file.asText(), where + " " + at + ".file");
      long expectBytes = (long) param.rows() * param.cols() * 4;
      byte[] bytes = InputFiles.readBytes(f, expectBytes + 12 + Npy.MAX_HEADER);
      if (!sha256(bytes).equals(sha.asText())) {
        throw corrupt(dir, "parameter " + param.name() + ": " + file.asText() + " does not match its SHA-256 (the file was changed or damaged)");
      }
      Npy.Header h = Npy.parseHeader(ByteBuffer.wrap(bytes), bytes.length, f);
      if (!h.descr().equals("<f4") || h.rows() != param.rows() || h.cols() != param.cols()) {
        throw corrupt(dir, "parameter " + param.name() + ": " + file.asText() + " holds " + h.descr() + " " + h.rows() + "x" + h.cols()
            + ", expected float32 " + param.rows() + "x" + param.cols());
      }
      ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      b.position((int) h.dataOffset());
      int n = param.rows() * param.cols();
      for (int j = 0; j < n; j++) {
        float v = b.getFloat();
        if (!Float.isFinite(v)) throw corrupt(dir, "parameter " + param.name() + " has the non-finite value " + v + " at index " + j);
        param.value().set(j, v);
      }
    }
    for (String name : expected.keySet()) {
      if (!loaded.contains(name)) throw corrupt(dir, "parameter " + name + " is not in the manifest; it would keep its random initial value");
    }
    return model;
  }

  private static int dimension(JsonNode m, String field, int min, Path dir) {
    JsonNode v = m.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > (1 << 24)) {
      throw corrupt(dir, "'" + field + "' is missing or not a whole number >= " + min);
    }
    return v.asInt();
  }

  private static PalException corrupt(Path dir, String what) {
    return PalException.userInput(dir + "/" + MANIFEST + ": " + what + "; the archive is corrupt");
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw PalException.environment("SHA-256 unavailable", e);
    }
  }
}
