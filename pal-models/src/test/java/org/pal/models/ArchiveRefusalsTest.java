package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.archive.Npy;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Param;

/**
 * Each refusal of {@link ModelArchive#load} triggered once on an otherwise valid archive, with its
 * whole message: the manifest's fields, the parameter entries, the parameter files (size limit,
 * checksum, header, values).
 */
class ArchiveRefusalsTest {
  private final ComponentRegistry registry = Pal.load().registry();
  @TempDir Path tmp;
  private int n;

  private PalModel model() {
    return PalModel.build(registry, PalConfig.parse("{\"model\":{\"type\":\"pal-b\",\"k\":2,\"dim\":3,\"itemProjector\":{\"type\":\"linear\"}}}"),
        5, 2, List.of("ann", "bob", "cy"), DataType.FLOAT);
  }

  private Path archive(PalModel m) {
    Path a = tmp.resolve("m" + (n++));
    ModelArchive.save(m, a, new ModelArchive.Provenance(0, "h", ModelArchive.VERSION, "t", Map.of()));
    return a;
  }

  private static void edit(Path a, Consumer<ObjectNode> e) throws Exception {
    ObjectNode j = (ObjectNode) ModelArchive.manifest(a);
    e.accept(j);
    Files.writeString(a.resolve(ModelArchive.MANIFEST), Json.write(j));
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** The archive after {@code e} is refused as corrupt with exactly {@code what}. */
  private void corrupt(Consumer<ObjectNode> e, String what) throws Exception {
    Path a = archive(model());
    edit(a, e);
    assertThatThrownBy(() -> ModelArchive.load(registry, a)).isInstanceOf(PalException.class)
        .hasMessage(a + "/" + ModelArchive.MANIFEST + ": " + what + "; the archive is corrupt");
  }

  private static ObjectNode param(ObjectNode j, int i) {
    return (ObjectNode) j.get("params").get(i);
  }

  @Test
  void theManifestItselfIsChecked() throws Exception {
    Path file = Files.writeString(tmp.resolve("plain"), "x");
    assertThatThrownBy(() -> ModelArchive.load(registry, file))
        .hasMessage("model = " + file + ": is not a directory; give the directory written by 'pal train'");
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    assertThatThrownBy(() -> ModelArchive.load(registry, empty))
        .hasMessage("model = " + empty + ": has no pal-model.json; it is not a PAL model archive (or was not written completely)");
    Path a = archive(model());
    Files.writeString(a.resolve(ModelArchive.MANIFEST), "[1]");
    assertThatThrownBy(() -> ModelArchive.load(registry, a))
        .hasMessage(a + "/pal-model.json: the manifest is not a JSON object; the archive is corrupt");
  }

  @Test
  void formatVersions() throws Exception {
    String reads = ": this PAL reads version " + ModelArchive.FORMAT_VERSION;
    for (Object[] c : new Object[][] {{"missing", null}, {"3", 3}, {"2.0", 2.0}, {"\"2\"", "2"}}) {
      Path a = archive(model());
      edit(a, j -> {
        if (c[1] == null) j.remove("formatVersion");
        else j.set("formatVersion", Json.mapper().valueToTree(c[1]));
      });
      assertThatThrownBy(() -> ModelArchive.load(registry, a))
          .hasMessage(a + "/pal-model.json formatVersion = " + c[0] + reads);
    }
    // version 1 is named as an earlier PAL's
    Path a = archive(model());
    edit(a, j -> j.put("formatVersion", 1));
    assertThatThrownBy(() -> ModelArchive.load(registry, a)).hasMessage(a + "/pal-model.json formatVersion = 1: written by an earlier PAL "
        + "without parameter checksums; retrain it (or adapt from its training run) with this version");
  }

  @Test
  void topLevelFields() throws Exception {
    corrupt(j -> j.remove("config"), "'config' is missing");
    corrupt(j -> j.put("config", 3), "'config' is missing");
    corrupt(j -> j.remove("itemDim"), "'itemDim' is missing or not a whole number >= 1");
    corrupt(j -> j.put("itemDim", 0), "'itemDim' is missing or not a whole number >= 1");
    corrupt(j -> j.put("itemDim", 5.0), "'itemDim' is missing or not a whole number >= 1");
    corrupt(j -> j.put("itemDim", (1 << 24) + 1), "'itemDim' is missing or not a whole number >= 1");
    corrupt(j -> j.put("itemDim", 1L << 32), "'itemDim' is missing or not a whole number >= 1");
    corrupt(j -> j.put("promptDim", -1), "'promptDim' is missing or not a whole number >= 0");
    corrupt(j -> j.remove("userIds"), "'userIds' is missing");
    corrupt(j -> j.put("userIds", "ann"), "'userIds' is missing");
    corrupt(j -> ((ArrayNode) j.get("userIds")).set(1, Json.mapper().getNodeFactory().textNode(" ")), "userIds[1] is not a non-empty string");
    corrupt(j -> ((ArrayNode) j.get("userIds")).set(2, Json.mapper().getNodeFactory().numberNode(4)), "userIds[2] is not a non-empty string");
    corrupt(j -> ((ArrayNode) j.get("userIds")).set(2, Json.mapper().getNodeFactory().textNode("ann")), "userIds[2] repeats an earlier id");
    corrupt(j -> j.remove("params"), "'params' is missing");
    corrupt(j -> j.put("params", 1), "'params' is missing");
  }

  @Test
  void parameterEntries() throws Exception {
    PalModel m = model();
    List<String> names = m.params().params().stream().map(Param::name).toList();
    corrupt(j -> ((ArrayNode) j.get("params")).set(0, Json.mapper().getNodeFactory().numberNode(1)), "params[0] is not an object");
    corrupt(j -> param(j, 1).remove("name"), "params[1].name is missing");
    corrupt(j -> param(j, 1).put("name", "ghost"), "params[1].name 'ghost' is not a parameter of this model; its parameters: " + names);
    corrupt(j -> param(j, 1).put("name", names.get(0)), "parameter " + names.get(0) + " is listed twice");
    corrupt(j -> ((ArrayNode) j.get("params")).remove(0), "parameter " + names.get(0) + " is not in the manifest; it would keep its random initial value");
    Param users = m.params().get("users");
    int ui = names.indexOf("users");
    String shapeFix = "; the config makes it [" + users.rows() + ", " + users.cols() + "]";
    corrupt(j -> param(j, ui).remove("shape"), "parameter users has shape null in the manifest" + shapeFix);
    corrupt(j -> param(j, ui).putArray("shape").add(users.rows()), "parameter users has shape [" + users.rows() + "] in the manifest" + shapeFix);
    corrupt(j -> param(j, ui).putArray("shape").add(users.rows() + 1).add(users.cols()),
        "parameter users has shape [" + (users.rows() + 1) + "," + users.cols() + "] in the manifest" + shapeFix);
    corrupt(j -> param(j, ui).putArray("shape").add(users.rows()).add(users.cols() + 1),
        "parameter users has shape [" + users.rows() + "," + (users.cols() + 1) + "] in the manifest" + shapeFix);
    corrupt(j -> param(j, ui).putArray("shape").add((double) users.rows()).add(users.cols()),
        "parameter users has shape [" + (double) users.rows() + "," + users.cols() + "] in the manifest" + shapeFix);
    corrupt(j -> param(j, ui).putArray("shape").add(users.rows()).add((double) users.cols()),
        "parameter users has shape [" + users.rows() + "," + (double) users.cols() + "] in the manifest" + shapeFix);
    corrupt(j -> param(j, ui).remove("sha256"), "params[" + ui + "].sha256 is missing or not a SHA-256");
    corrupt(j -> param(j, ui).put("sha256", "ab"), "params[" + ui + "].sha256 is missing or not a SHA-256");
    corrupt(j -> param(j, ui).remove("file"), "params[" + ui + "].file is missing");
    corrupt(j -> param(j, ui).put("file", 7), "params[" + ui + "].file is missing");
  }

  @Test
  void parameterFiles() throws Exception {
    PalModel m = model();
    Param users = m.params().get("users");
    int ui = m.params().params().stream().map(Param::name).toList().indexOf("users");
    float[] values = users.value().toFloatArray();

    // another content with a valid checksum but another type: the header is checked
    Path a = archive(m);
    Path f = a.resolve("params/users.npy");
    double[] wide = new double[values.length];
    for (int i = 0; i < wide.length; i++) wide[i] = values[i];
    Npy.writeDoubles(f, users.rows(), users.cols(), wide);
    String sha = sha256(Files.readAllBytes(f));
    edit(a, j -> param(j, ui).put("sha256", sha));
    assertThatThrownBy(() -> ModelArchive.load(registry, a)).hasMessage(a + "/pal-model.json: parameter users: params/users.npy holds <f8 "
        + users.rows() + "x" + users.cols() + ", expected float32 " + users.rows() + "x" + users.cols() + "; the archive is corrupt");

    // a non-finite value, checksum valid
    Path b = archive(m);
    Path g = b.resolve("params/users.npy");
    // the writer refuses non-finite values: the last 4 bytes (the last value, little-endian) become -Infinity
    byte[] raw = Files.readAllBytes(g);
    int bits = Float.floatToIntBits(Float.NEGATIVE_INFINITY);
    for (int i = 0; i < 4; i++) raw[raw.length - 4 + i] = (byte) (bits >>> (8 * i));
    Files.write(g, raw);
    String shaB = sha256(Files.readAllBytes(g));
    edit(b, j -> param(j, ui).put("sha256", shaB));
    assertThatThrownBy(() -> ModelArchive.load(registry, b)).hasMessage(b + "/pal-model.json: parameter users has the non-finite value -Infinity at index "
        + (values.length - 1) + "; the archive is corrupt");

    // the file may be as large as its values (4 bytes each), the 12 bytes before a header and the longest header, not one byte more
    long limit = (long) users.rows() * users.cols() * 4 + 12 + Npy.MAX_HEADER;
    Path c = archive(m);
    Path h = c.resolve("params/users.npy");
    byte[] exact = java.util.Arrays.copyOf(Files.readAllBytes(h), (int) limit);
    Files.write(h, exact);
    assertThatThrownBy(() -> ModelArchive.load(registry, c)).hasMessage(c + "/pal-model.json: parameter users: params/users.npy does not match its SHA-256 "
        + "(the file was changed or damaged); the archive is corrupt");
    Files.write(h, java.util.Arrays.copyOf(exact, (int) limit + 1));
    assertThatThrownBy(() -> ModelArchive.load(registry, c))
        .hasMessage("file = " + h + ": is " + (limit + 1) + " bytes; at most " + limit + " are expected here");

    // a file outside the archive is refused by name
    Path d = archive(m);
    edit(d, j -> param(j, ui).put("file", "../elsewhere.npy"));
    assertThatThrownBy(() -> ModelArchive.load(registry, d))
        .hasMessageStartingWith("" + d + "/pal-model.json params[" + ui + "].file = ../elsewhere.npy: is not a path inside ");

    // the untouched archive loads with the saved values (the checks above refuse only what they name)
    PalModel back = ModelArchive.load(registry, archive(m));
    assertThat(back.params().get("users").value().toFloatArray()).containsExactly(values);
    assertThat(back.userIds()).containsExactly("ann", "bob", "cy");
  }

  @Test
  void inputsAndDatasetAreRecordedOnlyWhenGiven() throws Exception {
    PalModel m = model();
    Path plain = archive(m);
    assertThat(ModelArchive.inputs(plain)).isNull();
    assertThat(ModelArchive.manifest(plain).has("inputs")).isFalse();
    assertThat(ModelArchive.manifest(plain).has("dataset")).isFalse();
    Path a = tmp.resolve("with-inputs");
    var items = new ModelArchive.Encoder(Json.parse("{\"type\":\"hash\"}"), "f1", 5);
    var inputs = new ModelArchive.Inputs(items, null);
    ModelArchive.save(m, a, new ModelArchive.Provenance(0, "h", ModelArchive.VERSION, "t", Map.of()), inputs, Json.parse("{\"dir\":\"d\"}"));
    assertThat(ModelArchive.inputs(a)).isEqualTo(inputs);
    assertThat(ModelArchive.manifest(a).get("dataset").get("dir").asText()).isEqualTo("d");
    edit(a, j -> ((ObjectNode) j.get("inputs").get("items")).put("dim", "five"));
    assertThatThrownBy(() -> ModelArchive.inputs(a)).hasMessageStartingWith(a + "/pal-model.json inputs.items.dim");
  }

  @Test
  void parameterNamesThatAreNotSafeFileNamesGetNumberedFiles() throws Exception {
    PalModel m = model();
    Path a = archive(m);
    var params = ModelArchive.manifest(a).get("params");
    for (int i = 0; i < params.size(); i++) {
      String name = params.get(i).get("name").asText();
      boolean safe = name.matches("[A-Za-z0-9_.-]{1,100}") && !name.startsWith(".");
      assertThat(params.get(i).get("file").asText()).isEqualTo("params/" + (safe ? name : "param-" + i) + ".npy");
    }
  }
}
