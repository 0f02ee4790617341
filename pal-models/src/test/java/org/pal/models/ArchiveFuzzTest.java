package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.archive.AtomicFiles;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.fuzz.Outcome;
import org.pal.core.model.PalModel;
import org.pal.core.testing.TinyData;

/** Archive manifests, edited at random: a model whose every parameter is finite and listed, or exit 2. */
class ArchiveFuzzTest {
  private static final ComponentRegistry REGISTRY = Pal.load().registry();
  private static Path root, archive;
  private static String manifest;

  @BeforeContainer
  static void save() throws Exception {
    root = Files.createTempDirectory("pal-archive-fuzz");
    archive = root.resolve("m");
    SplitDataset split = TinyData.make(3, 0, 10, 4, 0, 2);
    PalModel m = PalModel.build(REGISTRY, PalConfig.parse("{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":3}}"), 4, 0,
        split.ids(split.seenUsers()), DataType.FLOAT);
    ModelArchive.save(m, archive, new ModelArchive.Provenance(0, "h", ModelArchive.VERSION, "now", Map.of()));
    manifest = Files.readString(archive.resolve(ModelArchive.MANIFEST));
  }

  @AfterContainer
  static void clean() throws Exception {
    AtomicFiles.deleteTree(root);
  }

  @Provide
  Arbitrary<String> manifests() {
    Arbitrary<String> values = Arbitraries.of("2", "1", "0", "-1", "2.5", "1e400", "null", "\"\"", "\"../m/params/users.npy\"", "\"/etc/passwd\"",
        "\"params/users.npy\"", "[]", "{}", "[3, 2]", "[2, 3]", "\"" + "0".repeat(64) + "\"", "\"users\"", "\"prototypes\"", "true", "[\"a\", \"a\", \"b\"]",
        "99999999999999999999");
    Arbitrary<String> replaced = Combinators.combine(Arbitraries.integers().between(0, 100_000), values).as((at, v) -> {
      int colon = manifest.indexOf(':', at % manifest.length());
      if (colon < 0) return manifest;
      int end = colon + 1;
      int depth = 0;
      while (end < manifest.length()) {
        char c = manifest.charAt(end);
        if (c == '[' || c == '{') depth++;
        if ((c == ']' || c == '}') && depth-- == 0) break;
        if (c == ',' && depth == 0) break;
        end++;
      }
      return manifest.substring(0, colon + 1) + " " + v + manifest.substring(end);
    });
    Arbitrary<String> cut = Arbitraries.integers().between(0, 100_000).map(n -> manifest.substring(0, n % (manifest.length() + 1)));
    return Arbitraries.oneOf(replaced, replaced, cut, Arbitraries.just(manifest));
  }

  @Property(tries = 150)
  void manifestsLoadCorrectlyOrAreRefused(@ForAll("manifests") String text) throws Exception {
    Files.writeString(archive.resolve(ModelArchive.MANIFEST), text);
    PalModel m = Outcome.of(() -> ModelArchive.load(REGISTRY, archive));
    if (m != null) {
      Outcome.finite(m.params().flatValue().toFloatArray());
      assertThat(m.userIds()).doesNotHaveDuplicates();
    }
  }
}
