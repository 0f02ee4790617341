package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.pal.api.RewardModelTest.assertUserError;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.data.SplitDataset;
import org.pal.core.experiment.RunResult;

/**
 * The library's entry points that the CLI wraps, called directly: a dataset written as a directory
 * reads back as the same tables, pairs and splits; a model finds the data it was trained on again
 * (from a spec and seed, or from a directory); a sweep trains every (K, seed), tells its listener,
 * and its summary is the mean and sample std of its runs recomputed here; a failed training run
 * closes the encoder it opened.
 */
class PalApiTest {
  static final PalApi PAL = PalApi.create(new ApiTestPlugin());
  static final JsonNode SPEC = Json.parse("{\"type\": \"synthetic\", \"dim\": 4, \"trueK\": 2, \"users\": 8, \"pairs\": 12,"
      + " \"testPairs\": 6, \"unseenUsers\": 3, \"unseenPairs\": 8}");
  static final PalConfig CFG = PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 2, \"dim\": 3}, \"trainer\": {\"epochs\": 3, \"batchSize\": 32}}");

  static void assertSameSplit(SplitDataset a, SplitDataset b) {
    assertThat(b.data().items().data()).containsExactly(a.data().items().data());
    assertThat(b.data().userIds()).isEqualTo(a.data().userIds());
    assertThat(b.data().pairs().left).containsExactly(a.data().pairs().left);
    assertThat(b.data().pairs().right).containsExactly(a.data().pairs().right);
    assertThat(b.data().pairs().user).containsExactly(a.data().pairs().user);
    assertThat(b.data().pairs().label).containsExactly(a.data().pairs().label);
    assertThat(b.seenUsers()).containsExactly(a.seenUsers());
    assertThat(b.train()).containsExactly(a.train());
    assertThat(b.validation()).containsExactly(a.validation());
    assertThat(b.test()).containsExactly(a.test());
    assertThat(b.unseen()).containsExactly(a.unseen());
  }

  @Test
  void aModelFindsTheDataItWasTrainedOnFromItsSpecOrItsDirectory(@TempDir Path dir) throws Exception {
    Dataset d = PAL.dataset(SPEC, 3);
    assertThat(d.provenance().get("seed").asLong()).isEqualTo(3);
    assertThat(d.hasPrompts()).isFalse();
    PAL.writeDataset(d, dir.resolve("data"));
    Dataset back = PAL.dataset(dir.resolve("data"));
    assertSameSplit(d.split(), back.split());
    assertThat(back.provenance().get("directory").asText()).isEqualTo(dir.resolve("data").toAbsolutePath().toString());

    RewardModel fromSpec = PAL.train(CFG, d).model();
    assertSameSplit(d.split(), PAL.trainingData(fromSpec).split());
    RewardModel fromDir = PAL.train(CFG, back).model();
    assertSameSplit(d.split(), PAL.trainingData(fromDir).split());
    assertThat(fromDir.provenance().dataHash()).isEqualTo(d.split().data().hash());

    assertUserError(() -> PAL.trainingData(PAL.initialise(CFG, 4, 0, List.of("a"), null)), "dataset = not recorded");
    // an archive whose dataset entry lost its seed names what it holds
    Path saved = dir.resolve("model");
    fromSpec.save(saved);
    ObjectNode m = (ObjectNode) Json.readTree(saved.resolve(ModelArchive.MANIFEST));
    ((ObjectNode) m.get("dataset")).remove("seed");
    Files.writeString(saved.resolve(ModelArchive.MANIFEST), Json.write(m));
    try (RewardModel noSeed = PAL.load(saved)) {
      assertUserError(() -> PAL.trainingData(noSeed), "records neither a directory nor a spec with its seed");
    }
  }

  /** Seen accuracy and a user's held-out accuracy recounted by scoring their test pairs with their weights. */
  @Test
  void evaluationAndHeldOutAccuracyAreTheShareOfTestPairsScoredRight() {
    Dataset d = PAL.dataset(SPEC, 5);
    RewardModel m = PAL.train(CFG, d).model();
    SplitDataset s = d.split();
    var pairs = s.data().pairs();
    Map<Integer, List<Integer>> testByUser = new TreeMap<>();
    for (int p : s.test()) testByUser.computeIfAbsent(pairs.user[p], x -> new ArrayList<>()).add(p);
    double correct = 0;
    for (var e : testByUser.entrySet()) {
      String id = s.data().userIds().get(e.getKey());
      double acc = ActiveStudyTest.accuracy(m, s.data(), e.getValue(), m.weights(User.id(id)));
      RewardModel.HeldOut h = m.heldOut(d, id);
      assertThat(h.pairs()).isEqualTo(e.getValue().size());
      assertThat(h.accuracy()).as(id).isCloseTo(acc, within(1e-12));
      correct += acc * e.getValue().size();
    }
    Evaluation ev = m.evaluate(d, 2);
    assertThat(ev.seen()).isCloseTo(correct / s.test().length, within(1e-9));
    assertThat(ev.seenTestPairs()).isEqualTo(s.test().length);
    assertThat(ev.unseenUsers()).isEqualTo(3);
    assertThat(ev.shots()).isEqualTo(2);
    assertThat(ev.unseenFewShot()).isBetween(0.0, 1.0);
    assertThat(ev.zeroShot()).isBetween(0.0, 1.0);
    // what does not fit is named
    String unseen = s.ids(s.unseenUsers()).get(0);
    assertUserError(() -> m.heldOut(d, unseen), "user = " + unseen + ": is not a user of this model");
    Dataset other = PAL.dataset(Json.parse("{\"type\": \"synthetic\", \"dim\": 5, \"users\": 8, \"pairs\": 12, \"testPairs\": 6}"), 5);
    assertUserError(() -> m.heldOut(other, "u0"), "items.dim = 5: the model was trained on item dimension 4");
    assertUserError(() -> m.evaluate(other, 2), "items.dim = 5");
    Dataset reseeded = PAL.dataset(SPEC, 6);
    if (!reseeded.split().ids(reseeded.split().seenUsers()).equals(m.users())) {
      assertUserError(() -> m.evaluate(reseeded, 2), "data = seen users: differ from the model's 8 users");
    }
    // a dataset without unseen users reports no unseen numbers
    Dataset seenOnly = PAL.dataset(Json.parse("{\"type\": \"synthetic\", \"dim\": 4, \"trueK\": 2, \"users\": 8, \"pairs\": 12, \"testPairs\": 6, \"unseenUsers\": 0}"), 5);
    RewardModel m2 = PAL.train(CFG, seenOnly).model();
    Evaluation e2 = m2.evaluate(seenOnly, 2);
    assertThat(e2.unseenFewShot()).isNull();
    assertThat(e2.zeroShot()).isNull();
    assertThat(e2.unseenUsers()).isZero();
  }

  @Test
  void aSweepTrainsEveryKAndSeedAndSummarisesThemOverSeeds() {
    List<Long> splits = new ArrayList<>();
    List<String> progress = new ArrayList<>(), models = new ArrayList<>();
    PalApi.SweepResult res = PAL.sweep(SPEC, CFG, new PalApi.SweepPlan(List.of(1, 2), List.of(0L, 1L), 2, List.of(1, 2)), new PalApi.SweepListener() {
      @Override public org.pal.core.train.ProgressListener progress(String run) { progress.add(run); return r -> {}; }
      @Override public void onSplit(long seed, SplitDataset split) { splits.add(seed); }
      @Override public void onRun(RunResult result, org.pal.core.model.PalModel model) { models.add(result.k() + "/" + model.k()); }
    });
    assertThat(splits).containsExactly(0L, 1L);
    assertThat(progress).hasSize(4).contains("K=1 seed=0", "K=2 seed=1");
    assertThat(models).hasSize(4).containsOnly("1/1", "2/2");
    assertThat(res.runs()).hasSize(4);
    assertThat(res.runs()).allSatisfy(r -> assertThat(r.unseenAccuracyByShots()).containsOnlyKeys(1, 2));
    // the summary, recomputed: per K, the mean and sample std of the two seeds' numbers
    Map<Integer, List<RunResult>> byK = new TreeMap<>();
    for (RunResult r : res.runs()) byK.computeIfAbsent(r.k(), x -> new ArrayList<>()).add(r);
    assertThat(res.summary()).hasSize(2);
    for (PalApi.Summary s : res.summary()) {
      List<RunResult> g = byK.get(s.k());
      assertThat(s.runs()).isEqualTo(2);
      assertThat(s.model()).isEqualTo("pal-a");
      double a = g.get(0).seenAccuracy(), b = g.get(1).seenAccuracy();
      assertThat(s.seen().mean()).isCloseTo((a + b) / 2, within(1e-12));
      assertThat(s.seen().std()).isCloseTo(Math.abs(a - b) / Math.sqrt(2), within(1e-12));
      assertThat(s.zeroShot().mean()).isCloseTo((g.get(0).zeroShotAccuracy() + g.get(1).zeroShotAccuracy()) / 2, within(1e-12));
      assertThat(s.trainSeconds()).isCloseTo((g.get(0).trainSeconds() + g.get(1).trainSeconds()) / 2, within(1e-12));
      assertThat(s.pairsPerSecond()).isCloseTo((g.get(0).pairsPerSecond() + g.get(1).pairsPerSecond()) / 2, within(1e-9));
    }
    // no listener is fine
    assertThat(PAL.sweep(PAL.datasetSource(SPEC), CFG, new PalApi.SweepPlan(List.of(1), List.of(0L), 2, null), null).runs()).hasSize(1);
  }

  @Test
  void aFailedTrainingRunClosesTheEncoderItOpened(@TempDir Path dir) throws Exception {
    Path records = ApiTestPlugin.writePets(dir.resolve("pets.jsonl"), 6, 12, 2);
    Dataset d = PAL.dataset(Json.parse("{\"type\": \"records\", \"path\": \"" + records + "\", \"encoder\": {\"type\": \"test-words\"}}"), 0);
    int before = ApiTestPlugin.CLOSED.get();
    assertUserError(() -> PAL.train(CFG, d, new PalApi.TrainOptions(dir.resolve("no-checkpoints"), true, null)), "nothing to resume");
    assertThat(ApiTestPlugin.CLOSED.get() - before).isEqualTo(1);
  }
}
