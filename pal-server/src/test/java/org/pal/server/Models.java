package org.pal.server;

import java.nio.file.Files;
import java.nio.file.Path;
import org.pal.api.PalApi;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;

/** Small trained archives for the server tests, made once per JVM. */
final class Models {
  private Models() {}

  private static Path text, vectors;

  /** PAL-B (K = 2) on pet preferences, raw text through the "server-words" encoder. */
  static synchronized Path text(PalApi pal) throws Exception {
    if (text != null) return text;
    Path dir = Files.createTempDirectory("pal-server-text");
    Path records = ServerTestPlugin.writePets(dir.resolve("pets.jsonl"), 20, 20, 1);
    var data = pal.dataset(Json.parse("{\"type\": \"records\", \"path\": \"" + records + "\", \"encoder\": {\"type\": \"server-words\"}}"), 0);
    PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"k\": 2, \"dim\": 8}, \"trainer\": {\"epochs\": 25, \"batchSize\": 64, \"patience\": 25}}");
    try (var m = pal.train(cfg, data).model()) {
      m.save(dir.resolve("model"));
    }
    return text = dir.resolve("model");
  }

  /** PAL-A (K = 3) on the synthetic study's vectors (d = 8), no encoder. */
  static synchronized Path vectors(PalApi pal) throws Exception {
    if (vectors != null) return vectors;
    Path dir = Files.createTempDirectory("pal-server-vectors");
    var data = pal.dataset(Json.parse("{\"type\": \"synthetic\", \"dim\": 8, \"trueK\": 3, \"users\": 20, \"pairs\": 30, \"testPairs\": 5, \"unseenUsers\": 2, \"unseenPairs\": 10}"), 0);
    PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 3, \"dim\": 8, \"projector\": {\"type\": \"linear\", \"bias\": false}},"
        + " \"loss\": {\"type\": \"hinge\"}, \"trainer\": {\"epochs\": 20, \"batchSize\": 128}}");
    try (var m = pal.train(cfg, data).model()) {
      m.save(dir.resolve("model"));
    }
    return vectors = dir.resolve("model");
  }
}
