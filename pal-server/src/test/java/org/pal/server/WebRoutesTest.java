package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;

/** The web page's read routes without a browser: what they answer, that it is the library's, and their refusals. */
class WebRoutesTest {
  static final String TOKEN = "web-routes-token-0123456789";
  @TempDir static Path dir;
  static PalApi pal;
  static RewardModel model;
  static PalServer server;
  static Http http;

  @BeforeAll
  static void start() throws Exception {
    pal = PalApi.create();
    model = pal.load(Models.text(pal));
    server = PalServer.start(model, dir.resolve("state"), ServerSettings.defaults().withPort(0).withToken(TOKEN).withBatching(2500, 1024, 4096, 1));
    http = new Http(server.port(), TOKEN);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  @Test
  void thePageAndItsFilesNeedNoTokenAndComeFromTheJar() {
    Http.Reply page = http.send("GET", "/", null, null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).contains("Find your ideal point").contains("/web/app.js").doesNotContain("https://");
    Http.Reply js = http.send("GET", "/web/app.js", null, null);
    assertThat(js.status()).isEqualTo(200);
    assertThat(js.body()).contains("/v1/rewards").doesNotContain("https://");
    assertThat(http.send("GET", "/web/nothing.js", null, null).status()).isEqualTo(404);
    assertThat(http.send("GET", "/web/..%2Fpom.xml", null, null).status()).isIn(400, 404); // Jetty refuses the ambiguous path itself
    assertThat(http.send("POST", "/", "{}", null).status()).isEqualTo(405);
    assertThat(http.send("GET", "/health", null, null).json().get("auth").asBoolean()).isTrue();
    for (String r : List.of("/v1/model", "/v1/users", "/v1/prototypes")) assertThat(http.send("GET", r, null, null).status()).as(r).isEqualTo(401);
  }

  @Test
  void theModelRouteDescribesTheModelAndTheBatchingWindow() {
    JsonNode m = http.get("/v1/model").json();
    assertThat(m.get("type").asText()).isEqualTo("pal-b");
    assertThat(m.get("k").asInt()).isEqualTo(2);
    assertThat(m.get("modelUsers").asInt()).isEqualTo(model.users().size());
    assertThat(m.get("server").get("batchWindowMicros").asInt()).isEqualTo(2500);
    assertThat(m.get("server").get("tokenRequired").asBoolean()).isTrue();
    assertThat(m.get("provenance").get("dataHash").asText()).isEqualTo(model.provenance().dataHash());
    assertThat(m.get("provenance").get("extra").get("train").get("epochsRun").asInt()).isPositive();
    assertThat(m.get("dataset").get("spec").get("type").asText()).isEqualTo("records");
    assertThat(ServerTest.doubles(m.get("zeroShotWeights"))).containsExactly(model.zeroShotWeights(), within(1e-12));
  }

  /** The extremes are the library's rewards with one-hot weights, over every distinct (prompt, response) of the training file. */
  @Test
  void prototypesRankTheTrainingResponsesUnderEachPrototypeAlone() throws Exception {
    Path file = Path.of(model.dataset().get("spec").get("path").asText());
    Set<List<String>> pairs = new LinkedHashSet<>();
    for (String line : Files.readAllLines(file)) {
      JsonNode r = Json.parse(line);
      pairs.add(List.of(r.get("prompt").asText(), r.get("left").asText()));
      pairs.add(List.of(r.get("prompt").asText(), r.get("right").asText()));
    }
    JsonNode p = http.get("/v1/prototypes?n=3").json();
    assertThat(p.get("ranked").asInt()).isEqualTo(pairs.size());
    assertThat(p.get("capped").asBoolean()).isFalse();
    for (int k = 0; k < 2; k++) {
      double[] e = new double[2];
      e[k] = 1;
      double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY;
      for (List<String> pr : pairs) {
        double r = model.rewards(User.weights(e), Input.text(pr.get(0)), Input.text(pr.get(1)))[0];
        max = Math.max(max, r);
        min = Math.min(min, r);
      }
      JsonNode hi = p.get("prototypes").get(k).get("highest"), lo = p.get("prototypes").get(k).get("lowest");
      assertThat(hi).hasSize(3);
      assertThat(hi.get(0).get("reward").asDouble()).isCloseTo(max, within(1e-5));
      assertThat(lo.get(0).get("reward").asDouble()).isCloseTo(min, within(1e-5));
      assertThat(hi.get(1).get("reward").asDouble()).isLessThanOrEqualTo(hi.get(0).get("reward").asDouble());
      JsonNode top = hi.get(0);
      assertThat(model.rewards(User.weights(e), Input.text(top.get("prompt").asText()), Input.text(top.get("response").asText()))[0])
          .isCloseTo(top.get("reward").asDouble(), within(1e-5));
    }
    // the two prototypes like different things: cats and dogs
    assertThat(p.get("prototypes").get(0).get("highest").get(0).get("response").asText())
        .isNotEqualTo(p.get("prototypes").get(1).get("highest").get(0).get("response").asText());
    assertThat(http.get("/v1/prototypes?n=0").errorField()).isEqualTo("n");
  }

  /** Image responses come with a thumbnail: the picture itself, scaled, inside the authorised JSON. */
  @Test
  void imageResponsesCarryThumbnailsOfThePictures() throws Exception {
    Path data = Files.createDirectories(dir.resolve("pictures"));
    int[] colours = {0xE02020, 0xD03030, 0x2020E0, 0x3030D0};
    for (int c = 0; c < colours.length; c++) {
      java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(200, 100, java.awt.image.BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < 100; y++) for (int x = 0; x < 200; x++) img.setRGB(x, y, colours[c]);
      javax.imageio.ImageIO.write(img, "png", data.resolve("c" + c + ".png").toFile());
    }
    // half the users like red pictures, half blue
    StringBuilder rows = new StringBuilder();
    java.util.Random r = new java.util.Random(3);
    for (int u = 0; u < 12; u++) {
      for (int i = 0; i < 16; i++) {
        int red = r.nextInt(2), blue = 2 + r.nextInt(2);
        boolean redLeft = r.nextBoolean();
        int left = redLeft ? red : blue, right = redLeft ? blue : red;
        rows.append(String.format("{\"user_id\": \"p%d\", \"left\": \"image:c%d.png\", \"right\": \"image:c%d.png\", \"label\": %d}%n",
            u, left, right, (redLeft == (u < 6)) ? 1 : -1));
      }
    }
    Path records = Files.writeString(data.resolve("pictures.jsonl"), rows);
    var ds = pal.dataset(Json.parse("{\"type\": \"records\", \"path\": \"" + records + "\", \"encoder\": {\"type\": \"server-pixels\"}}"), 0);
    PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-a\", \"k\": 2, \"dim\": 3}, \"trainer\": {\"epochs\": 10, \"batchSize\": 64}}");
    try (RewardModel images = pal.train(cfg, ds).model();
         PalServer s = PalServer.start(images, dir.resolve("state-images"), ServerSettings.defaults().withPort(0))) {
      JsonNode p = new Http(s.port(), null).get("/v1/prototypes?n=4").json();
      assertThat(p.get("ranked").asInt()).isEqualTo(4);
      int seen = 0;
      for (JsonNode proto : p.get("prototypes")) {
        for (JsonNode e : proto.get("highest")) {
          String file = e.get("response").asText().substring("image:".length());
          java.awt.image.BufferedImage t = ThumbnailsCheck.decode(e.get("thumbnail").asText());
          assertThat(t.getWidth()).isEqualTo(96);
          assertThat(t.getHeight()).isEqualTo(48);
          int want = colours[Integer.parseInt(file.substring(1, 2))];
          assertThat(t.getRGB(10, 10) & 0xFFFFFF).as(file).isEqualTo(want);
          seen++;
        }
      }
      assertThat(seen).isEqualTo(8);
    }
    // text responses carry none
    JsonNode text = http.get("/v1/prototypes?n=1").json();
    assertThat(text.get("prototypes").get(0).get("highest").get(0).has("thumbnail")).isFalse();
  }

