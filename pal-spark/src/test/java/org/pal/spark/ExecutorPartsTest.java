package org.pal.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;
import org.pal.core.config.Json;

/** The pieces executors use, without a Spark job: image bytes, the shipped archive, the telemetry guard. */
class ExecutorPartsTest {
  @TempDir Path dir;

  private static byte[] bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) out[i] = (byte) b[i];
    return out;
  }

  @Test
  void imageFormatsAreToldByTheirMagicNumbersAndLength() {
    assertThat(ImageBytes.extension(bytes(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A))).isEqualTo("png");
    assertThat(ImageBytes.extension(bytes(0xFF, 0xD8, 0xFF))).isEqualTo("jpg");
    assertThat(ImageBytes.extension(bytes('G', 'I', 'F', '8', '9', 'a'))).isEqualTo("gif");
    assertThat(ImageBytes.extension(bytes('B', 'M'))).isEqualTo("bmp");
    // one byte short of each signature's minimum, or one byte off it: not that format
    for (byte[] b : new byte[][] {bytes(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A), bytes(0x88, 'P', 'N', 'G', 0, 0, 0, 0), bytes(0x89, 'P', 'N', 'X', 0, 0, 0, 0),
        bytes(0x89, 'Q', 'N', 'G', 0, 0, 0, 0), bytes(0x89, 'P', 'M', 'G', 0, 0, 0, 0),
        bytes(0xFF, 0xD8), bytes(0xFE, 0xD8, 0xFF), bytes(0xFF, 0xD9, 0xFF), bytes(0xFF, 0xD8, 0xFE),
        bytes('G', 'I', 'F', '8', '9'), bytes('H', 'I', 'F', '8', '9', 'a'), bytes('G', 'J', 'F', '8', '9', 'a'),
        bytes('G', 'I', 'G', '8', '9', 'a'), bytes('G', 'I', 'F', '7', '9', 'a'), bytes('B'), bytes('C', 'M'), bytes('B', 'N')}) {
      assertThatThrownBy(() -> ImageBytes.extension(b)).as(HexFormat.of().formatHex(b))
          .isInstanceOf(PalException.class).hasMessageContaining("image bytes").hasMessageContaining(b.length + " bytes")
          .hasMessageContaining("not a PNG, JPEG, GIF or BMP");
    }
  }

  @Test
  void anExecutorsEncoderRunsOnItsTasksCpusUnlessItsConfigSetsThreads() {
    JsonNode added = Json.parse(ExecutorResources.perCaller("{\"type\": \"onnx-sentence\", \"batchSize\": 16}", 3));
    assertThat(added.path("threads").asInt()).isEqualTo(3);
    assertThat(added.path("batchSize").asInt()).isEqualTo(16);
    assertThat(added.path("type").asText()).isEqualTo("onnx-sentence");
    assertThat(added.size()).isEqualTo(3);
    String given = "{\"type\": \"onnx-sentence\", \"threads\": 2}";
    assertThat(ExecutorResources.perCaller(given, 3)).isEqualTo(given);
    String noThreads = "{\"type\": \"spark-words\", \"dim\": 8}"; // its spec has no threads field: left as it is
    assertThat(ExecutorResources.perCaller(noThreads, 3)).isEqualTo(noThreads);
    assertThatThrownBy(() -> ExecutorResources.perCaller("{\"type\": \"no-such-encoder\"}", 1)).hasMessageContaining("no-such-encoder")
        .hasMessageContaining("unknown");
  }

  @Test
  void imageBytesAreWrittenUnderTheirFormatsNameOrRefusedWhenMissing() throws Exception {
    byte[] gif = bytes('G', 'I', 'F', '8', '7', 'a', 1, 2, 3);
    Path f = ImageBytes.write(gif, dir, 7);
    assertThat(f).isEqualTo(dir.resolve("image-7.gif"));
    assertThat(Files.readAllBytes(f)).isEqualTo(gif);
    assertThatThrownBy(() -> ImageBytes.write(null, dir, 0)).hasMessageContaining("image bytes").hasMessageContaining("missing");
    assertThatThrownBy(() -> ImageBytes.write(new byte[0], dir, 0)).hasMessageContaining("image bytes").hasMessageContaining("empty");
  }

  /** SHA-256 over the files in name order, each as its relative name then its bytes: computed here independently. */
  private static String digest(Path root) throws Exception {
    Map<String, byte[]> files = new TreeMap<>();
    try (var s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) files.put(root.relativize(p).toString(), Files.readAllBytes(p));
    }
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (var e : files.entrySet()) {
      md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      md.update(e.getValue());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (var s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(q);
        else Files.copy(p, q);
      }
    }
  }

  @Test
  void aShippedArchiveIsNamedByItsContentAndUnpacksToTheSameFiles() throws Exception {
    Path model = SparkTests.model();
    ModelShipment s = ModelShipment.read(model);
    assertThat(s.sha256()).isEqualTo(digest(model));
    try (var walk = Files.walk(model)) {
      assertThat(s.names()).containsExactlyElementsOf(walk.filter(Files::isRegularFile).map(p -> model.relativize(p).toString()).sorted().toList());
    }
    Path unpacked = s.unpack();
    assertThat(unpacked).isNotEqualTo(model);
    assertThat(digest(unpacked)).isEqualTo(s.sha256());
    for (String name : s.names()) assertThat(Files.readAllBytes(unpacked.resolve(name))).isEqualTo(Files.readAllBytes(model.resolve(name)));

    // the same files elsewhere: the same name; one byte changed: another
    Path copy = dir.resolve("copy");
    copyTree(model, copy);
    assertThat(ModelShipment.read(copy).sha256()).isEqualTo(s.sha256());
    Path some = copy.resolve(s.names().get(s.names().size() - 1));
    byte[] b = Files.readAllBytes(some);
    b[b.length - 1] ^= 1;
    Files.write(some, b);
    assertThat(ModelShipment.read(copy).sha256()).isNotEqualTo(s.sha256());
    ExecutorResources.deleteTree(unpacked);
    assertThat(unpacked).doesNotExist();
  }

  @Test
  void aFolderThatIsNoArchiveOrAnEntryLeavingItIsRefused() throws Exception {
    Files.writeString(dir.resolve("notes.txt"), "x");
    assertThatThrownBy(() -> ModelShipment.read(dir)).isInstanceOf(PalException.class).hasMessageContaining(dir.toString());
    var make = ModelShipment.class.getDeclaredConstructor(Map.class, String.class);
    make.setAccessible(true);
    ModelShipment hostile = make.newInstance(Map.of("../escaped.txt", new byte[] {1}), "x");
    assertThatThrownBy(hostile::unpack).isInstanceOf(PalException.class).hasMessageContaining("../escaped.txt").hasMessageContaining("leaves the archive");
  }

  @Test
  void onnxTelemetryMustBeOffBeforeAnEncoderOpens() {
    Function<String, String> real = ExecutorResources.environment;
    try {
      for (String v : new String[] {null, "0", "true"}) {
        ExecutorResources.environment = name -> name.equals(ExecutorResources.TELEMETRY_ENV) ? v : null;
        assertThatThrownBy(ExecutorResources::requireTelemetryOff).isInstanceOf(PalException.class)
            .hasMessageContaining(v == null ? "unset" : "\"" + v + "\"")
            .hasMessageContaining("spark.executorEnv.ORT_DISABLE_TELEMETRY=1");
      }
      ExecutorResources.environment = name -> name.equals(ExecutorResources.TELEMETRY_ENV) ? "1" : null;
      ExecutorResources.requireTelemetryOff();
    } finally {
      ExecutorResources.environment = real;
    }
  }

  @Test
  void deletingATreeRemovesNestedFoldersAndToleratesAMissingOne() throws Exception {
    Path t = dir.resolve("t");
    Files.createDirectories(t.resolve("a/b"));
    Files.writeString(t.resolve("a/b/c.txt"), "c");
    Files.writeString(t.resolve("top.txt"), "t");
    ExecutorResources.deleteTree(t);
    assertThat(t).doesNotExist();
    ExecutorResources.deleteTree(t); // already gone: nothing to do, no error
    assertThat(List.of(dir.toFile().list())).doesNotContain("t");
  }

  /** Each shipped archive opens once per JVM (per form), frozen; only opening an encoder needs ONNX Runtime's telemetry off. */
  @Test
  void anArchiveOpensOncePerFormFrozenAndOnlyEncodersNeedTelemetryOff() throws Exception {
    ModelShipment s = ModelShipment.read(SparkTests.model());
    ExecutorResources.release();
    var saved = ExecutorResources.environment;
    try {
      ExecutorResources.environment = name -> null;
      int before = ExecutorResources.created();
      org.pal.api.RewardModel v = ExecutorResources.model(s, true);
      assertThat(ExecutorResources.model(s, true)).isSameAs(v);
      assertThat(ExecutorResources.created() - before).isEqualTo(1);
      assertThat(v.engine().params().frozen()).isTrue();
      String user = v.users().get(0);
      assertThatThrownBy(() -> v.rewards(org.pal.api.User.id(user), org.pal.api.Input.text("a cat"), org.pal.api.Input.text("a dog")))
          .as("vectors only: no encoder").isInstanceOf(PalException.class);
      assertThatThrownBy(() -> ExecutorResources.model(s, false)).hasMessageContaining("ORT_DISABLE_TELEMETRY is unset");
      assertThatThrownBy(() -> ExecutorResources.embedder(SparkTests.ENCODER)).hasMessageContaining("ORT_DISABLE_TELEMETRY is unset");
      ExecutorResources.environment = name -> "1";
      org.pal.api.RewardModel full = ExecutorResources.model(s, false);
      assertThat(full).isNotSameAs(v);
      assertThat(full.rewards(org.pal.api.User.id(user), org.pal.api.Input.text("a cat"), org.pal.api.Input.text("a dog"))).hasSize(1);
      assertThat(ExecutorResources.created() - before).isEqualTo(2);
      ExecutorResources.release();
      assertThat(ExecutorResources.model(s, true)).as("reopened after release").isNotSameAs(v);
    } finally {
      ExecutorResources.environment = saved;
    }
  }
}
