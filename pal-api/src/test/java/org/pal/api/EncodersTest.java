package org.pal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pal.api.RewardModelTest.assertUserError;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pal.core.PalException;
import org.pal.core.archive.ModelArchive;
import org.pal.core.config.Json;

/**
 * The encoders of one model: opened once per distinct config, checked against what the archive
 * records, closed exactly once by the last model that shares them (counted by the test encoder),
 * also when opening fails half-way; each distinct input encoded once, broken outputs refused.
 */
class EncodersTest {
  static final PalApi PAL = PalApi.create(new ApiTestPlugin());
  static final Path DIR = Path.of("model-dir");
  static final JsonNode WORDS = Json.parse("{\"type\": \"test-words\"}"), WORDS8 = Json.parse("{\"type\": \"test-words\", \"dim\": 8}");

  static ModelArchive.Encoder rec(JsonNode config, int dim) {
    return new ModelArchive.Encoder(config, "test-words:" + dim, dim);
  }

  @Test
  void sharedEncodersAreClosedOnceByTheirLastUser() {
    int before = ApiTestPlugin.CLOSED.get();
    Encoders one = Encoders.forTraining(PAL.registry(), WORDS, 16, 16); // one instance for items and prompts
    assertThat(one.recorded().items()).isEqualTo(new ModelArchive.Encoder(WORDS, "test-words:16", 16));
    assertThat(one.recorded().prompts()).isEqualTo(one.recorded().items());
    assertThat(one.share()).isSameAs(one);
    one.close();
    assertThat(ApiTestPlugin.CLOSED.get() - before).as("still used by the sharing model").isZero();
    one.close();
    assertThat(ApiTestPlugin.CLOSED.get() - before).as("the one instance, once").isEqualTo(1);
    // without prompts nothing is recorded for them
    Encoders items = Encoders.forTraining(PAL.registry(), WORDS, 16, 0);
    assertThat(items.recorded().prompts()).isNull();
    items.close();
    assertThat(ApiTestPlugin.CLOSED.get() - before).isEqualTo(2);
    Encoders.none(4, 0).close(); // nothing to close
    Encoders.forTraining(PAL.registry(), null, 4, 0).close();
    assertThat(ApiTestPlugin.CLOSED.get() - before).isEqualTo(2);
  }

  @Test
  void anArchiveOpensOneEncoderPerDistinctConfigAndClosesEach() {
    int before = ApiTestPlugin.CLOSED.get();
    Encoders same = Encoders.forArchive(PAL.registry(), DIR, new ModelArchive.Inputs(rec(WORDS, 16), rec(WORDS, 16)), null, 16, 16);
    same.close();
    assertThat(ApiTestPlugin.CLOSED.get() - before).as("one config, one instance").isEqualTo(1);
    Encoders two = Encoders.forArchive(PAL.registry(), DIR, new ModelArchive.Inputs(rec(WORDS, 16), rec(WORDS8, 8)), null, 16, 8);
    assertThat(two.encode(List.of(Input.text("a cat")), true, "prompt")[0]).hasSize(8);
    assertThat(two.encode(List.of(Input.text("a cat")), false, "responses")[0]).hasSize(16);
    two.close();
    assertThat(ApiTestPlugin.CLOSED.get() - before).as("two configs, two instances").isEqualTo(3);
    // a replacement stands for both roles and is what the model then records
    Encoders repl = Encoders.forArchive(PAL.registry(), DIR, new ModelArchive.Inputs(rec(WORDS, 16), rec(WORDS, 16)),
        Json.parse("{\"type\": \"test-words\", \"poison\": \"zzz\"}"), 16, 16);
    assertThat(repl.recorded().items().config().path("poison").asText()).isEqualTo("zzz");
    assertThat(repl.recorded().prompts()).isEqualTo(repl.recorded().items());
    repl.close();
    Encoders replItems = Encoders.forArchive(PAL.registry(), DIR, null, WORDS, 16, 0);
    assertThat(replItems.recorded().items().fingerprint()).isEqualTo("test-words:16");
    assertThat(replItems.recorded().prompts()).isNull();
    replItems.close();
    assertThat(ApiTestPlugin.CLOSED.get() - before).isEqualTo(5);
    assertThat(Encoders.forArchive(PAL.registry(), DIR, null, null, 16, 0).recorded()).isNull();
  }

