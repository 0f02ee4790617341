package org.pal.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.pal.api.Dataset;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;

/** One local[2] session for all of the module's tests (starting Spark costs seconds), and a small trained model. */
final class SparkTests {
  private static SparkSession spark;
  private static Path model;
  private static Path records;
  private static RewardModel local;
  static final String ENCODER = "{\"type\": \"spark-words\"}";

  private SparkTests() {}

  static synchronized SparkSession spark() {
    if (spark == null) {
      spark = PalSpark.sessionBuilder("pal-spark tests").master("local[2]")
          .config("spark.ui.enabled", "false")
          .config("spark.sql.shuffle.partitions", "4")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .getOrCreate();
    }
    return spark;
  }

  /** A PAL-B model (K = 2, prompts) trained on the pets records with the spark-words encoder, saved once. */
  static synchronized Path model() throws IOException {
    if (model == null) {
      Path dir = Files.createTempDirectory("pal-spark-test-");
      records = writePets(dir.resolve("pets.jsonl"), 24, 20, 1);
      PalApi pal = PalApi.create();
      Dataset data = pal.dataset(Json.parse("{\"type\": \"records\", \"path\": \"" + records + "\", \"encoder\": " + ENCODER + "}"), 0);
      PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"k\": 2, \"dim\": 8},"
          + " \"trainer\": {\"epochs\": 60, \"batchSize\": 64, \"patience\": 60}}");
      try (RewardModel m = pal.train(cfg, data).model()) {
        model = dir.resolve("model");
        m.save(model);
      }
    }
    return model;
  }

  /** The test model loaded once through the single-machine API: what Spark's numbers are compared with. */
  static synchronized RewardModel local() throws IOException {
    if (local == null) local = PalApi.create().load(model());
    return local;
  }

  static synchronized Path records() throws IOException {
    model();
    return records;
  }

  static final String[] CATS = {"a cat purring on the sofa", "a kitten chasing yarn", "the cat naps in the sun", "a tabby cat watches birds",
      "my cat sleeps on the keyboard", "a fluffy kitten meows softly"};
  static final String[] DOGS = {"a dog fetching a stick", "the puppy wags its tail", "a dog barks at the mailman", "a loyal dog guards the house",
      "my dog runs in the park", "a playful puppy digs holes"};
  static final String[] PROMPTS = {"describe a pet", "tell me about an animal at home", "write one line about a companion"};

  /** Pet preferences: the first half of the users like cats, the rest dogs; left/right/label rows. */
  static Path writePets(Path file, int users, int pairsPerUser, long seed) throws IOException {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder();
    for (int u = 0; u < users; u++) {
      boolean likesCats = u < users / 2;
      for (int p = 0; p < pairsPerUser; p++) {
        String c = CATS[r.nextInt(CATS.length)], d = DOGS[r.nextInt(DOGS.length)];
        boolean catLeft = r.nextBoolean();
        int label = (catLeft == likesCats) ? 1 : -1;
        sb.append(String.format("{\"user_id\": \"u%d\", \"prompt\": \"%s\", \"left\": \"%s\", \"right\": \"%s\", \"label\": %d}%n",
            u, PROMPTS[r.nextInt(PROMPTS.length)], catLeft ? c : d, catLeft ? d : c, label));
      }
    }
    Files.writeString(file, sb);
    return file;
  }
}
