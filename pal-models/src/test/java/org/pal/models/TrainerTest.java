package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.data.Pairs;
import org.pal.core.data.PreferenceDataset;
import org.pal.core.data.SplitDataset;
import org.pal.core.data.Table;
import org.pal.core.eval.Evaluator;
import org.pal.core.model.Batch;
import org.pal.core.model.PalModel;
import org.pal.core.tensor.Tape;
import org.pal.core.testing.TinyData;
import org.pal.core.train.ProgressListener;
import org.pal.core.train.TrainResult;
import org.pal.core.train.Trainer;

class TrainerTest {
  private final ComponentRegistry registry = Pal.load().registry();
  private static final String PAL_B = "{\"model\":{\"type\":\"pal-b\",\"k\":2,\"dim\":6,\"itemProjector\":{\"type\":\"mlp\",\"layers\":2,\"dropout\":0.1}},"
      + "\"simplex\":{\"type\":\"gumbel-softmax\"},\"trainer\":{\"epochs\":6,\"batchSize\":32,\"seed\":4}}";

  private PalModel model(String json, SplitDataset split) {
    return PalModel.build(registry, PalConfig.parse(json), split.data().items().dim(), split.data().promptDim(),
        split.ids(split.seenUsers()), DataType.FLOAT);
  }

  private TrainResult fit(PalModel m, SplitDataset s, Path ckpt, boolean resume, int epochs) {
    return new Trainer(m.config().trainer().withEpochs(epochs), null).fit(m, s, ckpt, resume);
  }

  @Test
  void sameSeedGivesBitIdenticalRuns() {
    SplitDataset split = TinyData.make(10, 0, 40, 5, 3, 2);
    PalModel a = model(PAL_B, split), b = model(PAL_B, split);
    fit(a, split, null, false, 6);
    fit(b, split, null, false, 6);
    assertThat(b.params().flatValue().toFloatArray()).containsExactly(a.params().flatValue().toFloatArray());
    PalModel c = model(PAL_B.replace("\"seed\":4", "\"seed\":5"), split);
    fit(c, split, null, false, 6);
    assertThat(c.params().flatValue().toFloatArray()).isNotEqualTo(a.params().flatValue().toFloatArray());
  }

  @Test
  void resumeAfterAKillEqualsAnUninterruptedRun(@TempDir Path dir) throws Exception {
    SplitDataset split = TinyData.make(10, 0, 40, 5, 3, 2);
    PalModel full = model(PAL_B, split);
    fit(full, split, dir.resolve("full"), false, 6);
    // "killed" after 3 epochs: a fresh process builds the model again and resumes from the checkpoint
    PalModel first = model(PAL_B, split);
    fit(first, split, dir.resolve("killed"), false, 3);
    assertThat(Files.readString(dir.resolve("killed/LATEST")).trim()).isEqualTo("epoch-000003");
    // what a kill in the middle of writing epoch 4 leaves: a temporary directory and a temporary LATEST
    Files.createDirectories(dir.resolve("killed/.epoch-000004.tmp123"));
    Files.writeString(dir.resolve("killed/.epoch-000004.tmp123/state.json"), "{\"epochsDone\": 4, \"adamS");
    Files.writeString(dir.resolve("killed/.LATEST123.tmp"), "epoch-0000");
    PalModel resumed = model(PAL_B, split);
    TrainResult r = fit(resumed, split, dir.resolve("killed"), true, 6);
    assertThat(r.resumed()).isTrue();
    assertThat(r.epochsRun()).isEqualTo(6);
    assertThat(resumed.params().flatValue().toFloatArray()).containsExactly(full.params().flatValue().toFloatArray());
    // a checkpoint from another configuration is refused, not silently mixed in
    PalModel other = model(PAL_B.replace("\"dim\":6", "\"dim\":7"), split);
    assertThatThrownBy(() -> fit(other, split, dir.resolve("killed"), true, 6)).isInstanceOf(PalException.class)
        .hasMessageContaining("checkpoint");
  }

