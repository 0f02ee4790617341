package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.core.PalException;
import org.pal.core.config.Json;

/** The HTTP contract on a real loopback server over a text model: every route, auth, caps, 503, and deletion from disk. */
class ServerTest {
  static final String TOKEN = "test-token-0123456789abcdef";
  @TempDir static Path dir;
  static PalApi pal;
  static RewardModel model;
  static PalServer server;
  static Http http;

  @BeforeAll
  static void start() throws Exception {
    pal = PalApi.create();
    model = pal.load(Models.text(pal));
    server = PalServer.start(model, dir.resolve("state"), ServerSettings.defaults().withPort(0).withToken(TOKEN)
        .withLimits(64 * 1024, 8, 200, 50, 16));
    http = new Http(server.port(), TOKEN);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  static String q(String s) {
    return Json.write(Json.mapper().getNodeFactory().textNode(s));
  }

  static double[] doubles(JsonNode a) {
    double[] d = new double[a.size()];
    for (int i = 0; i < d.length; i++) d[i] = a.get(i).doubleValue();
    return d;
  }

  @Test
  void healthNeedsNoTokenAndDescribesTheModel() {
    Http.Reply r = http.send("GET", "/health", null, null);
    assertThat(r.status()).isEqualTo(200);
    JsonNode j = r.json();
    assertThat(j.path("status").asText()).isEqualTo("ok");
    assertThat(j.path("model").path("type").asText()).isEqualTo("pal-b");
    assertThat(j.path("model").path("k").asInt()).isEqualTo(2);
    assertThat(j.path("model").path("encoder").asText()).isEqualTo("server-words");
    assertThat(j.path("model").path("modelUsers").asInt()).isEqualTo(model.users().size());
  }

  @Test
  void everyOtherRouteNeedsTheBearerToken() {
    for (String[] r : new String[][] {{"POST", "/v1/rewards"}, {"GET", "/metrics"}, {"GET", "/v1/users/u1"}, {"POST", "/get_reward"},
        {"DELETE", "/v1/users/x"}, {"POST", "/v1/users/x/comparisons"}, {"POST", "/v1/users/x/next-query"}}) {
      Http.Reply none = http.send(r[0], r[1], r[0].equals("POST") ? "{}" : null, null);
      Http.Reply wrong = http.send(r[0], r[1], r[0].equals("POST") ? "{}" : null, TOKEN + "x");
      assertThat(none.status()).as(r[1]).isEqualTo(401);
      assertThat(wrong.status()).as(r[1]).isEqualTo(401);
      assertThat(none.errorField()).isEqualTo("Authorization");
    }
  }

  @Test
  void withoutATokenOnlyLoopbackIsBound() {
    assertThatThrownBy(() -> PalServer.requireSafeBind(ServerSettings.defaults().withHost("0.0.0.0")))
        .isInstanceOf(PalException.class).hasMessageContaining("loopback");
    PalServer.requireSafeBind(ServerSettings.defaults().withHost("127.0.0.1"));
    PalServer.requireSafeBind(ServerSettings.defaults().withHost("0.0.0.0").withToken(TOKEN));
  }

  /** Rewards over HTTP equal the library's, in input order, with the preference probability for pairs. */
  @Test
  void rewardsAreTheLibrarysRewards() {
    String user = model.users().get(0);
    String prompt = "describe a pet";
    List<String> rs = List.of("a kitten chasing yarn", "a dog barks at the mailman", "my cat sleeps on the keyboard");
    double[] want = model.rewards(User.id(user), Input.text(prompt), rs.stream().map(Input::text).toList());
    Http.Reply r = http.post("/v1/rewards", "{\"user\": " + q(user) + ", \"prompt\": " + q(prompt) + ", \"responses\": [" + q(rs.get(0)) + ", " + q(rs.get(1)) + ", " + q(rs.get(2)) + "]}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(doubles(r.json().get("rewards"))).containsExactly(want, within(1e-9));
    assertThat(r.json().has("preference")).isFalse();

    // batch: explicit weights and zero-shot; pairs get a preference
    Http.Reply b = http.post("/v1/rewards", "{\"requests\": [{\"weights\": [0.25, 0.75], \"prompt\": " + q(prompt) + ", \"responses\": ["
        + q(rs.get(0)) + ", " + q(rs.get(1)) + "]}, {\"user\": \"nobody\", \"zero_shot\": true, \"prompt\": " + q(prompt) + ", \"responses\": [" + q(rs.get(2)) + "]}]}");
    assertThat(b.status()).as(b.body()).isEqualTo(200);
    JsonNode r0 = b.json().get("results").get(0), r1 = b.json().get("results").get(1);
    double[] w = model.rewards(User.weights(0.25, 0.75), Input.text(prompt), Input.text(rs.get(0)), Input.text(rs.get(1)));
    assertThat(doubles(r0.get("rewards"))).containsExactly(w, within(1e-9));
    assertThat(r0.get("preference").asDouble()).isCloseTo(model.preference(User.weights(0.25, 0.75), Input.text(prompt), Input.text(rs.get(0)), Input.text(rs.get(1))), within(1e-9));
    assertThat(doubles(r1.get("weights"))).containsExactly(model.zeroShotWeights(), within(1e-12));
    assertThat(r1.get("rewards").get(0).asDouble()).isCloseTo(model.rewards(User.zeroShot(), Input.text(prompt), Input.text(rs.get(2)))[0], within(1e-9));

    Http.Reply unknown = http.post("/v1/rewards", "{\"user\": \"nobody\", \"prompt\": " + q(prompt) + ", \"responses\": [\"x\"]}");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.errorField()).isEqualTo("user");
  }

  /** Many concurrent clients get exactly the answers of sequential calls (micro-batching changes nothing). */
  @Test
  void concurrentRequestsGetTheirOwnAnswers() throws Exception {
    ExecutorService ex = Executors.newFixedThreadPool(12);
    try {
      List<Future<Boolean>> fs = new ArrayList<>();
      for (int i = 0; i < 96; i++) {
        int n = i;
        fs.add(ex.submit(() -> {
          String user = model.users().get(n % model.users().size());
          String a = ServerTestPlugin.CATS[n % 6], b = ServerTestPlugin.DOGS[(n / 6) % 6];
          double[] want = model.rewards(User.id(user), Input.text("describe a pet"), Input.text(a), Input.text(b));
          Http.Reply r = http.post("/v1/rewards", "{\"user\": " + q(user) + ", \"prompt\": \"describe a pet\", \"responses\": [" + q(a) + ", " + q(b) + "]}");
          double[] got = doubles(r.json().get("rewards"));
          // float32 model: a row's reward may differ in the last bits with the batch it was computed in
          return r.status() == 200 && Math.abs(got[0] - want[0]) < 1e-5 && Math.abs(got[1] - want[1]) < 1e-5;
        }));
      }
      for (Future<Boolean> f : fs) assertThat(f.get(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      ex.shutdownNow();
    }
    String m = http.get("/metrics").body();
    assertThat(m).contains("pal_batch_responses_count").contains("pal_embedding_memo_hits_total");
  }

  /** OpenRLHF's client sends query (prompt + response), prompts and labels, and reads rewards. */
  @Test
  void getRewardSpeaksOpenRlhfsContract() {
    String p = "describe a pet", a = "a kitten chasing yarn", b = "a dog barks at the mailman";
    Http.Reply r = http.post("/get_reward", "{\"query\": [" + q(p + a) + ", " + q(p + b) + "], \"prompts\": [" + q(p) + ", " + q(p) + "], \"labels\": [\"\", \"\"]}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    double[] want = model.rewards(User.zeroShot(), Input.text(p), Input.text(a), Input.text(b));
    assertThat(doubles(r.json().get("rewards"))).containsExactly(want, within(1e-9));
    String user = model.users().get(model.users().size() - 1);
    Http.Reply u = http.post("/get_reward?user=" + user, "{\"query\": [" + q(p + a) + "], \"prompts\": [" + q(p) + "]}");
    assertThat(u.json().get("rewards").get(0).asDouble()).isCloseTo(model.rewards(User.id(user), Input.text(p), Input.text(a))[0], within(1e-9));
    Http.Reply missing = http.post("/get_reward", "{\"query\": [" + q(a) + "]}");
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.errorField()).isEqualTo("prompts");
  }

  /** Enrol, read back, score with the new weights, ask the next question, delete: and the text leaves the disk. */
  @Test
  void enrolmentLifecycle() throws Exception {
    String marker = "a zebrafinch named quortle";
    StringBuilder cs = new StringBuilder("{\"comparisons\": [");
    for (int i = 0; i < 6; i++) {
      if (i > 0) cs.append(", ");
      cs.append("{\"prompt\": \"describe a pet\", \"chosen\": ").append(q(ServerTestPlugin.CATS[i])).append(", \"rejected\": ").append(q(ServerTestPlugin.DOGS[i])).append("}");
    }
    cs.append(", {\"prompt\": \"describe a pet\", \"chosen\": ").append(q("a cat and " + marker)).append(", \"rejected\": \"a dog\"}]}");
    Http.Reply e = http.post("/v1/users/new-1/comparisons", cs.toString());
    assertThat(e.status()).as(e.body()).isEqualTo(200);
    assertThat(e.json().get("comparisons").asInt()).isEqualTo(7);
    double[] w = doubles(e.json().get("weights"));
    Http.Reply g = http.get("/v1/users/new-1");
    assertThat(doubles(g.json().get("weights"))).containsExactly(w);
    assertThat(g.json().path("uncertainty").path("total").asDouble()).isPositive();
    // a cat lover now: cats outscore dogs under their weights, as the library computes with those weights
    Http.Reply r = http.post("/v1/rewards", "{\"user\": \"new-1\", \"prompt\": \"describe a pet\", \"responses\": [\"a cat naps\", \"a dog barks\"]}");
    double[] lib = model.rewards(User.weights(w), Input.text("describe a pet"), Input.text("a cat naps"), Input.text("a dog barks"));
    assertThat(doubles(r.json().get("rewards"))).containsExactly(lib, within(1e-9));
    assertThat(lib[0]).isGreaterThan(lib[1]);
    // more comparisons: the count grows and the posterior narrows
    Http.Reply more = http.post("/v1/users/new-1/comparisons", "{\"comparisons\": [{\"prompt\": \"tell me about an animal at home\", \"chosen\": \"the cat naps in the sun\", \"rejected\": \"my dog runs in the park\"}]}");
    assertThat(more.json().get("comparisons").asInt()).isEqualTo(8);
    assertThat(more.json().path("uncertainty").path("total").asDouble()).isLessThan(g.json().path("uncertainty").path("total").asDouble());

    Http.Reply nq = http.post("/v1/users/new-1/next-query", "{\"prompt\": \"describe a pet\", \"candidates\": [\"a cat\", \"a cat\", \"a dog fetching a stick\", \"a kitten chasing yarn\"]}");
    assertThat(nq.status()).as(nq.body()).isEqualTo(200);
    int a = nq.json().get("pair").get(0).asInt(), b = nq.json().get("pair").get(1).asInt();
    assertThat(a).isBetween(0, 3);
    assertThat(b).isBetween(0, 3).isNotEqualTo(a);
    assertThat(a == 0 && b == 1).as("two identical candidates tell nothing").isFalse();
    // a brand-new user gets a question from the prior
    assertThat(http.post("/v1/users/fresh/next-query", "{\"prompt\": \"describe a pet\", \"candidates\": [\"a cat\", \"a dog\"]}").status()).isEqualTo(200);

    Path state = dir.resolve("state");
    assertThat(containsOnDisk(state, marker)).as("the comparison text is stored").isTrue();
    assertThat(http.send("DELETE", "/v1/users/new-1", null).status()).isEqualTo(200);
    assertThat(http.get("/v1/users/new-1").status()).isEqualTo(404);
    assertThat(http.post("/v1/rewards", "{\"user\": \"new-1\", \"prompt\": \"x\", \"responses\": [\"y\"]}").status()).isEqualTo(404);
    assertThat(containsOnDisk(state, marker)).as("deleted comparisons leave the disk").isFalse();
    assertThat(http.get("/metrics").body()).contains("pal_enrolments_total 2.0");
  }

  private static boolean containsOnDisk(Path dir, String s) throws Exception {
    try (var files = Files.walk(dir)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        if (new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.UTF_8).contains(s)) return true;
      }
    }
    return false;
  }

  @Test
  void capsAnswer413And400() {
    String big = "{\"zero_shot\": true, \"prompt\": \"p\", \"responses\": [" + q("x".repeat(70 * 1024)) + "]}";
    Http.Reply r = http.post("/v1/rewards", big);
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.errorField()).isEqualTo("body");
    Http.Reply many = http.post("/v1/rewards", "{\"zero_shot\": true, \"prompt\": \"p\", \"responses\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}");
    assertThat(many.status()).isEqualTo(400);
    assertThat(many.errorField()).isEqualTo("responses");
    Http.Reply longText = http.post("/v1/rewards", "{\"zero_shot\": true, \"prompt\": \"p\", \"responses\": [" + q("y".repeat(201)) + "]}");
    assertThat(longText.status()).isEqualTo(400);
    assertThat(longText.errorField()).isEqualTo("responses[0]");
    assertThat(longText.body()).doesNotContain("yyyy");
  }

