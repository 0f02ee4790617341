package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;
import org.pal.core.PalException;
import org.pal.core.config.Json;

/**
 * The HTTP contract at its edges, one server: each route's method, the body cap at exactly its size
 * (declared and chunked), every 4xx's field and value, /get_reward's and batch scoring's counts at
 * their limits, headers (no server banner, the Bearer challenge, the metrics content type), the
 * bound port, daemon threads, latency seconds, a model user's view, and what close releases.
 */
class HttpContractTest {
  static final String TOKEN = "contract-token-0123456789";
  static final String P = "describe a pet";

  static String responses(int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) sb.append(i > 0 ? ", " : "").append("\"pet ").append((char) ('a' + i % 26)).append(i / 26).append('"');
    return sb.toString();
  }

  static JsonNode error(Http.Reply r) {
    return r.json().get("error");
  }

  static void refused(Http.Reply r, int status, String field, String value) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(error(r).get("field").isNull() ? null : error(r).get("field").asText()).as(r.body()).isEqualTo(field);
    assertThat(error(r).get("value").isNull() ? null : error(r).get("value").asText()).as(r.body()).isEqualTo(value);
  }

  @Test
  void theContractAtItsEdges(@TempDir Path dir) throws Exception {
    PalApi pal = PalApi.create();
    RewardModel model = pal.load(Models.text(pal));
    StringBuilder batch = new StringBuilder("{\"requests\": [");
    for (int i = 0; i < 16; i++) batch.append(i > 0 ? ", " : "").append("{\"zero_shot\": true, \"prompt\": \"" + P + "\", \"responses\": [" + responses(8) + "]}");
    String full = batch + "]}"; // 16 x 8 responses, the most one call scores: for the restarted server below (past this one's 300-byte cap)
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    assertThatThrownBy(() -> PalServer.start(model, dir.resolve("x"), ServerSettings.defaults().withHost("0.0.0.0").withPort(0)))
        .isInstanceOf(PalException.class).hasMessageContaining("host = 0.0.0.0");
    PalServer s = PalServer.start(model, dir.resolve("state"), ServerSettings.defaults().withPort(port).withToken(TOKEN).withLimits(300, 8, 200, 5, 16));
    try {
      assertThat(s.port()).as("the port asked for").isEqualTo(port);
      Http http = new Http(port, TOKEN);

      // methods: each route answers 405 with the method as the value
      refused(http.get("/v1/rewards"), 405, "method", "GET");
      refused(http.post("/health", "{}"), 405, "method", "POST");
      refused(http.post("/metrics", "{}"), 405, "method", "POST");
      refused(http.get("/get_reward"), 405, "method", "GET");
      refused(http.get("/v1/users/x/comparisons"), 405, "method", "GET");
      refused(http.get("/v1/users/x/next-query"), 405, "method", "GET");
      refused(http.send("PUT", "/v1/users/x", "{}"), 405, "method", "PUT");
      refused(http.get("/nowhere"), 404, "path", "(8 chars)");

      // auth: the value says which; a 401 carries the Bearer challenge
      refused(http.send("GET", "/metrics", null, null), 401, "Authorization", "missing");
      refused(http.send("GET", "/metrics", null, TOKEN + "!"), 401, "Authorization", "(wrong)");
      HttpClient raw = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<String> unauth = raw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(unauth.headers().firstValue("www-authenticate")).contains("Bearer");
      HttpResponse<String> health = raw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(health.headers().map().keySet()).as("no server banner").doesNotContain("server", "x-powered-by");
      assertThat(health.headers().firstValue("content-type")).contains("application/json");
      HttpResponse<String> metrics = raw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
          .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain");

      // the body cap: exactly 300 bytes pass, declared or chunked beyond it is 413; empty and non-objects are 400
      String ok = "{\"zero_shot\": true, \"prompt\": \"" + P + "\", \"responses\": [\"a cat\"]}";
      String exact = ok + " ".repeat(300 - ok.getBytes(StandardCharsets.UTF_8).length);
      assertThat(exact.getBytes(StandardCharsets.UTF_8)).hasSize(300);
      assertThat(http.post("/v1/rewards", exact).status()).as("a body of exactly the cap").isEqualTo(200);
      refused(http.post("/v1/rewards", exact + " "), 413, "body", "301 bytes");
      HttpResponse<String> chunked = raw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/rewards"))
          .header("Authorization", "Bearer " + TOKEN)
          .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream((exact + " ").getBytes(StandardCharsets.UTF_8)))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(chunked.statusCode()).isEqualTo(413);
      assertThat(Json.parse(chunked.body()).get("error").get("value").asText()).isEqualTo("more than 300 bytes");
      refused(http.post("/v1/rewards", ""), 400, "body", "empty");
      refused(http.post("/v1/rewards", "[1]"), 400, "body", "array");
      Http.Reply trailing = http.post("/v1/rewards", "{\"a\": 1} {}");
      assertThat(trailing.status()).isEqualTo(400);
      assertThat(error(trailing).get("value").asText()).startsWith("malformed JSON");

      // values: text at its cap passes; vectors of the wrong size, images without a root and unknown fields are named
      assertThat(http.post("/v1/rewards", "{\"zero_shot\": true, \"prompt\": \"" + P + "\", \"responses\": [\"" + "y".repeat(200) + "\"]}").status()).isEqualTo(200);
      refused(http.post("/v1/rewards", "{\"zero_shot\": true, \"prompt\": \"" + P + "\", \"responses\": [[1, 2]]}"), 400, "responses[0]", "an array of 2 numbers");
      refused(http.post("/v1/rewards", "{\"zero_shot\": true, \"prompt\": \"" + P + "\", \"responses\": [\"image:cat.png\"]}"), 400, "responses[0]", "(image path)");
      refused(http.post("/v1/rewards", "{\"zero_shot\": true, \"prompt\": \"" + P + "\", \"responses\": [true]}"), 400, "responses[0]", "boolean");
      refused(http.post("/v1/rewards", "{\"requests\": [{\"zero_shot\": true, \"colour\": 1}]}"), 400, "requests[0].colour", "(unknown field)");
      refused(http.post("/v1/rewards", "{\"zero_shot\": true, \"prompt\": \"" + P + "\", \"responses\": [" + responses(9) + "]}"), 400, "responses", "an array of 9");
      assertThat(http.post("/v1/rewards", "{\"zero_shot\": true, \"prompt\": \"" + P + "\", \"responses\": [" + responses(8) + "]}").status()).isEqualTo(200);
      refused(http.post("/v1/rewards", "{\"requests\": []}"), 400, "requests", "an array of 0");


      // /get_reward: counts of prompts and users must match the queries
      refused(http.post("/get_reward", "{\"query\": [\"a\", \"b\"], \"prompts\": [\"a\"]}"), 400, "prompts", "1 prompts");
      refused(http.post("/get_reward", "{\"query\": [\"a\"], \"prompts\": \"a\"}"), 400, "prompts", "string");
      refused(http.post("/get_reward", "{\"query\": [\"a\"], \"prompts\": [\"\"], \"user\": \"u1\", \"users\": [\"u1\"]}"), 400, "users", "given with user");
      refused(http.post("/get_reward", "{\"query\": [\"a\"], \"prompts\": [\"\"], \"users\": [\"u1\", \"u2\"]}"), 400, "users", "2 users");
      refused(http.post("/get_reward", "{\"query\": [\"a\"], \"prompts\": [\"\"], \"users\": \"u1\"}"), 400, "users", "string");
      refused(http.post("/get_reward", "{\"query\": [1], \"prompts\": [\"\"]}"), 400, "query[0]", "number");
      refused(http.post("/get_reward", "{\"query\": [\"a\"], \"prompts\": [2]}"), 400, "prompts[0]", "number");
      String u0 = model.users().get(0), u1 = model.users().get(1);
      Http.Reply three = http.post("/get_reward", "{\"query\": [\"" + P + " a cat\", \"" + P + " a dog\", \"" + P + " a bird\"], \"prompts\": [\""
          + P + "\", \"" + P + "\", \"" + P + "\"], \"users\": [\"" + u0 + "\", \"" + u1 + "\", \"" + u0 + "\"]}");
      assertThat(three.status()).as(three.body()).isEqualTo(200);
      double[] want = {model.rewards(User.id(u0), org.pal.api.Input.text(P), org.pal.api.Input.text(" a cat"))[0],
          model.rewards(User.id(u1), org.pal.api.Input.text(P), org.pal.api.Input.text(" a dog"))[0],
          model.rewards(User.id(u0), org.pal.api.Input.text(P), org.pal.api.Input.text(" a bird"))[0]};
      for (int i = 0; i < 3; i++) {
        assertThat(three.json().get("rewards").get(i).asDouble()).isCloseTo(want[i], within(1e-5));
        assertThat(three.json().get("scores").get(i).asDouble()).isEqualTo(three.json().get("rewards").get(i).asDouble());
      }

      // users: a model user's view; enrolment at the per-user cap of 5 comparisons
      Http.Reply mu = http.get("/v1/users/" + u1);
      assertThat(mu.json().get("source").asText()).isEqualTo("model");
      assertThat(mu.json().get("comparisons").asInt()).isZero();
      assertThat(mu.json().get("uncertainty").isNull()).isTrue();
      double[] w1 = model.weights(User.id(u1));
      for (int i = 0; i < w1.length; i++) assertThat(mu.json().get("weights").get(i).asDouble()).isEqualTo(w1[i]);
      refused(http.send("DELETE", "/v1/users/" + u1, null), 409, "user", u1);
      refused(http.send("DELETE", "/v1/users/nobody", null), 404, "user", "nobody");
      String c = "{\"prompt\": \"" + P + "\", \"chosen\": \"a cat\", \"rejected\": \"a dog\"}";
      assertThat(http.post("/v1/users/n1/comparisons", "{\"comparisons\": [" + c + ", " + c + ", " + c + "]}").status()).isEqualTo(200);
      refused(http.post("/v1/users/n1/comparisons", "{\"comparisons\": [" + c + ", " + c + ", " + c + "]}"), 400, "comparisons", "6 in all");
      assertThat(http.post("/v1/users/n1/comparisons", "{\"comparisons\": [" + c + ", " + c + "]}").status()).as("exactly 5 in all").isEqualTo(200);
      assertThat(http.get("/health").json().get("users").asInt()).isEqualTo(1);

      // latency seconds are seconds
      var m = http.metrics();
      double count = m.get("pal_request_seconds_count{route=\"rewards\"}"), sum = m.get("pal_request_seconds_sum{route=\"rewards\"}");
      assertThat(count).isGreaterThan(10);
      assertThat(sum).isPositive().isLessThan(30 * count);

      // threads: the HTTP pool, the scoring threads and the log writer are daemons
      List<Thread> ts = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("pal-")).toList();
      for (String name : new String[] {"pal-http", "pal-scoring-", "pal-wal-writer"}) {
        assertThat(ts.stream().filter(t -> t.getName().startsWith(name)).toList()).as(name).isNotEmpty().allMatch(Thread::isDaemon);
      }
    } finally {
      s.close();
    }
    // closed: the port no longer answers and the store refuses changes
    assertThatThrownBy(() -> new Http(port, TOKEN).get("/health")).isInstanceOf(java.io.UncheckedIOException.class);
    assertThatThrownBy(() -> s.store().put("late", List.of(), new double[] {0, 0}, new double[] {0.5, 0.5}, new double[2][2], new double[2]))
        .isInstanceOf(PalException.class).hasMessageContaining("closed");

    // a restart replays the users and the gauge starts at their number
    try (PalServer again = PalServer.start(model, dir.resolve("state"), ServerSettings.defaults().withPort(0).withLimits(8192, 8, 200, 5, 16))) {
      Http h = new Http(again.port(), null);
      assertThat(h.metrics().get("pal_users")).isEqualTo(1.0);
      assertThat(h.get("/v1/users/n1").json().get("comparisons").asInt()).isEqualTo(5);
      // 16 requests x 8 responses is the most one call scores; one more request is refused, counting responses over requests
      assertThat(h.post("/v1/rewards", full).status()).isEqualTo(200);
      StringBuilder over = new StringBuilder(full.substring(0, full.length() - 2));
      over.append(", {\"zero_shot\": true, \"prompt\": \"" + P + "\", \"responses\": [\"one more\"]}]}");
      refused(h.post("/v1/rewards", over.toString()), 400, "requests", "129 responses");
    }
  }

  /** A library error as an answer: the user's fault names field and value; the rest say only what failed. */
  @Test
  void libraryErrorsBecomeAnswers() {
    ApiError user = ApiError.of(PalException.badInput("weights[1]", -0.5, "must be >= 0"));
    assertThat(user.status).isEqualTo(400);
    assertThat(user.field).isEqualTo("weights[1]");
    assertThat(user.value).isEqualTo("-0.5");
    assertThat(user.getMessage()).isEqualTo("must be >= 0");
    ApiError plain = ApiError.of(PalException.userInput("no field here"));
    assertThat(plain.status).isEqualTo(400);
    assertThat(plain.field).isNull();
    assertThat(plain.value).isNull();
    assertThat(plain.getMessage()).isEqualTo("no field here");
    ApiError env = ApiError.of(PalException.environment("disk full at /secret/path", null));
    assertThat(env.status).isEqualTo(503);
    assertThat(env.getMessage()).doesNotContain("/secret").contains("environment");
    ApiError internal = ApiError.of(PalException.internal("bug at /secret/path"));
    assertThat(internal.status).isEqualTo(500);
    assertThat(internal.getMessage()).isEqualTo("internal error");
    assertThat(new ApiError(418, "f", 12, "m").value).isEqualTo("12");
    assertThat(new ApiError(418, "f", null, "m").value).isNull();
  }
}