  @Test
  void earlyStoppingKeepsTheBestValidationEpoch() {
    SplitDataset split = TinyData.make(10, 0, 40, 5, 0, 2);
    PalModel m = model("{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":4},\"trainer\":{\"epochs\":200,\"patience\":5,\"batchSize\":16,"
        + "\"groups\":{\"mapping\":{\"lr\":0.05},\"prototypes\":{\"lr\":0.05},\"users\":{\"lr\":0.05}}}}", split);
    List<Double> val = new ArrayList<>();
    TrainResult r = new Trainer(m.config().trainer(), rep -> val.add(rep.validationAccuracy())).fit(m, split, null, false);
    assertThat(r.epochsRun()).isLessThan(200).isEqualTo(r.bestEpoch() + 5);
    double best = val.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    assertThat(r.bestValidationAccuracy()).isEqualTo(best);
    assertThat(val.indexOf(best) + 1).isEqualTo(r.bestEpoch());
    double now = Evaluator.accuracy(m, split.data(), split.validation(), split.rowIndex(split.seenUsers()), m.users());
    assertThat(now).as("restored parameters are the best epoch's").isEqualTo(best);
  }

  @Test
  void archiveRoundTripGivesIdenticalPredictions(@TempDir Path dir) throws Exception {
    SplitDataset split = TinyData.make(10, 0, 40, 5, 3, 2);
    PalModel m = model(PAL_B, split);
    fit(m, split, null, false, 3);
    Path archive = dir.resolve("model");
    ModelArchive.save(m, archive, new ModelArchive.Provenance(4, split.data().hash(), ModelArchive.VERSION, "now", Map.of()));
    PalModel back = ModelArchive.load(registry, archive);
    assertThat(margins(back, split)).containsExactly(margins(m, split));
    assertThat(back.userIds()).isEqualTo(m.userIds());
    // numpy-readable: the .npy header says float32 and the right shape
    String header = new String(Files.readAllBytes(archive.resolve("params/users.npy")), 0, 80, java.nio.charset.StandardCharsets.US_ASCII);
    assertThat(header).contains("'descr': '<f4'").contains("'shape': (10, 2)");
    // overwriting (asked for) keeps a complete archive and leaves no temporary directories behind
    org.pal.core.archive.OutputDir.claim(archive, true);
    ModelArchive.save(m, archive, new ModelArchive.Provenance(4, "x", ModelArchive.VERSION, "now", Map.of()));
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("model");
    }
  }

  private static double[] margins(PalModel m, SplitDataset split) {
    Tape t = new Tape(DataType.FLOAT).noGrad(true);
    Batch b = Batch.gather(t, split.data(), split.test(), 0, split.test().length, split.rowIndex(split.seenUsers()));
    return m.margins(t, b, m.users(), null).value().toDoubleArray();
  }

  @Test
  void corruptOrMissingArchivesFailClearly(@TempDir Path dir) throws Exception {
    SplitDataset split = TinyData.make(4, 0, 20, 5, 0, 2);
    PalModel m = model("{\"model\":{\"type\":\"pal-a\",\"k\":2}}", split);
    Path archive = dir.resolve("m");
    ModelArchive.save(m, archive, new ModelArchive.Provenance(0, "h", ModelArchive.VERSION, "now", Map.of()));
    assertThatThrownBy(() -> ModelArchive.load(registry, dir.resolve("nope"))).hasMessageContaining("nope").hasMessageContaining("not a directory");
    Path npy = archive.resolve("params/prototypes.npy");
    byte[] bytes = Files.readAllBytes(npy);
    Files.write(npy, java.util.Arrays.copyOf(bytes, bytes.length - 4));
    assertThatThrownBy(() -> ModelArchive.load(registry, archive)).isInstanceOf(PalException.class)
        .hasMessageContaining("prototypes.npy").hasMessageContaining("does not match its SHA-256");
    Files.delete(npy);
    assertThatThrownBy(() -> ModelArchive.load(registry, archive)).hasMessageContaining("prototypes.npy").hasMessageContaining("does not exist");
    Files.delete(archive.resolve(ModelArchive.MANIFEST));
    assertThatThrownBy(() -> ModelArchive.load(registry, archive)).hasMessageContaining("pal-model.json");
  }

  @Test
  void badDataIsRejectedWithFieldAndValue() {
    float[] items = {0, 1, Float.NaN, 2};
    assertThatThrownBy(() -> new Table("items", items, 2, 2).requireFinite())
        .hasMessageContaining("items[row 1, column 0] = NaN");
    Table t = new Table("items", new float[] {0, 1, 2, 3}, 2, 2);
    assertThatThrownBy(() -> new PreferenceDataset(t, null, List.of("u"), new Pairs(new int[] {0}, new int[] {-1}, new int[] {0}, new int[] {5}, new byte[] {1})))
        .hasMessageContaining("pairs[0].right = 5").hasMessageContaining("0..1");
    assertThatThrownBy(() -> new PreferenceDataset(t, null, List.of("u"), new Pairs(new int[] {0}, new int[] {-1}, new int[] {0}, new int[] {1}, new byte[] {0})))
        .hasMessageContaining("pairs[0].label = 0");
    SplitDataset split = TinyData.make(4, 0, 20, 5, 0, 2);
    assertThatThrownBy(() -> new SplitDataset(split.data(), split.seenUsers(), split.unseenUsers(), split.train(), new int[0], split.test(), split.unseen()))
        .hasMessageContaining("split.validation").hasMessageContaining("empty");
    PalModel wrongDim = PalModel.build(registry, PalConfig.parse("{\"model\":{\"type\":\"pal-a\"}}"), 7, 0, split.ids(split.seenUsers()), DataType.FLOAT);
    assertThatThrownBy(() -> fit(wrongDim, split, null, false, 1)).hasMessageContaining("items.dim = 5").hasMessageContaining("7");
    PalModel m = model("{\"model\":{\"type\":\"pal-a\",\"k\":2}}", split);
    assertThatThrownBy(() -> m.userRow("stranger")).hasMessageContaining("user = stranger").hasMessageContaining("pal adapt");
  }

  @Test
  void fewShotAndZeroShotUseOnlyNewUsersFirstPairs() {
    SplitDataset split = TinyData.make(20, 8, 60, 6, 0, 5);
    PalModel m = model("{\"model\":{\"type\":\"pal-a\",\"k\":2,\"dim\":6},\"trainer\":{\"epochs\":60,\"batchSize\":64,"
        + "\"groups\":{\"mapping\":{\"lr\":0.01},\"prototypes\":{\"lr\":0.01},\"users\":{\"lr\":0.05}}}}", split);
    fit(m, split, null, false, 60);
    var fs = Evaluator.fewShotSplit(split, 20, 0.2);
    assertThat(fs.users()).hasSize(8);
    assertThat(fs.adaptTrain()).hasSize(8 * 16);
    assertThat(fs.adaptValidation()).hasSize(8 * 4);
    assertThat(fs.test()).hasSize(8 * 40);
    var acc = Evaluator.evaluate(m, split, 20, m.config().trainer().adapt(), 1);
    assertThat(acc.seen()).isGreaterThan(0.8);
    // two opposed groups: the mean user is uninformative, enrolment recovers each group
    assertThat(acc.unseenFewShot()).isGreaterThan(acc.zeroShot() + 0.1);
    assertThat(acc.unseenFewShot()).isGreaterThan(0.75);
  }
}
