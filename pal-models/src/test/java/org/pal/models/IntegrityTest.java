package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.model.PalModel;
import org.pal.core.testing.TinyData;
import org.pal.core.train.Trainer;

/** Archives and checkpoints: corruption and mismatches are errors (exit 2), never silently wrong numbers. */
class IntegrityTest {
  private final ComponentRegistry registry = Pal.load().registry();
  private static final String CONFIG = "{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":4},\"trainer\":{\"epochs\":4,\"batchSize\":16}}";

  private PalModel model(String json, SplitDataset split) {
    return PalModel.build(registry, PalConfig.parse(json), split.data().items().dim(), split.data().promptDim(),
        split.ids(split.seenUsers()), DataType.FLOAT);
  }

  private Path saved(Path dir) {
    SplitDataset split = TinyData.make(4, 0, 20, 5, 0, 2);
    Path archive = dir.resolve("m");
    ModelArchive.save(model(CONFIG, split), archive, new ModelArchive.Provenance(0, "h", ModelArchive.VERSION, "now", Map.of()));
    return archive;
  }

  private static void userInput(Runnable r, String... fragments) {
    assertThatThrownBy(r::run).isInstanceOf(PalException.class).satisfies(e -> {
      assertThat(((PalException) e).kind()).isEqualTo(PalException.Kind.USER_INPUT);
      for (String f : fragments) assertThat(e.getMessage()).contains(f);
    });
  }

  @Test
  void aParameterDroppedFromTheManifestIsAnError(@TempDir Path dir) throws Exception {
    Path archive = saved(dir);
    ObjectNode m = (ObjectNode) Json.readTree(archive.resolve(ModelArchive.MANIFEST));
    ArrayNode params = (ArrayNode) m.get("params");
    String dropped = params.get(0).get("name").asText();
    params.remove(0);
    Files.writeString(archive.resolve(ModelArchive.MANIFEST), Json.write(m));
    userInput(() -> ModelArchive.load(registry, archive), dropped, "not in the manifest");
  }

  @Test
  void aNonFiniteParameterIsRefusedEvenWithAMatchingChecksum(@TempDir Path dir) throws Exception {
    Path archive = saved(dir);
    Path npy = archive.resolve("params/prototypes.npy");
    byte[] b = Files.readAllBytes(npy);
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat(b.length - 4, Float.NaN);
    Files.write(npy, b);
    ObjectNode m = (ObjectNode) Json.readTree(archive.resolve(ModelArchive.MANIFEST));
    for (var p : m.get("params")) {
      if (p.get("name").asText().equals("prototypes")) ((ObjectNode) p).put("sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)));
    }
    Files.writeString(archive.resolve(ModelArchive.MANIFEST), Json.write(m));
    userInput(() -> ModelArchive.load(registry, archive), "prototypes", "non-finite");
  }

  @Test
  void aChangedParameterFileOrAPathLeavingTheArchiveIsRefused(@TempDir Path dir) throws Exception {
    Path archive = saved(dir);
    Path npy = archive.resolve("params/prototypes.npy");
    byte[] b = Files.readAllBytes(npy);
    b[b.length - 1] ^= 1; // one flipped bit: still a finite float
    Files.write(npy, b);
    userInput(() -> ModelArchive.load(registry, archive), "prototypes", "SHA-256");
    b[b.length - 1] ^= 1;
    Files.write(npy, b);
    Files.write(dir.resolve("outside.npy"), b);
    ObjectNode m = (ObjectNode) Json.readTree(archive.resolve(ModelArchive.MANIFEST));
    for (String path : new String[] {"../outside.npy", dir.resolve("outside.npy").toString()}) {
      for (var p : m.get("params")) if (p.get("name").asText().equals("prototypes")) ((ObjectNode) p).put("file", path);
      Files.writeString(archive.resolve(ModelArchive.MANIFEST), Json.write(m));
      userInput(() -> ModelArchive.load(registry, archive), "not a path inside");
    }
    Files.createSymbolicLink(archive.resolve("params/link.npy"), dir.resolve("outside.npy"));
    for (var p : m.get("params")) if (p.get("name").asText().equals("prototypes")) ((ObjectNode) p).put("file", "params/link.npy");
    Files.writeString(archive.resolve(ModelArchive.MANIFEST), Json.write(m));
    userInput(() -> ModelArchive.load(registry, archive), "not a path inside");
  }

  @Test
  void resumeRefusesAnotherDatasetOfTheSameSizeOtherRatesAndAShorterRun(@TempDir Path dir) {
    SplitDataset split = TinyData.make(6, 0, 30, 5, 0, 2), other = TinyData.make(6, 0, 30, 5, 0, 3);
    Path ck = dir.resolve("ck");
    new Trainer(model(CONFIG, split).config().trainer(), null).fit(model(CONFIG, split), split, ck, false);
    PalModel again = model(CONFIG, other);
    userInput(() -> new Trainer(again.config().trainer(), null).fit(again, other, ck, true), "dataSha256");
    String faster = CONFIG.replace("\"batchSize\":16", "\"batchSize\":16,\"groups\":{\"mapping\":{\"lr\":0.01}}");
    PalModel rates = model(faster, split);
    userInput(() -> new Trainer(rates.config().trainer(), null).fit(rates, split, ck, true), "effectiveGroups.mapping.lr");
    PalModel shorter = model(CONFIG, split);
    userInput(() -> new Trainer(shorter.config().trainer().withEpochs(3), null).fit(shorter, split, ck, true), "trainer.epochs = 3", "at least that many");
    PalModel longer = model(CONFIG, split);
    assertThat(new Trainer(longer.config().trainer().withEpochs(6), null).fit(longer, split, ck, true).resumed()).isTrue();
    PalModel lost = model(CONFIG, split);
    userInput(() -> new Trainer(lost.config().trainer(), null).fit(lost, split, dir.resolve("typo"), true), "typo", "does not exist");
  }

  @Test
  void configMistakesAreErrorsNamingTheField() {
    SplitDataset split = TinyData.make(4, 0, 20, 5, 0, 2);
    userInput(() -> model("{\"model\":{\"type\":\"pal-a\",\"k\":2},\"trainer\":{\"groups\":{\"mappping\":{\"lr\":0.1}}}}", split),
        "trainer.groups.mappping", "[default, mapping, prototypes, users]");
    userInput(() -> model("{\"model\":{\"type\":\"pal-a\",\"k\":2.7}}", split), "model.k = 2.7", "whole number");
    userInput(() -> PalConfig.parse("{\"model\":{\"type\":\"pal-a\"},\"trainer\":{\"epochs\":1.9}}"), "config.trainer.epochs", "whole number");
    userInput(() -> PalConfig.parse("{\"model\":{\"type\":\"pal-a\"},\"trainer\":{\"epochs\":\"3\"}}"), "config.trainer.epochs");
    userInput(() -> PalConfig.parse("{\"model\":{\"type\":\"pal-a\"},\"trainer\":{\"epochs\":3,\"epochs\":4}}"), "Duplicate field 'epochs'");
    userInput(() -> PalConfig.parse("{\"model\":{\"type\":\"pal-a\"},\"trainer\":{\"epochs\":null}}"), "config.trainer.epochs = null");
    userInput(() -> PalConfig.parse("[".repeat(100_000)), "nesting depth");
    userInput(() -> PalConfig.parse("{\"model\":{\"type\":\"pal-a\",\"k\":" + "9".repeat(200_000) + "}}"), "number");
  }
}
