package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;

/**
 * The routes at the edges of their limits: each bound accepted at its value and refused one past it,
 * methods other than the route's refused, media types, connection handling after errors, counts that
 * include users enrolled here, and the bind address honoured.
 */
class RouteEdgesTest {
  static final int MAX_RESPONSES = 4, MAX_BODY = 2048;
  @TempDir static Path dir;
  static RewardModel model;
  static PalServer server;
  static Http http;

  @BeforeAll
  static void start() throws Exception {
    PalApi pal = PalApi.create();
    model = pal.load(Models.text(pal));
    server = PalServer.start(model, dir.resolve("state"),
        ServerSettings.defaults().withPort(0).withLimits(MAX_BODY, MAX_RESPONSES, 20_000, 1000, 64));
    http = new Http(server.port(), null);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  static String scoring(int responses) {
    StringBuilder sb = new StringBuilder("{\"zero_shot\": true, \"prompt\": \"describe a pet\", \"responses\": [");
    for (int i = 0; i < responses; i++) sb.append(i > 0 ? ", " : "").append("\"a cat ").append(i).append('"');
    return sb.append("]}").toString();
  }

  static String batch(int requests, int each, int extra) {
    StringBuilder sb = new StringBuilder("{\"requests\": [");
    for (int i = 0; i < requests; i++) sb.append(i > 0 ? ", " : "").append(scoring(each));
    if (extra > 0) sb.append(", ").append(scoring(extra));
    return sb.append("]}").toString();
  }

  @Test
  void aBatchCarriesAtMostSixteenRequestsWorthOfResponses() {
    Http.Reply full = http.post("/v1/rewards", batch(16, MAX_RESPONSES, 0));
    assertThat(full.status()).as(full.body()).isEqualTo(200);
    assertThat(full.json().get("results")).hasSize(16);
    for (JsonNode r : full.json().get("results")) assertThat(r.get("rewards")).hasSize(MAX_RESPONSES);
    Http.Reply over = http.post("/v1/rewards", batch(16, MAX_RESPONSES, 1));
    assertThat(over.status()).isEqualTo(400);
    assertThat(over.errorField()).isEqualTo("requests");
    assertThat(over.json().get("error").get("value").asText()).isEqualTo((16 * MAX_RESPONSES + 1) + " responses");
    assertThat(over.json().get("error").get("message").asText()).contains("at most " + 16 * MAX_RESPONSES);
  }

  @Test
  void aBodyOfExactlyTheCapIsReadAndOneByteMoreIsNot() {
    String body = scoring(2);
    String exact = body.substring(0, body.length() - 1) + " ".repeat(MAX_BODY - body.length()) + "}";
    assertThat(exact).hasSize(MAX_BODY);
    Http.Reply ok = http.post("/v1/rewards", exact);
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().get("rewards")).hasSize(2);
    Http.Reply big = http.post("/v1/rewards", exact + " ");
    assertThat(big.status()).isEqualTo(413);
    assertThat(big.errorField()).isEqualTo("body");
  }

  @Test
  void readRoutesRefuseOtherMethods() {
    for (String r : List.of("/v1/model", "/v1/prototypes", "/v1/users", "/v1/users/someone/held-out", "/web/app.js", "/health", "/metrics")) {
      Http.Reply a = http.post(r, "{}");
      assertThat(a.status()).as(r).isEqualTo(405);
      assertThat(a.errorField()).as(r).isEqualTo("method");
      assertThat(a.header("connection")).as(r + ": an error that left a body unread closes the connection").isEqualTo("close");
    }
    for (String r : List.of("/v1/rewards", "/get_reward", "/v1/users/someone/comparisons", "/v1/users/someone/next-query")) {
      assertThat(http.get(r).status()).as(r).isEqualTo(405);
    }
    assertThat(http.send("PUT", "/v1/users/someone", "{}").status()).isEqualTo(405);
    Http.Reply nothing = http.get("/v1/nothing");
    assertThat(nothing.status()).isEqualTo(404);
    assertThat(nothing.header("connection")).as("no body was sent: the connection stays open").isNull();
  }

  @Test
  void thePagesFilesCarryTheirMediaTypes() {
    assertThat(http.get("/").header("content-type")).startsWith("text/html");
    assertThat(http.get("/web/index.html").header("content-type")).startsWith("text/html");
    assertThat(http.get("/web/app.js").header("content-type")).startsWith("text/javascript");
    assertThat(http.get("/web/app.css").header("content-type")).startsWith("text/css");
    assertThat(http.get("/v1/model").header("content-type")).startsWith("application/json");
  }

