package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.core.config.Json;

/**
 * Request values to inputs, one refusal per rule (each names the field and never echoes text).
 */
class JsonInputsTest {
  static RewardModel model;

  @BeforeAll
  static void load() throws Exception {
    PalApi pal = PalApi.create();
    model = pal.load(Models.vectors(pal));
  }

  static ApiError refusal(Runnable r) {
    ApiError e = catchThrowableOfType(ApiError.class, r::run);
    assertThat(e).as("an ApiError").isNotNull();
    return e;
  }

  @Test
  void vectorsOfTheModelsDimensionAreAcceptedAndEverythingElseNamed() {
    JsonInputs in = new JsonInputs(model, ServerSettings.defaults().withLimits(4096, 16, 5, 10, 8));
    int d = model.itemDim();
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < d; i++) sb.append(i > 0 ? ", " : "").append(i * 0.5 - 1);
    Input v = in.value(Json.parse(sb + "]"), "responses[0]", false);
    assertThat(v).isInstanceOf(Input.Vector.class);
    float[] x = ((Input.Vector) v).values();
    for (int i = 0; i < d; i++) assertThat(x[i]).isEqualTo((float) (i * 0.5 - 1));

    ApiError shortV = refusal(() -> in.value(Json.parse("[1, 2]"), "responses[1]", false));
    assertThat(shortV.status).isEqualTo(400);
    assertThat(shortV.field).isEqualTo("responses[1]");
    assertThat(shortV.value).isEqualTo("an array of 2 numbers");
    assertThat(shortV.getMessage()).contains("item dimension " + d);

    String withText = sb.substring(0, sb.lastIndexOf(",")) + ", \"x\"]";
    ApiError text = refusal(() -> in.value(Json.parse(withText), "chosen", false));
    assertThat(text.field).isEqualTo("chosen[" + (d - 1) + "]");
    assertThat(text.value).isEqualTo("string");
    String huge = sb.substring(0, sb.lastIndexOf(",")) + ", 1e300]";
    ApiError big = refusal(() -> in.value(Json.parse(huge), "chosen", false));
    assertThat(big.field).isEqualTo("chosen[" + (d - 1) + "]");
    assertThat(big.getMessage()).contains("finite");

    assertThat(refusal(() -> in.value(null, "prompt", true)).value).isEqualTo("missing");
    assertThat(refusal(() -> in.value(Json.parse("null"), "prompt", true)).value).isEqualTo("missing");
    assertThat(refusal(() -> in.value(Json.parse("{\"a\": 1}"), "rejected", false)).value).isEqualTo("object");
    assertThat(refusal(() -> in.value(Json.parse("true"), "rejected", false)).value).isEqualTo("boolean");

    assertThat(in.value(Json.parse("\"five!\""), "t", false)).isEqualTo(Input.text("five!"));
    ApiError longText = refusal(() -> in.value(Json.parse("\"secret\""), "t", false));
    assertThat(longText.value).isEqualTo("a string of 6 chars");
    assertThat(longText.getMessage()).doesNotContain("secret").contains("5 characters");
  }

  @Test
  void imagePathsResolveInsideTheRootOnly(@TempDir Path dir) throws Exception {
    Path root = Files.createDirectories(dir.resolve("images"));
    Files.writeString(root.resolve("cat.png"), "not really a png; only its existence matters here");
    Files.createDirectories(root.resolve("album"));
    Files.writeString(dir.resolve("outside.png"), "x");

    JsonInputs none = new JsonInputs(model, ServerSettings.defaults());
    assertThat(refusal(() -> none.value(Json.parse("\"image:cat.png\""), "chosen", false)).getMessage()).contains("without an images root");

    JsonInputs in = new JsonInputs(model, ServerSettings.defaults().withImagesRoot(root));
    assertThat(in.value(Json.parse("\"image:cat.png\""), "chosen", false)).isEqualTo(Input.image(root.resolve("cat.png")));
    ApiError outside = refusal(() -> in.value(Json.parse("\"image:../outside.png\""), "chosen", false));
    assertThat(outside.getMessage()).as("the same answer whether or not the file outside exists").contains("names no file under the images root");
    assertThat(outside.value).isEqualTo("(image path)");
    ApiError missing = refusal(() -> in.value(Json.parse("\"image:dog.png\""), "rejected", false));
    assertThat(missing.field).isEqualTo("rejected");
    assertThat(missing.getMessage()).contains("names no file");
    ApiError folder = refusal(() -> in.value(Json.parse("\"image:album\""), "rejected", false));
    assertThat(folder.field).as("a folder is not an image").isEqualTo("rejected");
    assertThat(folder.value).isEqualTo("(image path)");
    assertThat(folder.getMessage()).contains("names no file");
  }

  @Test
  void onlyNamesTheFirstUnknownFieldAndRefusesNonObjects() {
    JsonInputs.only(Json.parse("{\"a\": 1, \"b\": 2}"), "x", Set.of("a", "b", "c"));
    ApiError unknown = refusal(() -> JsonInputs.only(Json.parse("{\"a\": 1, \"zz\": 2}"), "requests[3]", Set.of("a")));
    assertThat(unknown.field).isEqualTo("requests[3].zz");
    assertThat(unknown.getMessage()).contains("[a]");
    assertThat(refusal(() -> JsonInputs.only(Json.parse("{\"zz\": 2}"), "", Set.of("a"))).field).isEqualTo("zz");
    assertThat(refusal(() -> JsonInputs.only(Json.parse("[1]"), "body", Set.of("a"))).value).isEqualTo("array");
    assertThat(refusal(() -> JsonInputs.only(null, "body", Set.of("a"))).value).isEqualTo("missing");
  }
}
