package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.core.data.PreferenceDataset;

/** The library API on raw text, end to end: train from records, score raw inputs, enrol, save, load. */
class RewardModelTest {
  @TempDir static Path dir;
  static PalApi pal;
  static Path records;
  static Dataset data;
  static RewardModel model;
  static Path saved;

  @BeforeAll
  static void train() throws Exception {
    pal = PalApi.create(new ApiTestPlugin());
    records = ApiTestPlugin.writePets(dir.resolve("pets.jsonl"), 30, 24, 1);
    data = pal.dataset(Json.parse("{\"type\": \"records\", \"path\": \"" + records + "\", \"encoder\": {\"type\": \"test-words\"}}"), 0);
    PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"k\": 2, \"dim\": 8},"
        + " \"trainer\": {\"epochs\": 40, \"batchSize\": 64, \"patience\": 40}}");
    model = pal.train(cfg, data).model();
    saved = dir.resolve("model");
    model.save(saved);
  }

  @Test
  void learnsHeldOutPreferencesAndRecordsItsEncoder() {
    Evaluation e = model.evaluate(data, 5);
    assertThat(e.seen()).as("held-out seen accuracy").isGreaterThan(0.9);
    assertThat(e.unseenFewShot()).as("unseen users after 5 comparisons").isGreaterThan(0.8);
    assertThat(e.unseenTestPairs()).isPositive();
    ModelArchive.Inputs in = ModelArchive.inputs(saved);
    assertThat(in.items().config().path("type").asText()).isEqualTo("test-words");
    assertThat(in.items().fingerprint()).isEqualTo("test-words:16");
    assertThat(in.items().dim()).isEqualTo(16);
    assertThat(in.prompts()).isEqualTo(in.items());
    assertThat(ModelArchive.manifest(saved).path("dataset").path("spec").path("type").asText()).isEqualTo("records");
  }

  /** Raw text through the recorded encoder gives the rewards of the same texts' rows in the training tables. */
  @Test
  void rawTextScoresEqualTheTrainingRows() throws Exception {
    // the records loader deduplicates values in order of first appearance (left, then right; prompts apart)
    Map<String, Integer> items = new LinkedHashMap<>(), prompts = new LinkedHashMap<>();
    for (String line : Files.readAllLines(records)) {
      JsonNode j = Json.parse(line);
      prompts.putIfAbsent(j.get("prompt").asText(), prompts.size());
      items.putIfAbsent(j.get("left").asText(), items.size());
      items.putIfAbsent(j.get("right").asText(), items.size());
    }
    PreferenceDataset d = data.split().data();
    String user = model.users().get(3);
    List<String> texts = new ArrayList<>(items.keySet()).subList(0, 6);
    String prompt = prompts.keySet().iterator().next();
    try (RewardModel loaded = pal.load(saved)) {
      double[] raw = loaded.rewards(User.id(user), Input.text(prompt), texts.stream().map(Input::text).toList());
      double[][] w = new double[texts.size()][];
      float[][] p = new float[texts.size()][], x = new float[texts.size()][];
      for (int i = 0; i < texts.size(); i++) {
        w[i] = model.weights(User.id(user));
        p[i] = row(d.prompts().data(), d.prompts().dim(), prompts.get(prompt));
        x[i] = row(d.items().data(), d.items().dim(), items.get(texts.get(i)));
      }
      double[] rows = model.rewards(w, p, x);
      for (int i = 0; i < raw.length; i++) assertThat(raw[i]).isCloseTo(rows[i], within(1e-5));
      assertThat(raw[0]).isNotCloseTo(raw[3], within(1e-3)); // a cat and a dog sentence are scored apart
      // the ND4J form agrees with the array form
      INDArray r = loaded.rewards(Nd4j.createFromArray(w), Nd4j.createFromArray(p), Nd4j.createFromArray(x));
      assertThat(r.getDouble(2)).isCloseTo(rows[2], within(1e-5));
    }
  }

  @Test
  void preferenceIsTheLinkOfTheRewardDifferenceAndBatchesEncodeEachTextOnce() {
    Input prompt = Input.text("describe a pet");
    Input cat = Input.text("a cat naps in a box"), dog = Input.text("a dog chews a bone");
    double[] r = model.rewards(User.id("u0"), prompt, cat, dog);
    double p = model.preference(User.id("u0"), prompt, cat, dog);
    assertThat(p).isCloseTo(1 / (1 + Math.exp(-(r[0] - r[1]))), within(1e-9));
    assertThat(p).as("u0 likes cats").isGreaterThan(0.5);
    assertThat(model.preference(User.id("u29"), prompt, cat, dog)).as("u29 likes dogs").isLessThan(0.5);
    int before = ApiTestPlugin.TEXTS.get();
    List<Scores> s = model.score(List.of(ScoreRequest.of(User.id("u0"), prompt, cat, dog),
        ScoreRequest.of(User.id("u29"), prompt, dog, cat, dog), ScoreRequest.of(User.zeroShot(), prompt, cat)));
    assertThat(ApiTestPlugin.TEXTS.get() - before).as("3 distinct texts, each encoded once").isEqualTo(3);
    assertThat(s.get(0).rewards()).containsExactly(r, within(1e-5)); // float32 products in another batch shape
    assertThat(s.get(1).rewards()[0]).isCloseTo(s.get(1).rewards()[2], within(1e-5)); // same text, same context
    assertThat(s.get(1).preference()).isNull();
    assertThat(s.get(2).weights()).containsExactly(model.zeroShotWeights(), within(0.0));
  }

  @Test
  void enrolEachFitsEveryUserAsASeparateOneThreadEnrolmentWhateverTheWorkers() {
    String[] cats = {"a cat on the windowsill", "a kitten in a basket", "the cat purrs"};
    String[] dogs = {"a dog in the garden", "the puppy barks", "a dog with a ball"};
    List<Comparison> cs = new ArrayList<>();
    Map<String, List<Comparison>> byUser = new LinkedHashMap<>();
    for (int u = 0; u < 5; u++) {
      // 3 to 11 comparisons: with and without a validation share; users interleaved as callers send them
      for (int i = 0; i < 3 + 2 * u; i++) {
        boolean likesCats = (u + i / 4) % 2 == 0;
        Comparison c = Comparison.of("fan-" + u, "describe a pet", likesCats ? cats[i % 3] : dogs[i % 3], likesCats ? dogs[(i + u) % 3] : cats[(i + u) % 3]);
        cs.add(c);
        byUser.computeIfAbsent(c.user(), k -> new ArrayList<>()).add(c);
      }
    }
    java.util.Collections.shuffle(cs, new java.util.Random(3));
    // shuffling reorders users, not a user's own comparisons' relative order, except by chance: regroup in the shuffled order
    byUser.clear();
    for (Comparison c : cs) byUser.computeIfAbsent(c.user(), k -> new ArrayList<>()).add(c);
    int workers = org.pal.core.tensor.Threads.workers();
    try {
      PalApi.useThreads(1);
      Map<String, Enrolment.EnrolledUser> alone = new LinkedHashMap<>();
      for (List<Comparison> one : byUser.values()) alone.put(one.get(0).user(), model.enrol(one).users().get(0));
      PalApi.useThreads(3);
      Enrolment each = model.enrolEach(cs, false);
      assertThat(each.users()).extracting(Enrolment.EnrolledUser::user).containsExactlyElementsOf(byUser.keySet());
      for (Enrolment.EnrolledUser u : each.users()) {
        Enrolment.EnrolledUser a = alone.get(u.user());
        assertThat(u.weights()).as(u.user()).containsExactly(a.weights(), within(0.0));
        assertThat(u.comparisons()).isEqualTo(a.comparisons());
        assertThat(u.validationAccuracy()).isEqualTo(a.validationAccuracy());
        assertThat(each.model().weights(User.id(u.user()))).containsExactly(a.weights(), within(1e-12));
      }
      assertThat(alone.get("fan-0").validationAccuracy()).as("3 comparisons: all fit, none validate").isNull();
      assertThat(each.model().users()).hasSize(model.users().size() + 5);
      // a joint enrolment of the same users shares batches and epochs, so at least one user's weights differ
      Enrolment joint = model.enrol(cs);
      assertThat(joint.users().stream().anyMatch(u -> !java.util.Arrays.equals(u.weights(), each.user(u.user()).weights()))).isTrue();
      assertThatThrownBy(() -> each.model().enrolEach(cs.subList(0, 2), false)).isInstanceOf(PalException.class).hasMessageContaining("already a user");
      assertThatThrownBy(() -> model.enrolEach(List.of(), false)).isInstanceOf(PalException.class).hasMessageContaining("at least one comparison");
    } finally {
      PalApi.useThreads(workers);
    }
  }

  @Test
  void enrolsNewUsersFromRawComparisonsAndRefitsOnlyWhenAsked() throws Exception {
    List<Comparison> cs = new ArrayList<>();
    String[] cats = {"a cat on the windowsill", "a kitten in a basket", "the cat purrs"};
    String[] dogs = {"a dog in the garden", "the puppy barks", "a dog with a ball"};
    for (int i = 0; i < 12; i++) {
      cs.add(Comparison.of("dog-fan", "describe a pet", dogs[i % 3], cats[(i + 1) % 3]));
      cs.add(Comparison.of("cat-fan", "describe a pet", cats[i % 3], dogs[(i + 2) % 3]));
    }
    Enrolment e = model.enrol(cs);
    assertThat(e.users()).extracting(Enrolment.EnrolledUser::user).containsExactly("dog-fan", "cat-fan");
    assertThat(e.user("dog-fan").comparisons()).isEqualTo(12);
    assertThat(e.user("dog-fan").validationAccuracy()).isEqualTo(1.0);
    double[] w = e.user("cat-fan").weights();
    assertThat(w[0] + w[1]).isCloseTo(1.0, within(1e-6)); // float32 weights
    RewardModel m2 = e.model();
    assertThat(m2.users()).hasSize(model.users().size() + 2).endsWith("dog-fan", "cat-fan");
    assertThat(m2.weights(User.id("cat-fan"))).containsExactly(w, within(1e-12));
    Input prompt = Input.text("describe a pet");
    assertThat(m2.preference(User.id("cat-fan"), prompt, Input.text("a sleepy cat"), Input.text("a happy dog"))).isGreaterThan(0.5);
    assertThat(m2.preference(User.id("dog-fan"), prompt, Input.text("a sleepy cat"), Input.text("a happy dog"))).isLessThan(0.5);
    assertThat(model.hasUser("cat-fan")).as("the original model is unchanged").isFalse();
    // existing users: refused, unless refitting is asked for
    assertThatThrownBy(() -> m2.enrol(cs.subList(0, 4))).isInstanceOf(PalException.class).hasMessageContaining("already a user");
    Enrolment again = m2.enrol(cs.stream().filter(c -> c.user().equals("cat-fan")).toList().subList(0, 3), true);
    assertThat(again.model().users()).hasSize(m2.users().size());
    // saved and loaded, the enrolled users keep their weights
    Path out = dir.resolve("enrolled");
    m2.save(out);
    try (RewardModel back = pal.load(out)) {
      assertThat(back.weights(User.id("dog-fan"))).containsExactly(m2.weights(User.id("dog-fan")), within(1e-6));
    }
  }

  @Test
  void refusesAnotherEncoderUnlessAcceptedAndSaysWhichWasRecorded() throws Exception {
    Path copy = dir.resolve("tampered");
    copyTree(saved, copy);
    ObjectNode m = (ObjectNode) Json.readTree(copy.resolve(ModelArchive.MANIFEST));
    ((ObjectNode) m.path("inputs").path("items")).put("fingerprint", "test-words:other-weights");
    Files.writeString(copy.resolve(ModelArchive.MANIFEST), Json.write(m));
    assertThatThrownBy(() -> pal.load(copy)).isInstanceOf(PalException.class)
        .hasMessageContaining("test-words:other-weights").hasMessageContaining("test-words:16").hasMessageContaining("accept");
    try (RewardModel ok = pal.load(copy, PalApi.LoadOptions.acceptEncoder(Json.parse("{\"type\": \"test-words\"}")))) {
      assertThat(ok.rewards(User.id("u0"), Input.text("describe a pet"), Input.text("a cat"))).hasSize(1);
    }
    // an encoder that cannot be opened names the recorded one
    ((ObjectNode) m.path("inputs").path("items")).set("config", Json.parse("{\"type\": \"onnx-sentence\", \"model\": \"" + dir.resolve("gone") + "\"}"));
    Files.writeString(copy.resolve(ModelArchive.MANIFEST), Json.write(m));
    assertThatThrownBy(() -> pal.load(copy)).isInstanceOf(PalException.class)
        .hasMessageContaining("records the items encoder").hasMessageContaining("gone");
    // a different dimension is refused even when accepted
    assertThatThrownBy(() -> pal.load(saved, PalApi.LoadOptions.acceptEncoder(Json.parse("{\"type\": \"test-words\", \"dim\": 8}"))))
        .isInstanceOf(PalException.class).hasMessageContaining("dimension");
  }

  @Test
  void badRequestsAreUserErrorsNamingTheField() {
    Input prompt = Input.text("describe a pet"), a = Input.text("a cat");
    assertUserError(() -> model.rewards(User.id("nobody"), prompt, a), "user = nobody");
    assertUserError(() -> model.rewards(User.id("u0"), prompt, List.of()), "responses");
    assertUserError(() -> model.rewards(User.weights(0.7, 0.7), prompt, a), "sum");
    assertUserError(() -> model.rewards(User.weights(-0.5, 1.5), prompt, a), "weights[0]");
    assertUserError(() -> model.rewards(User.weights(0.2, 0.3, 0.5), prompt, a), "K = 2");
    assertUserError(() -> model.rewards(User.id("u0"), null, a), "prompt");
    assertUserError(() -> model.rewards(User.id("u0"), prompt, Input.image(dir.resolve("x.png"))), "text only");
    assertUserError(() -> model.rewards(User.id("u0"), prompt, Input.vector(new float[3])), "dimension 16");
    assertUserError(() -> Input.vector(new float[] {Float.NaN}), "finite");
    try (RewardModel vectors = pal.load(saved, PalApi.LoadOptions.vectors())) {
      assertUserError(() -> vectors.rewards(User.id("u0"), prompt, a), "trained on vectors");
    }
  }

  @Test
  void zeroShotIsTheMeanOfSeenUsersWeights() {
    double[] mean = new double[2];
    for (String u : model.users()) {
      double[] w = model.weights(User.id(u));
      for (int j = 0; j < 2; j++) mean[j] += w[j] / model.users().size();
    }
    assertThat(model.zeroShotWeights()).containsExactly(mean, within(1e-9));
    assertThat(model.weightsMatrix().rows()).isEqualTo(model.users().size());
  }

  static void assertUserError(Runnable r, String text) {
    assertThatThrownBy(r::run).isInstanceOf(PalException.class).hasMessageContaining(text)
        .satisfies(e -> assertThat(((PalException) e).kind()).isEqualTo(PalException.Kind.USER_INPUT));
  }

  static float[] row(float[] table, int dim, int r) {
    return java.util.Arrays.copyOfRange(table, r * dim, (r + 1) * dim);
  }

  static void copyTree(Path from, Path to) throws java.io.IOException {
    try (var s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(t);
        else Files.copy(p, t);
      }
    }
  }
}
