package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;

/**
 * The README's Java pipeline, compiled and run here as written: the block between the markers below
 * must appear verbatim in README.md, so the README cannot drift from the API. It uses the embedded
 * default encoder (MiniLM), nothing downloaded.
 */
class ReadmeExampleTest {
  @TempDir Path dir;

  @Test
  void theReadmePipelineRunsAndLearns() throws Exception {
    Path records = ApiTestPlugin.writePets(dir.resolve("pets.jsonl"), 30, 24, 7);
    Path out = dir.resolve("model");
    // README-BEGIN
    PalApi pal = PalApi.create();
    Dataset data = pal.dataset(Json.parse("{\"type\": \"records\", \"path\": \"" + records + "\"}"), 0);  // MiniLM, embedded
    PalConfig config = PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"k\": 2, \"dim\": 16}, \"trainer\": {\"epochs\": 100}}");
    RewardModel model = pal.train(config, data).model();
    Evaluation eval = model.evaluate(data, 10);            // held-out pairs: seen, few-shot unseen, zero-shot
    Enrolment enrolment = model.enrol(List.of(            // a new user: only their K weights are learned
        Comparison.of("new-user", "describe a pet", "a cat asleep on a warm laptop", "a dog rolling in the mud"),
        Comparison.of("new-user", "describe a pet", "a kitten batting at a string", "a puppy chewing a shoe"),
        Comparison.of("new-user", "describe a pet", "the cat watches the rain", "the dog waits by the door")));
    RewardModel enrolled = enrolment.model().save(out);    // an archive with the encoder it needs
    double[] rewards = enrolled.rewards(User.id("new-user"), Input.text("describe a pet"),
        Input.text("a cat curled up in a basket"), Input.text("a dog fetching the newspaper"));
    enrolled.close();
    model.close();
    // README-END
    assertThat(eval.seen()).as("held-out seen accuracy").isGreaterThan(0.85);
    assertThat(eval.unseenFewShot()).as("unseen users after 10 comparisons").isGreaterThan(0.8);
    assertThat(rewards[0]).as("the new user, who chose cats, ranks the cat answer first").isGreaterThan(rewards[1]);
    assertThat(Files.exists(out.resolve("pal-model.json"))).isTrue();

    // through the module directory, so the test also runs from pal-cli (the mutation run, TESTING.md)
    String source = Files.readString(Path.of("../pal-api/src/test/java/org/pal/api/ReadmeExampleTest.java"));
    String block = source.substring(source.indexOf("// README-BEGIN\n") + 16, source.indexOf("    // README-END"));
    String readme = Files.readString(Path.of("../README.md"));
    assertThat(readme).as("README.md shows the pipeline exactly as tested").contains(dedent(block));
  }

  static String dedent(String block) {
    StringBuilder sb = new StringBuilder();
    for (String line : block.split("\n", -1)) sb.append(line.startsWith("    ") ? line.substring(4) : line).append('\n');
    return sb.toString().stripTrailing();
  }
}