  /** Decodes a data URL the way a browser would, independently of the code that wrote it. */
  static final class ThumbnailsCheck {
    static java.awt.image.BufferedImage decode(String url) throws Exception {
      assertThat(url).startsWith("data:image/png;base64,");
      return javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(url.substring(url.indexOf(',') + 1))));
    }
  }

  @Test
  void withoutTrainingResponsesThePrototypesRouteSaysWhyAndHowToFixIt() throws Exception {
    try (RewardModel vectors = pal.load(Models.vectors(pal));
         PalServer s = PalServer.start(vectors, dir.resolve("state-vectors"), ServerSettings.defaults().withPort(0))) {
      Http h = new Http(s.port(), null);
      Http.Reply r = h.get("/v1/prototypes");
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.errorField()).isEqualTo("dataset");
      assertThat(r.json().get("error").get("message").asText()).contains("synthetic").contains("--dataset");
      assertThat(h.get("/v1/model").status()).isEqualTo(200); // the rest of the page still works
    }
    // --dataset names another record file: that one is ranked
    Path other = ServerTestPlugin.writePets(dir.resolve("few.jsonl"), 2, 1, 9);
    try (PalServer s = PalServer.start(model, dir.resolve("state-other"), ServerSettings.defaults().withPort(0), other)) {
      JsonNode p = new Http(s.port(), null).get("/v1/prototypes").json();
      assertThat(p.get("file").asText()).isEqualTo(other.toString());
      assertThat(p.get("ranked").asInt()).isBetween(2, 4);
      assertThat(p.get("rows").asLong()).isEqualTo(2);
    }
    // a --dataset that is not there is refused at start, before anything is bound
    assertThatThrownBy(() -> PalServer.start(model, dir.resolve("state-missing"), ServerSettings.defaults().withPort(0), dir.resolve("absent.jsonl")))
        .isInstanceOf(org.pal.core.PalException.class).hasMessageContaining("dataset").hasMessageContaining("absent.jsonl").hasMessageContaining("is not a file");
  }

  static float[] row(org.pal.core.data.Table t, int i) {
    return java.util.Arrays.copyOfRange(t.data(), i * t.dim(), (i + 1) * t.dim());
  }

  @Test
  void usersListsEveryUserWithTheirPlaceAndSamplesBeyondTheLimit() {
    Http.Reply e = http.post("/v1/users/web-listed/comparisons", "{\"comparisons\": [{\"prompt\": \"describe a pet\", \"chosen\": \"a cat\", \"rejected\": \"a dog\"}]}");
    assertThat(e.status()).as(e.body()).isEqualTo(200);
    JsonNode all = http.get("/v1/users").json();
    int n = model.users().size() + server.store().size();
    assertThat(all.get("total").asInt()).isEqualTo(n);
    assertThat(all.get("users")).hasSize(n);
    assertThat(all.get("sampled").asBoolean()).isFalse();
    assertThat(all.get("projection").asText()).isEqualTo("segment");
    JsonNode mine = http.get("/v1/users?q=web-listed").json();
    assertThat(mine.get("matched").asInt()).isEqualTo(1);
    JsonNode u = mine.get("users").get(0);
    assertThat(u.get("source").asText()).isEqualTo("enrolled");
    assertThat(u.get("comparisons").asInt()).isEqualTo(1);
    assertThat(ServerTest.doubles(u.get("weights"))).containsExactly(ServerTest.doubles(e.json().get("weights")), within(1e-12));
    assertThat(u.get("x").asDouble()).isCloseTo(u.get("weights").get(1).asDouble(), within(1e-12));
    JsonNode model0 = http.get("/v1/users?q=" + model.users().get(0)).json().get("users").get(0);
    assertThat(model0.get("source").asText()).isEqualTo("model");

    JsonNode few = http.get("/v1/users?limit=5&bins=4").json();
    assertThat(few.get("sampled").asBoolean()).isTrue();
    assertThat(few.get("users")).hasSize(5);
    assertThat(few.get("sampling").asText()).contains("5 of " + n);
    int sum = 0;
    for (JsonNode c : few.get("bins").get("counts")) sum += c.asInt();
    assertThat(sum).isEqualTo(n);

    // held-out accuracy: known for the model's users (their test pairs of the reopened training data), never for enrolled ones
    JsonNode h = http.get("/v1/users/" + model.users().get(0) + "/held-out").json();
    var data = pal.trainingData(model);
    var want = model.heldOut(data, model.users().get(0));
    assertThat(h.get("pairs").asInt()).isEqualTo(want.pairs()).isPositive();
    assertThat(h.get("accuracy").asDouble()).isEqualTo(want.accuracy());
    // the same accuracy counted independently: rewards of each test pair's two rows under the user's weights
    var split = data.split();
    var d = split.data();
    int ui = d.userIds().indexOf(model.users().get(0)), correct = 0, total = 0;
    double[] w = model.weights(User.id(model.users().get(0)));
    for (int p : split.test()) {
      if (d.pairs().user[p] != ui) continue;
      float[] pr = row(d.prompts(), d.pairs().prompt[p]);
      double[] r = model.rewards(new double[][] {w, w}, new float[][] {pr, pr}, new float[][] {row(d.items(), d.pairs().left[p]), row(d.items(), d.pairs().right[p])});
      total++;
      if ((r[0] - r[1]) * d.pairs().label[p] > 0) correct++;
    }
    assertThat(total).isEqualTo(want.pairs());
    assertThat(want.accuracy()).isCloseTo(correct / (double) total, within(1e-12));
    assertThat(http.get("/v1/users/web-listed/held-out").json().get("accuracy").isNull()).isTrue();
    assertThat(http.get("/v1/users/nobody/held-out").status()).isEqualTo(404);

    assertThat(http.get("/v1/users?limit=abc").errorField()).isEqualTo("limit");
    assertThat(http.get("/v1/users?limit=0").errorField()).isEqualTo("limit");
    assertThat(http.get("/v1/users?bins=999").errorField()).isEqualTo("bins");
    assertThat(http.send("DELETE", "/v1/users/web-listed", null).status()).isEqualTo(200);
  }
}
