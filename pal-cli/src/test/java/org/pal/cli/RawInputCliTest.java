package org.pal.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.config.Json;

/** The CLI on raw inputs (text in, rewards out) and on a third-party dataset plugin, through the library API. */
class RawInputCliTest {
  @TempDir static Path dir;
  static Path model, enc;

  static CliTest.Run pal(String... args) {
    return CliTest.pal(args);
  }

  @BeforeAll
  static void trainOnText() throws Exception {
    String[] cats = {"a cat purring on the sofa", "a kitten chasing yarn", "the cat naps in the sun", "my cat sleeps on the keyboard"};
    String[] dogs = {"a dog fetching a stick", "the puppy wags its tail", "a dog barks at the mailman", "my dog runs in the park"};
    Random r = new Random(2);
    StringBuilder sb = new StringBuilder();
    for (int u = 0; u < 16; u++) {
      for (int p = 0; p < 20; p++) {
        String c = cats[r.nextInt(4)], d = dogs[r.nextInt(4)];
        boolean likesCats = u < 8;
        sb.append(String.format("{\"user_id\": \"u%d\", \"prompt\": \"describe a pet\", \"chosen\": \"%s\", \"rejected\": \"%s\"}%n",
            u, likesCats ? c : d, likesCats ? d : c));
      }
    }
    Files.writeString(dir.resolve("pets.jsonl"), sb);
    enc = dir.resolve("enc.json");
    Files.writeString(enc, "{\"type\": \"onnx-sentence\", \"model\": \"builtin:all-minilm-l6-v2-q\", \"cache\": \"" + dir.resolve("cache") + "\"}");
    Path data = dir.resolve("data");
    CliTest.Run g = pal("generate", "records", "--data", dir.resolve("pets.jsonl").toString(), "--encoder", enc.toString(),
        "--unseen-share", "0", "--out", data.toString());
    assertThat(g.code()).as(g.err()).isZero();
    Path cfg = dir.resolve("cfg.json");
    Files.writeString(cfg, "{\"model\": {\"type\": \"pal-b\", \"k\": 2, \"dim\": 8}, \"trainer\": {\"epochs\": 40, \"batchSize\": 32}}");
    model = dir.resolve("model");
    CliTest.Run t = pal("train", "--config", cfg.toString(), "--data", data.toString(), "--out", model.toString());
    assertThat(t.code()).as(t.err()).isZero();
  }

  @Test
  void scoresRawTextForAUserAndAFileOfRows() throws Exception {
    CliTest.Run s = pal("score", "--model", model.toString(), "--user", "u0", "--prompt", "describe a pet",
        "--response", "a cat asleep in a box", "--response", "a dog chewing a bone");
    assertThat(s.code()).as(s.err()).isZero();
    JsonNode j = s.json();
    double a = j.get("rewards").get(0).asDouble(), b = j.get("rewards").get(1).asDouble();
    assertThat(j.get("preferenceFirst").asDouble()).isCloseTo(1 / (1 + Math.exp(-(a - b))), within(1e-9)).isGreaterThan(0.5);
    Files.writeString(dir.resolve("rows.jsonl"), """
        {"user_id": "u0", "prompt": "describe a pet", "response": "a cat asleep in a box"}
        {"user_id": "u0", "prompt": "describe a pet", "response": "a dog chewing a bone"}
        {"weights": "0.5,0.5", "prompt": "describe a pet", "response": "a cat asleep in a box"}
        """);
    Path out = dir.resolve("scored.jsonl");
    CliTest.Run f = pal("score", "--model", model.toString(), "--input", dir.resolve("rows.jsonl").toString(), "--out", out.toString());
    assertThat(f.code()).as(f.err()).isZero();
    List<String> lines = Files.readAllLines(out);
    assertThat(lines).hasSize(3);
    assertThat(Json.parse(lines.get(0)).get("reward").asDouble()).isCloseTo(a, within(1e-5));
    assertThat(Json.parse(lines.get(1)).get("reward").asDouble()).isCloseTo(b, within(1e-5));
    assertThat(Json.parse(lines.get(1)).get("user_id").asText()).isEqualTo("u0");
  }