  /** A full queue answers 503 instead of growing: the scoring thread is held inside the encoder. */
  @Test
  void aFullQueueAnswers503() throws Exception {
    RewardModel gated = pal.load(Models.text(pal), PalApi.LoadOptions.acceptEncoder(Json.parse("{\"type\": \"server-gated\"}")));
    CountDownLatch gate = new CountDownLatch(1), entered = new CountDownLatch(1);
    ServerTestPlugin.GATE.set(gate);
    ServerTestPlugin.ENTERED.set(entered);
    try (PalServer s = PalServer.start(gated, dir.resolve("state-gated"), ServerSettings.defaults().withPort(0).withBatching(0, 8, 1, 1))) {
      Http h = new Http(s.port(), null);
      String body = "{\"zero_shot\": true, \"prompt\": \"describe a pet\", \"responses\": [\"a new text %d\"]}";
      CompletableFuture<Http.Reply> first = CompletableFuture.supplyAsync(() -> h.post("/v1/rewards", body.formatted(1)));
      assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue(); // the scoring thread holds job 1
      CompletableFuture<Http.Reply> second = CompletableFuture.supplyAsync(() -> h.post("/v1/rewards", body.formatted(2)));
      for (int i = 0; i < 3000 && !h.get("/metrics").body().contains("pal_queue_depth 1.0"); i++) Thread.sleep(10);
      assertThat(h.get("/metrics").body()).contains("pal_queue_depth 1.0"); // job 2 waits in the one-place queue
      Http.Reply third = h.post("/v1/rewards", body.formatted(3));
      assertThat(third.status()).isEqualTo(503);
      assertThat(third.errorField()).isEqualTo("queue");
      gate.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(second.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(h.metrics().get("pal_queue_rejections_total")).as("the one refused job is counted").isEqualTo(1.0);
    } finally {
      ServerTestPlugin.GATE.set(null);
      gate.countDown();
    }
  }
}
