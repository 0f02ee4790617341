package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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

/** The archive's manifest says what numpy and other tools need, and each inconsistency is refused. */
class ArchiveChecksTest {
  private final ComponentRegistry registry = Pal.load().registry();

  private PalModel model() {
    return PalModel.build(registry, PalConfig.parse("{\"model\":{\"type\":\"pal-b\",\"k\":2,\"dim\":3,\"itemProjector\":{\"type\":\"linear\"}}}"),
        5, 2, List.of("ann", "bob", "cy"), DataType.FLOAT);
  }

  @Test
  void theManifestDescribesEveryParameter(@TempDir Path dir) {
    PalModel m = model();
    ModelArchive.save(m, dir.resolve("m"), new ModelArchive.Provenance(7, "abc", ModelArchive.VERSION, "t0", Map.of("acc", 0.5)));
    JsonNode j = ModelArchive.manifest(dir.resolve("m"));
    assertThat(j.get("formatVersion").asInt()).isEqualTo(ModelArchive.FORMAT_VERSION);
    assertThat(j.get("itemDim").asInt()).isEqualTo(5);
    assertThat(j.get("promptDim").asInt()).isEqualTo(2);
    assertThat(j.get("k").asInt()).isEqualTo(2);
    assertThat(j.get("userIds").toString()).isEqualTo("[\"ann\",\"bob\",\"cy\"]");
    assertThat(j.get("provenance").get("seed").asLong()).isEqualTo(7);
    assertThat(j.get("provenance").get("extra").get("acc").asDouble()).isEqualTo(0.5);
    assertThat(j.get("config").get("model").get("type").asText()).isEqualTo("pal-b");
    assertThat(j.get("params")).hasSize(m.params().params().size());
    for (JsonNode p : j.get("params")) {
      Param param = m.params().get(p.get("name").asText());
      assertThat(p.get("group").asText()).isEqualTo(param.group());
      assertThat(p.get("shape").get(0).asInt()).isEqualTo(param.rows());
      assertThat(p.get("shape").get(1).asInt()).isEqualTo(param.cols());
      Npy.Array a = Npy.read(dir.resolve("m").resolve(p.get("file").asText()));
      assertThat(a.toFloats()).containsExactly(param.value().toFloatArray());
    }
    PalModel back = ModelArchive.load(registry, dir.resolve("m"));
    assertThat(back.params().flatValue().toFloatArray()).containsExactly(m.params().flatValue().toFloatArray());
    assertThat(back.itemDim()).isEqualTo(5);
    assertThat(back.promptDim()).isEqualTo(2);
  }

  private static void editManifest(Path dir, java.util.function.Consumer<ObjectNode> edit) throws Exception {
    ObjectNode j = (ObjectNode) ModelArchive.manifest(dir);
    edit.accept(j);
    Files.writeString(dir.resolve(ModelArchive.MANIFEST), Json.write(j));
  }

  @Test
  void inconsistentArchivesAreRefused(@TempDir Path dir) throws Exception {
    PalModel m = model();
    Path a = dir.resolve("m");
    ModelArchive.save(m, a, new ModelArchive.Provenance(0, "h", ModelArchive.VERSION, "t", Map.of()));
    editManifest(a, j -> j.put("formatVersion", 1));
    assertThatThrownBy(() -> ModelArchive.load(registry, a)).isInstanceOf(PalException.class)
        .hasMessageContaining("formatVersion = 1").hasMessageContaining("retrain");
    editManifest(a, j -> j.put("formatVersion", ModelArchive.FORMAT_VERSION));
    // a parameter file rewritten with the right size and another shape: its recorded hash and shape no longer match
    Param users = m.params().get("users");
    Npy.writeFloats(a.resolve("params/users.npy"), users.cols(), users.rows(), users.value().toFloatArray());
    assertThatThrownBy(() -> ModelArchive.load(registry, a)).isInstanceOf(PalException.class).hasMessageContaining("users");
    Npy.writeFloats(a.resolve("params/users.npy"), users.rows(), users.cols(), users.value().toFloatArray());
    assertThat(ModelArchive.load(registry, a).userIds()).containsExactly("ann", "bob", "cy");
    editManifest(a, j -> j.remove("itemDim"));
    assertThatThrownBy(() -> ModelArchive.load(registry, a)).isInstanceOf(PalException.class).hasMessageContaining("itemDim");
    Files.writeString(a.resolve("file"), "x");
    assertThatThrownBy(() -> ModelArchive.manifest(a.resolve("file"))).hasMessageContaining("not a directory");
  }
}