  @Test
  void adaptsNewUsersFromTheRecordFormatAndRefusesExistingOnesWithoutUpdate() throws Exception {
    Files.writeString(dir.resolve("new.jsonl"), """
        {"user_id": "newbie", "prompt": "describe a pet", "chosen": "a dog fetching a stick", "rejected": "a cat purring on the sofa"}
        {"user_id": "newbie", "prompt": "describe a pet", "chosen": "the puppy wags its tail", "rejected": "a kitten chasing yarn"}
        {"user_id": "newbie", "prompt": "describe a pet", "chosen": "my dog runs in the park", "rejected": "the cat naps in the sun"}
        """);
    Path m2 = dir.resolve("model2");
    CliTest.Run a = pal("adapt", "--model", model.toString(), "--comparisons", dir.resolve("new.jsonl").toString(), "--out", m2.toString());
    assertThat(a.code()).as(a.err()).isZero();
    assertThat(a.json().get("enrolled").get(0).get("comparisons").asInt()).isEqualTo(3);
    CliTest.Run s = pal("score", "--model", m2.toString(), "--user", "newbie", "--prompt", "describe a pet",
        "--response", "a cat asleep in a box", "--response", "a dog chewing a bone");
    assertThat(s.code()).as(s.err()).isZero();
    assertThat(s.json().get("preferenceFirst").asDouble()).as("the new user prefers dogs").isLessThan(0.5);
    CliTest.Run again = pal("adapt", "--model", m2.toString(), "--comparisons", dir.resolve("new.jsonl").toString(), "--out", dir.resolve("m3").toString());
    assertThat(again.code()).isEqualTo(2);
    assertThat(again.err()).contains("already a user");
    CliTest.Run update = pal("adapt", "--model", m2.toString(), "--comparisons", dir.resolve("new.jsonl").toString(), "--update", "--out", dir.resolve("m3").toString());
    assertThat(update.code()).as(update.err()).isZero();
  }

  @Test
  void badScoringInputsExitWith2() throws Exception {
    String m = model.toString();
    assertExit2(pal("score", "--model", m, "--user", "stranger", "--prompt", "p", "--response", "r"), "user = stranger");
    assertExit2(pal("score", "--model", m, "--weights", "0.9,0.9", "--prompt", "p", "--response", "r"), "sum");
    assertExit2(pal("score", "--model", m, "--user", "u0", "--response", "r"), "prompt");
    assertExit2(pal("score", "--model", m, "--user", "u0", "--prompt", "p"), "--response");
    Files.write(dir.resolve("pic.png"), new byte[] {1, 2, 3});
    assertExit2(pal("score", "--model", m, "--user", "u0", "--prompt", "p", "--response", "image:pic.png", "--data-root", dir.toString()), "text only");
    assertExit2(pal("score", "--model", m, "--user", "u0", "--prompt", "p", "--response", "image:../../etc/passwd", "--data-root", dir.toString()), "is not a path inside");
  }

  @Test
  void aThirdPartyDatasetPluginWorksFromGenerateAndExperiment() throws Exception {
    Path spec = dir.resolve("toy.json");
    Files.writeString(spec, "{\"type\": \"test-toy\", \"users\": 12, \"pairs\": 40}");
    CliTest.Run g = pal("generate", "--dataset", spec.toString(), "--out", dir.resolve("toy-data").toString());
    assertThat(g.code()).as(g.err()).isZero();
    assertThat(g.out()).contains("16 users (12 seen)");
    Path out = dir.resolve("toy-exp");
    CliTest.Run e = pal("experiment", "--dataset", spec.toString(), "--k", "1,2", "--epochs", "3", "--shots", "10", "--out", out.toString());
    assertThat(e.code()).as(e.err()).isZero();
    JsonNode results = Json.readTree(out.resolve("results.json"));
    assertThat(results).hasSize(2);
    assertThat(results.get(1).get("k").asInt()).isEqualTo(2);
    assertThat(results.get(1).get("unseenAccuracy").isNumber()).isTrue();
    // an evaluation with nothing to test on is an error naming both settings, and writes nothing
    Path none = dir.resolve("toy-none");
    CliTest.Run bad = pal("experiment", "--dataset", spec.toString(), "--k", "1", "--epochs", "1", "--shots", "50", "--out", none.toString());
    assertExit2(bad, "shots = 50");
    assertThat(bad.err()).contains("more comparisons");
    assertThat(Files.exists(none)).isFalse();
    assertExit2(pal("experiment", "--dataset", spec.toString(), "--k", "0", "--out", none.toString()), "k = 0");
    assertThat(Files.exists(none)).isFalse();
  }

  static void assertExit2(CliTest.Run r, String text) {
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err()).contains(text);
  }
}
