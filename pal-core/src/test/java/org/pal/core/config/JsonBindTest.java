package org.pal.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.core.PalException;

/**
 * Every refusal of {@link Json#bind} and {@link Json}'s readers triggered once: the message names
 * the path of the offending field (with the caller's prefix), the value where there is one, and what
 * was expected.
 */
class JsonBindTest {
  enum Mode { FAST, SLOW }

  record Inner(Integer q) {}

  record Target(Integer n, Double x, Mode mode, List<Integer> list, List<Inner> items, Inner inner, Long big) {}

  record Prims(int a, long b) {}

  record Checked(int v) {
    Checked {
      if (v < 0) throw PalException.badInput("v", v, "must be at least 0");
    }
  }

  record Plain(int v) {
    Plain {
      if (v < 0) throw new IllegalStateException("negative v");
    }
  }

  private static <T> T bind(String json, Class<T> type) {
    return Json.bind(Json.mapper(), Json.parse(json), type, "cfg");
  }

  @Test
  void validInputBinds() {
    Target t = bind("{\"n\":3,\"x\":0.5,\"mode\":\"SLOW\",\"list\":[1,2],\"items\":[{\"q\":4}],\"inner\":{\"q\":5},\"big\":7}", Target.class);
    assertThat(t).isEqualTo(new Target(3, 0.5, Mode.SLOW, List.of(1, 2), List.of(new Inner(4)), new Inner(5), 7L));
    // absent fields stay absent (their defaults are the caller's)
    assertThat(bind("{}", Target.class)).isEqualTo(new Target(null, null, null, null, null, null, null));
  }

  @Test
  void unknownFieldsNameTheFieldAndTheValidOnesSorted() {
    assertThatThrownBy(() -> bind("{\"n\":1,\"zz\":2}", Target.class))
        .isInstanceOf(PalException.class)
        .hasMessage("cfg: unknown field 'zz'; valid fields: [big, inner, items, list, mode, n, x]");
    // nested: the path is the object's, not the unknown field's
    assertThatThrownBy(() -> bind("{\"inner\":{\"w\":1}}", Target.class))
        .hasMessage("cfg.inner: unknown field 'w'; valid fields: [q]");
    assertThatThrownBy(() -> bind("{\"items\":[{\"q\":1},{\"w\":1}]}", Target.class))
        .hasMessage("cfg.items[1]: unknown field 'w'; valid fields: [q]");
  }

  @Test
  void explicitNullsAreRefusedWithTheirPath() {
    assertThatThrownBy(() -> bind("{\"n\":null}", Target.class))
        .hasMessage("cfg.n = null: give a value, or leave the field out for its default");
    assertThatThrownBy(() -> bind("{\"inner\":{\"q\":null}}", Target.class))
        .hasMessage("cfg.inner.q = null: give a value, or leave the field out for its default");
    assertThatThrownBy(() -> bind("{\"list\":[1,null]}", Target.class))
        .hasMessage("cfg.list[1] = null: give a value");
    assertThatThrownBy(() -> bind("{\"items\":[{\"q\":1},{\"q\":null}]}", Target.class))
        .hasMessage("cfg.items[1].q = null: give a value, or leave the field out for its default");
  }