  @Test
  void queryParametersAreAcceptedAtTheirBoundsAndRefusedPastThem() {
    JsonNode one = http.get("/v1/prototypes?n=1").json();
    for (JsonNode p : one.get("prototypes")) {
      assertThat(p.get("highest")).hasSize(1);
      assertThat(p.get("lowest")).hasSize(1);
    }
    JsonNode twenty = http.get("/v1/prototypes?n=20").json();
    assertThat(twenty.get("prototypes").get(0).get("highest").size()).isEqualTo(Math.min(20, twenty.get("ranked").asInt()));
    assertThat(http.get("/v1/prototypes?n=20").body()).as("ranked once, the same answer again").isEqualTo(http.get("/v1/prototypes?n=20").body());
    assertThat(twenty.get("prototypes").get(0).get("highest").get(0)).isEqualTo(one.get("prototypes").get(0).get("highest").get(0));
    for (String bad : List.of("n=0", "n=21", "n=-1", "n=1.5")) assertThat(http.get("/v1/prototypes?" + bad).errorField()).as(bad).isEqualTo("n");

    assertThat(http.get("/v1/users?limit=1").json().get("shown").asInt()).isEqualTo(1);
    assertThat(http.get("/v1/users?limit=20000&bins=200").status()).isEqualTo(200);
    JsonNode oneBin = http.get("/v1/users?limit=1&bins=1").json(); // beyond the limit: a sample drawn over a grid of all
    assertThat(oneBin.get("bins").get("counts")).hasSize(1);
    assertThat(oneBin.get("bins").get("counts").get(0).asInt()).isEqualTo(oneBin.get("total").asInt());
    assertThat(http.get("/v1/users?limit=20001").errorField()).isEqualTo("limit");
    assertThat(http.get("/v1/users?bins=0").errorField()).isEqualTo("bins");
    assertThat(http.get("/v1/users?bins=201").errorField()).isEqualTo("bins");
    JsonNode q = http.get("/v1/users?q=" + "x".repeat(128)).json();
    assertThat(q.get("matched").asInt()).isZero();
    assertThat(q.get("total").asInt()).isPositive();
    assertThat(http.get("/v1/users?q=" + "x".repeat(129)).errorField()).isEqualTo("q");
  }

  @Test
  void theModelRouteCountsUsersEnrolledHere() {
    JsonNode before = http.get("/v1/model").json();
    Http.Reply e = http.post("/v1/users/edge-counted/comparisons",
        "{\"comparisons\": [{\"prompt\": \"describe a pet\", \"chosen\": \"a cat\", \"rejected\": \"a dog\"}]}");
    assertThat(e.status()).as(e.body()).isEqualTo(200);
    JsonNode after = http.get("/v1/model").json();
    assertThat(after.get("enrolledUsers").asInt()).isEqualTo(before.get("enrolledUsers").asInt() + 1);
    assertThat(after.get("users").asInt()).isEqualTo(model.users().size() + after.get("enrolledUsers").asInt());
    assertThat(after.get("modelUsers").asInt()).isEqualTo(model.users().size());
    assertThat(http.send("DELETE", "/v1/users/edge-counted", null).status()).isEqualTo(200);
    assertThat(http.get("/v1/model").json().get("enrolledUsers").asInt()).isEqualTo(before.get("enrolledUsers").asInt());
  }

  /** 127.0.0.2 is loopback too, so no token is needed; a server bound there is not reachable at 127.0.0.1. */
  @Test
  void theServerListensOnTheAddressItWasGivenOnly() throws Exception {
    try (PalServer s = PalServer.start(model, dir.resolve("state-bind"), ServerSettings.defaults().withHost("127.0.0.2").withPort(0))) {
      try (Socket there = new Socket()) {
        there.connect(new InetSocketAddress("127.0.0.2", s.port()), 5000);
        assertThat(there.isConnected()).isTrue();
      }
      assertThatThrownBy(() -> {
        try (Socket other = new Socket()) {
          other.connect(new InetSocketAddress("127.0.0.1", s.port()), 5000);
        }
      }).isInstanceOf(java.net.ConnectException.class);
    }
  }
}
