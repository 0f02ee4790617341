package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.pal.api.RewardModelTest.assertUserError;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;

/**
 * What each prototype likes: the distinct training responses of a record file (in file order, capped)
 * ranked by the reward each gets from the model for the weights e_k alone, recomputed here one
 * request at a time; where the record file comes from (the archive's dataset, or the caller) and
 * each reason it cannot be read.
 */
class PrototypeRankingTest {
  @TempDir static Path dir;
  static final PalApi PAL = PalApi.create(new ApiTestPlugin());
  static final JsonNode WORDS = Json.parse("{\"type\": \"test-words\"}");
  static RewardModel model;
  static Path file;

  @BeforeAll
  static void setUp() throws Exception {
    model = PAL.initialise(PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"k\": 2, \"dim\": 6}, \"trainer\": {\"seed\": 4}}"),
        16, 16, List.of("a"), WORDS);
    file = Files.writeString(dir.resolve("train.jsonl"), String.join("\n",
        "{\"user_id\": \"a\", \"prompt\": \"pets\", \"left\": \"a cat sleeps\", \"right\": \"a dog runs\", \"label\": 1}",
        "{\"user_id\": \"a\", \"prompt\": \"pets\", \"left\": \"a dog runs\", \"right\": \"a bird sings\", \"label\": 1}",
        "{\"user_id\": \"a\", \"prompt\": \"\", \"left\": \"skipped\", \"right\": \"skipped too\", \"label\": 1}",
        "{\"user_id\": \"a\", \"prompt\": \"food\", \"left\": \"hot soup\", \"right\": \"a cat sleeps\", \"label\": -1}",
        "{\"user_id\": \"a\", \"prompt\": \"food\", \"left\": \"cold salad\", \"right\": \"\", \"label\": 1}") + "\n");
  }

  static RewardModel withDataset(String json) {
    return new RewardModel(PAL.registry(), model.engine(), Encoders.forTraining(PAL.registry(), WORDS, 16, 16), null, json == null ? null : Json.parse(json));
  }

  @Test
  void rankingsAreTheRewardsOfEachPrototypeAloneInOrder() {
    PrototypeRanking.TrainingResponses tr = PrototypeRanking.trainingResponses(model, file, 100);
    assertThat(tr.rows()).isEqualTo(5);
    assertThat(tr.capped()).isFalse();
    assertThat(tr.dataRoot()).isEqualTo(dir.toAbsolutePath());
    List<PrototypeRanking.Response> want = List.of(new PrototypeRanking.Response("pets", "a cat sleeps"), new PrototypeRanking.Response("pets", "a dog runs"),
        new PrototypeRanking.Response("pets", "a bird sings"), new PrototypeRanking.Response("food", "hot soup"),
        new PrototypeRanking.Response("food", "a cat sleeps"), new PrototypeRanking.Response("food", "cold salad"));
    assertThat(tr.responses()).isEqualTo(want);
    PrototypeRanking.TrainingResponses capped = PrototypeRanking.trainingResponses(model, file, 4);
    assertThat(capped.responses()).isEqualTo(want.subList(0, 4));
    assertThat(capped.capped()).isTrue();
    assertThat(PrototypeRanking.trainingResponses(model, file, 6).capped()).as("exactly as many as the cap").isFalse();

    PrototypeRanking r = PrototypeRanking.of(model, tr, 2);
    assertThat(r.file()).isEqualTo(file);
    assertThat(r.rows()).isEqualTo(5);
    assertThat(r.ranked()).isEqualTo(6);
    assertThat(r.prototypes()).hasSize(2);
    for (int j = 0; j < 2; j++) {
      double[] e = new double[2];
      e[j] = 1;
      List<PrototypeRanking.Entry> all = new ArrayList<>();
      for (PrototypeRanking.Response x : want) {
        double reward = model.rewards(User.weights(e), Input.text(x.prompt()), Input.text(x.response()))[0];
        all.add(new PrototypeRanking.Entry(x.prompt(), x.response(), reward, null));
      }
      all.sort(Comparator.comparingDouble(PrototypeRanking.Entry::reward).reversed());
      PrototypeRanking.Prototype p = r.prototypes().get(j);
      assertThat(p.index()).isEqualTo(j);
      check(p.highest(), all.subList(0, 2));
      check(p.lowest(), List.of(all.get(5), all.get(4)));
    }
    assertThat(r.prototypes().get(0).highest().get(0).reward()).isNotCloseTo(r.prototypes().get(1).highest().get(0).reward(), within(1e-9));
    // n larger than the responses: every response, both ways
    assertThat(PrototypeRanking.of(model, capped, 10).prototypes().get(0).highest()).hasSize(4);
  }

  private static void check(List<PrototypeRanking.Entry> got, List<PrototypeRanking.Entry> want) {
    assertThat(got).hasSize(want.size());
    for (int i = 0; i < want.size(); i++) {
      assertThat(got.get(i).response()).isEqualTo(want.get(i).response());
      assertThat(got.get(i).prompt()).isEqualTo(want.get(i).prompt());
      assertThat(got.get(i).reward()).isCloseTo(want.get(i).reward(), within(1e-5));
      assertThat(got.get(i).thumbnail()).isNull();
    }
  }

  @Test
  void theRecordFileComesFromTheArchiveOrSaysWhyItCannot() throws Exception {
    Path sub = Files.createDirectories(dir.resolve("data"));
    PrototypeRanking.TrainingResponses fromSpec = PrototypeRanking.trainingResponses(withDataset(
        "{\"spec\": {\"type\": \"records\", \"path\": \"" + file + "\", \"dataRoot\": \"" + sub + "\"}, \"seed\": 0}"), null, 10);
    assertThat(fromSpec.file()).isEqualTo(file);
    assertThat(fromSpec.dataRoot()).isEqualTo(sub);
    assertThat(fromSpec.responses()).hasSize(6);
    assertUserError(() -> PrototypeRanking.trainingResponses(withDataset(null), null, 10), "dataset = not recorded");
    assertUserError(() -> PrototypeRanking.trainingResponses(withDataset("{\"directory\": \"/d/x\"}"), null, 10), "dataset = /d/x: the model was trained on a dataset directory");
    assertUserError(() -> PrototypeRanking.trainingResponses(withDataset("{\"spec\": {\"type\": \"synthetic\"}}"), null, 10), "dataset = synthetic: the model was trained on a 'synthetic' dataset");
    assertUserError(() -> PrototypeRanking.trainingResponses(withDataset("{\"spec\": {}}"), null, 10), "dataset = (no type)");
    assertUserError(() -> PrototypeRanking.trainingResponses(withDataset("{\"spec\": {\"type\": \"records\", \"path\": \"" + dir.resolve("gone.jsonl") + "\"}}"), null, 10),
        "the record file the model was trained on is not here");
    assertUserError(() -> PrototypeRanking.trainingResponses(model, dir, 10), "is not a file");
    assertUserError(() -> PrototypeRanking.trainingResponses(model, file, 0), "cap = 0: must be at least 1");
    assertUserError(() -> PrototypeRanking.of(model, PrototypeRanking.trainingResponses(model, file, 3), 0), "n = 0: must be at least 1");
    Path noRight = Files.writeString(dir.resolve("r1.jsonl"), "{\"prompt\": \"p\", \"left\": \"x\"}\n");
    assertUserError(() -> PrototypeRanking.trainingResponses(model, noRight, 10), "'right' is missing");
    Path noPrompt = Files.writeString(dir.resolve("r2.jsonl"), "{\"chosen\": \"x\", \"rejected\": \"y\"}\n");
    assertUserError(() -> PrototypeRanking.trainingResponses(model, noPrompt, 10), "the model conditions on prompts but the file has no prompt column");
    Path blank = Files.writeString(dir.resolve("r3.jsonl"), "{\"prompt\": \"p\", \"chosen\": \" \", \"rejected\": \"\"}\n");
    assertUserError(() -> PrototypeRanking.trainingResponses(model, blank, 10), "holds no responses");
  }
}