  @Test
  void wrongTypesSayWhatWasExpected() {
    // a fraction where a whole number belongs
    assertThatThrownBy(() -> bind("{\"n\":1.5}", Target.class))
        .hasMessageStartingWith("cfg.n")
        .hasMessageContaining("a whole number");
    assertThatThrownBy(() -> bind("{\"big\":2.5}", Target.class))
        .hasMessageStartingWith("cfg.big")
        .hasMessageContaining("a whole number");
    assertThatThrownBy(() -> bind("{\"inner\":{\"q\":\"7\"}}", Target.class))
        .hasMessageStartingWith("cfg.inner.q")
        .hasMessageContaining("a whole number");
    // an unknown constant of an enum names the value and the type
    assertThatThrownBy(() -> bind("{\"mode\":\"MEDIUM\"}", Target.class))
        .hasMessage("cfg.mode = MEDIUM: expected Mode");
    // a string where a number belongs that is not a whole number
    assertThatThrownBy(() -> bind("{\"x\":\"fast\"}", Target.class))
        .hasMessageStartingWith("cfg.x: expected Double (")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("whole number"));
    assertThatThrownBy(() -> bind("{\"list\":{\"a\":1}}", Target.class))
        .hasMessageStartingWith("cfg.list: expected ArrayList (");
  }

  @Test
  void primitiveWholeNumbersAreNamedAsSuch() {
    assertThat(bind("{\"a\":1,\"b\":2}", Prims.class)).isEqualTo(new Prims(1, 2L));
    for (String json : new String[] {"{\"a\":1.5,\"b\":2}", "{\"a\":\"1\",\"b\":2}", "{\"a\":1,\"b\":2.5}", "{\"a\":1,\"b\":\"2\"}"}) {
      String field = json.contains("\"a\":1,") ? "cfg.b" : "cfg.a";
      assertThatThrownBy(() -> bind(json, Prims.class)).hasMessageStartingWith(field).hasMessageContaining("a whole number");
    }
  }

  @Test
  void theStreamingParserHasTheSameLimits() throws Exception {
    String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
    try (var p = Json.parser(deep)) {
      assertThatThrownBy(() -> { while (p.nextToken() != null) { } })
          .isInstanceOf(com.fasterxml.jackson.core.exc.StreamConstraintsException.class);
    }
    try (var p = Json.parser("{\"a\":1,\"a\":2}")) {
      assertThatThrownBy(() -> { while (p.nextToken() != null) { } }).hasMessageContaining("Duplicate field 'a'");
    }
  }

  @Test
  void aRefusalInsideAConstructorKeepsItsOwnMessage() {
    assertThatThrownBy(() -> bind("{\"v\":-2}", Checked.class))
        .hasMessage("cfg: v = -2: must be at least 0");
    assertThat(bind("{\"v\":0}", Checked.class).v()).isZero();
    assertThatThrownBy(() -> bind("{\"v\":-2}", Plain.class))
        .isInstanceOf(PalException.class)
        .hasMessageStartingWith("cfg: ")
        .hasMessageContaining("negative v");
  }

  @Test
  void readersNameTheSourceAndTheLocation(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> Json.parse("{\"a\":1,\n \"a\":2}", "request body"))
        .hasMessageStartingWith("request body: not valid JSON at line 2, column ")
        .hasMessageContaining("Duplicate field 'a'");
    assertThatThrownBy(() -> Json.parse("", "request body")).hasMessage("request body: empty; expected JSON");
    assertThatThrownBy(() -> Json.parse("{", "request body")).hasMessageStartingWith("request body: not valid JSON at line 1, column ");
    assertThat(Json.parse("[1]", "request body").get(0).asInt()).isEqualTo(1);
    String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
    assertThatThrownBy(() -> Json.parse(deep, "body"))
        .hasMessageStartingWith("body: not valid JSON")
        .hasMessageEndingWith(" (nesting depth at most 200, number literals at most 100 characters)");
    String atLimit = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    assertThat(Json.parse(atLimit, "body").isArray()).isTrue();
    Path f = dir.resolve("c.json");
    Files.writeString(f, "{\"a\": tru}");
    assertThatThrownBy(() -> Json.readTree(f)).hasMessageStartingWith(f + ": not valid JSON at line 1, column ");
    Files.writeString(f, "{\"a\": true}");
    assertThat(Json.readTree(f).get("a").asBoolean()).isTrue();
    assertThatThrownBy(() -> Json.parse("{\"a\":}")).hasMessageStartingWith("not valid JSON: ");
  }

  @Test
  void writingTurnsNonFiniteNumbersIntoNullAndLeavesAbsentFieldsOut() {
    record Out(Double a, double b, Double c, Integer d) {}
    String s = Json.write(new Out(Double.NaN, Double.POSITIVE_INFINITY, 1.5, null));
    var n = Json.parse(s);
    assertThat(n.get("a").isNull()).isTrue();
    assertThat(n.get("b").isNull()).isTrue();
    assertThat(n.get("c").asDouble()).isEqualTo(1.5);
    assertThat(n.has("d")).isFalse();
  }

  @Test
  void aConfigFileIsReadWithItsDefaultsAndRefusedByFieldPath(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("pal.json");
    Files.writeString(f, "{\"model\":{\"type\":\"pal-a\"},\"trainer\":{\"epochs\":3}}");
    PalConfig c = PalConfig.read(f);
    assertThat(c.model().get("type").asText()).isEqualTo("pal-a");
    assertThat(c.trainer().epochs()).isEqualTo(3);
    assertThat(c.simplex().get("type").asText()).isEqualTo("softmax");
    assertThat(c.link().get("type").asText()).isEqualTo("logistic");
    assertThat(c.loss().get("type").asText()).isEqualTo("logistic");
    Files.writeString(f, "{\"trainer\":{\"epochs\":null}}");
    assertThatThrownBy(() -> PalConfig.read(f)).hasMessage("config.trainer.epochs = null: give a value, or leave the field out for its default");
  }
}
