package org.pal.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.pal.core.train.TrainerSpec;

/**
 * A whole training configuration. Components stay JSON until the {@link ComponentRegistry} builds
 * them, so plugins can add types and fields without this class knowing them.
 */
public record PalConfig(JsonNode model, JsonNode simplex, JsonNode link, JsonNode loss, TrainerSpec trainer) {
  public PalConfig {
    if (simplex == null) simplex = typed("softmax");
    if (link == null) link = typed("logistic");
    if (loss == null) loss = typed("logistic");
    if (trainer == null) trainer = TrainerSpec.defaults();
  }

  public static ObjectNode typed(String type) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("type", type);
    return n;
  }

  public static PalConfig read(Path file) {
    return Json.bind(Json.mapper(), Json.readTree(file), PalConfig.class, "config");
  }

  public static PalConfig parse(String json) {
    return Json.bind(Json.mapper(), Json.parse(json, "config"), PalConfig.class, "config");
  }

  public PalConfig withTrainer(TrainerSpec t) {
    return new PalConfig(model, simplex, link, loss, t);
  }

  public PalConfig withModel(JsonNode m) {
    return new PalConfig(m, simplex, link, loss, trainer);
  }
}