  @Test
  void anArchiveWhoseEncodersDoNotFitClosesWhatItOpenedAndSaysWhy() {
    int before = ApiTestPlugin.CLOSED.get();
    // items open, then the prompts' encoder has another dimension than the model reads
    assertUserError(() -> Encoders.forArchive(PAL.registry(), DIR, new ModelArchive.Inputs(rec(WORDS, 16), rec(WORDS8, 8)), null, 16, 4),
        "prompts encoder dimension = 8: the model reads prompts of dimension 4");
    assertThat(ApiTestPlugin.CLOSED.get() - before).as("both opened encoders closed").isEqualTo(2);
    assertUserError(() -> Encoders.forArchive(PAL.registry(), DIR, new ModelArchive.Inputs(new ModelArchive.Encoder(WORDS, "test-words:old", 16), null),
        null, 16, 0), "of fingerprint test-words:old, but that config now opens an encoder of fingerprint test-words:16");
    assertThat(ApiTestPlugin.CLOSED.get() - before).isEqualTo(3);
    JsonNode unknown = Json.parse("{\"type\": \"no-such-encoder\", \"cache\": {\"dir\": \"secret-cache\"}}");
    assertThatThrownBy(() -> Encoders.forArchive(PAL.registry(), DIR, new ModelArchive.Inputs(rec(unknown, 16), null), null, 16, 0))
        .isInstanceOf(PalException.class).hasMessageContaining("model model-dir records the items encoder")
        .hasMessageContaining("no-such-encoder").hasMessageContaining("cannot be opened here").hasMessageNotContaining("secret-cache");
    assertThat(Encoders.describe(unknown)).doesNotContain("cache", "\n").contains("\"type\"", "\"no-such-encoder\"");
  }

  @Test
  void eachDistinctInputIsEncodedOnceAndBrokenOutputsAreRefused() {
    Encoders e = Encoders.forTraining(PAL.registry(), Json.parse("{\"type\": \"test-words\", \"poison\": \"zzz\"}"), 16, 4);
    int before = ApiTestPlugin.TEXTS.get();
    float[] v = new float[16];
    Arrays.fill(v, 0.25f);
    float[][] out = e.encode(List.of(Input.text("a cat"), Input.vector(v), Input.text("a dog"), Input.text("a cat")), false, "responses");
    assertThat(ApiTestPlugin.TEXTS.get() - before).as("two distinct texts").isEqualTo(2);
    assertThat(out[1]).containsExactly(v);
    assertThat(out[3]).containsExactly(out[0]);
    assertThat(out[0]).isNotEqualTo(out[2]);
    assertThat(e.encode(List.of(Input.text("a dog")), false, "responses")[0]).containsExactly(out[2]);
    assertThatThrownBy(() -> e.encode(List.of(Input.text("fine"), Input.text("zzz here"), Input.text("zzz here")), false, "responses"))
        .isInstanceOf(PalException.class).hasMessageContaining("non-finite value for responses[1]")
        .satisfies(x -> assertThat(((PalException) x).kind()).isEqualTo(PalException.Kind.ENVIRONMENT));
    assertUserError(() -> e.encode(Arrays.asList(Input.text("a"), null), false, "responses"), "responses[1] = null");
    assertUserError(() -> e.encode(List.of(Input.vector(v)), true, "prompt"), "prompt[0] length = 16: the model reads prompt vectors of dimension 4");
    assertUserError(() -> e.encode(List.of(Input.vector(new float[4]), Input.vector(new float[3])), false, "responses"),
        "responses[0] length = 4: the model reads response vectors of dimension 16");
    assertUserError(() -> e.encode(List.of(Input.image(Path.of("cat.png"))), false, "responses"), "responses = an image: this model's encoder embeds text only");
    e.close();
    Encoders none = Encoders.none(16, 0);
    assertThat(none.encode(List.of(Input.vector(v)), false, "responses")[0]).containsExactly(v);
    assertUserError(() -> none.encode(List.of(Input.image(Path.of("cat.png"))), false, "responses"), "responses = an image: this model was trained on vectors");
    assertUserError(() -> none.encode(List.of(Input.image(Path.of("cat.png")), Input.text("t")), false, "responses"), "responses = text");
  }
}
