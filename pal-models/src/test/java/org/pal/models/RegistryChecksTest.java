package org.pal.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;
import org.pal.core.config.ComponentRegistry;
import org.pal.core.config.Json;
import org.pal.core.config.Pal;
import org.pal.core.config.PalConfig;
import org.pal.core.spi.ExtensionPoint;
import org.pal.core.spi.PalPlugin;
import org.pal.core.spi.Registration;

/** The registry's and the JSON layer's errors, each triggered once. */
class RegistryChecksTest {
  private final ComponentRegistry registry = Pal.load().registry();

  private static JsonNode json(String s) throws Exception {
    return Json.mapper().readTree(s);
  }

  @Test
  void lookupNamesThePathAndTheValidTypes() throws Exception {
    assertThatThrownBy(() -> registry.lookup(ExtensionPoint.LINK, null, "link")).hasMessageContaining("link: missing")
        .hasMessageContaining("[cauchit, logistic, test-tanh]");
    assertThatThrownBy(() -> registry.lookup(ExtensionPoint.LINK, json("null"), "link")).hasMessageContaining("link: missing");
    assertThatThrownBy(() -> registry.lookup(ExtensionPoint.LINK, json("{}").path("x"), "link"))
        .hasMessageContaining("link: missing");
    assertThatThrownBy(() -> registry.lookup(ExtensionPoint.LINK, json("\"logistic\""), "link"))
        .hasMessageContaining("link = \"logistic\": expected an object");
    assertThatThrownBy(() -> registry.lookup(ExtensionPoint.LINK, json("{\"type\":3}"), "link")).hasMessageContaining("link.type: missing; valid link types");
    assertThatThrownBy(() -> registry.lookup(ExtensionPoint.LINK, json("{}"), "link")).hasMessageContaining("link.type: missing");
    assertThatThrownBy(() -> registry.embedder(json("{\"type\":\"minilm\"}"))).hasMessageContaining("encoder.type = \"minilm\"")
        .hasMessageContaining("valid types: []");
    assertThat(registry.lookup(ExtensionPoint.LINK, json("{\"type\":\"cauchit\"}"), "link").name()).isEqualTo("cauchit");
    assertThat(registry.registrations(ExtensionPoint.LOSS)).extracting(Registration::name).containsExactly("hinge", "logistic");
    assertThat(registry.registrations(ExtensionPoint.DATASET)).isEmpty();
    assertThat(registry.mapper()).isNotNull();
    assertThat(ExtensionPoint.builtIn()).hasSize(7).contains(ExtensionPoint.MODEL, ExtensionPoint.DATASET);
  }

  /** Registers a second "logistic" link. */
  public static final class Duplicate extends PalPlugin {
    @Override
    protected void configurePlugin() {
      register(ExtensionPoint.LINK, "logistic", Links.NoSpec.class, (s, c) -> new Links.Cauchit(), "a clash");
    }
  }

  @Test
  void twoPluginsRegisteringOneNameAreAnError() {
    assertThatThrownBy(() -> Pal.load(new Duplicate()).registry()).hasStackTraceContaining("two plugins register link type 'logistic'");
    assertThat(Pal.load().plugins()).contains(BuiltinModelsPlugin.class.getName(), TestPlugin.class.getName());
    assertThatThrownBy(() -> new Registration<>(ExtensionPoint.LINK, "CamelCase", Links.NoSpec.class, (s, c) -> new Links.Cauchit(), ""))
        .hasMessageContaining("kebab-case");
  }

  @Test
  void jsonErrorsNameFileLineAndField(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> Json.readTree(dir.resolve("none.json"))).isInstanceOf(PalException.class).hasMessageContaining("does not exist");
    Files.writeString(dir.resolve("bad.json"), "{\n  \"a\": 1,\n  oops\n}");
    assertThatThrownBy(() -> Json.readTree(dir.resolve("bad.json"))).hasMessageContaining("bad.json: not valid JSON at line 3, column");
    assertThatThrownBy(() -> Json.readTree(dir)).isInstanceOf(PalException.class).hasMessageContaining("is a directory");
    Files.writeString(dir.resolve("cfg.json"), "{\"model\":{\"type\":\"pal-a\"},\"trainer\":{\"epochs\":\"many\"}}");
    assertThatThrownBy(() -> PalConfig.read(dir.resolve("cfg.json"))).hasMessageContaining("config.trainer.epochs").hasMessageContaining("whole number");
    assertThatThrownBy(() -> PalConfig.parse("{\"model\":{\"type\":\"pal-a\"},\"trainer\":{\"groups\":{\"users\":{\"lr\":1,\"x\":2}}}}"))
        .hasMessageContaining("config.trainer.groups.users: unknown field 'x'").hasMessageContaining("valid fields: [lr, weightDecay]");
    assertThatThrownBy(() -> PalConfig.parse("{\"model\":{\"type\":\"pal-a\"},\"trainer\":{\"epochs\":0}}"))
        .hasMessageContaining("config.trainer: trainer.epochs = 0: must be at least 1");
    assertThatThrownBy(() -> PalConfig.parse("{\"model\":")).hasMessageContaining("config: not valid JSON");
    assertThatThrownBy(() -> PalConfig.parse("[1]")).hasMessageContaining("config");
    assertThat(Json.write(java.util.Map.of("a", 1))).isEqualToIgnoringWhitespace("{\"a\":1}");
    assertThatThrownBy(() -> Json.write(new Object())).hasMessageContaining("cannot serialise Object");
  }
}
