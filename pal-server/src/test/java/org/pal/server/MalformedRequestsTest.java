package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.User;

/**
 * Hundreds of malformed requests against a running server (vectors model, images root): each is a
 * 4xx whose error names the field, no answer is a 5xx, and afterwards the server still answers
 * correctly and holds no half-enrolled user.
 */
class MalformedRequestsTest {
  @TempDir Path dir;

  record Bad(String method, String path, String body, int status, String field) {}

  static String vec(double... v) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) sb.append(i > 0 ? ", " : "").append(v[i]);
    return sb.append("]").toString();
  }

  static String vec8(double x) {
    return vec(x, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7);
  }

  @Test
  void twoHundredBadRequestsThenCorrectAnswers() throws Exception {
    PalApi pal = PalApi.create();
    RewardModel model = pal.load(Models.vectors(pal));
    Path images = Files.createDirectories(dir.resolve("images"));
    Files.writeString(dir.resolve("secret.png"), "not inside the root");
    try (PalServer s = PalServer.start(model, dir.resolve("state"), ServerSettings.defaults().withPort(0).withImagesRoot(images)
        .withLimits(32 * 1024, 8, 100, 30, 8))) {
      Http h = new Http(s.port(), null);
      String user = model.users().get(0);
      String good = "{\"user\": \"" + user + "\", \"responses\": [" + vec8(1) + ", " + vec8(-1) + "]}";
      Http.Reply before = h.post("/v1/rewards", good);
      assertThat(before.status()).isEqualTo(200);

      List<Bad> bad = new ArrayList<>();
      String[] junk = {"", " ", "{", "}", "[", "[]", "null", "true", "42", "\"text\"", "{\"user\": }", "{\"user\": \"a\",}", "{'user': 'a'}",
          "{\"user\": \"a\"} {}", "{\"user\": NaN}", "{\"a\": 1, \"a\": 2}", "\u0000", "{\"user\": \"a\"", "{\"responses\": [1,]}", "{\"x\": Infinity}"};
      for (String path : new String[] {"/v1/rewards", "/get_reward", "/v1/users/z1/comparisons", "/v1/users/z1/next-query"}) {
        for (String j : junk) bad.add(new Bad("POST", path, j, 400, "body"));
      }
      // wrong types, unknown fields, bad weights, empty lists, unknown users
      String[] wrongRewards = {
          "{\"user\": 5, \"responses\": [" + vec8(1) + "]}", "user",
          "{\"user\": [\"a\"], \"responses\": [" + vec8(1) + "]}", "user",
          "{\"user\": \"" + user + "\", \"responses\": \"text\"}", "responses",
          "{\"user\": \"" + user + "\", \"responses\": []}", "responses",
          "{\"user\": \"" + user + "\"}", "responses",
          "{\"user\": \"" + user + "\", \"responses\": [" + vec8(1) + "], \"colour\": 1}", "colour",
          "{\"user\": \"" + user + "\", \"responses\": [" + vec8(1) + "], \"prompt\": \"p\"}", "prompt",
          "{\"user\": \"nobody\", \"responses\": [" + vec8(1) + "]}", "user",
          "{\"user\": \"bad id!\", \"responses\": [" + vec8(1) + "]}", "user",
          "{\"responses\": [" + vec8(1) + "]}", "user",
          "{\"weights\": [0.5, 0.5], \"responses\": [" + vec8(1) + "]}", "weights",
          "{\"weights\": [0.5, 0.6, -0.1], \"responses\": [" + vec8(1) + "]}", "weights[2]",
          "{\"weights\": [0.5, 0.6, 0.1], \"responses\": [" + vec8(1) + "]}", "weights (sum)",
          "{\"weights\": [0.2, 0.2, 0.2], \"responses\": [" + vec8(1) + "]}", "weights (sum)",
          "{\"weights\": [\"NaN\", 0.5, 0.5], \"responses\": [" + vec8(1) + "]}", "weights[0]",
          "{\"weights\": [1e400, 0, 0], \"responses\": [" + vec8(1) + "]}", "weights[0]",
          "{\"weights\": \"0.3,0.3,0.4\", \"responses\": [" + vec8(1) + "]}", "weights",
          "{\"weights\": [0.3, 0.3, 0.4], \"user\": \"" + user + "\", \"responses\": [" + vec8(1) + "]}", "weights",
          "{\"zero_shot\": \"yes\", \"responses\": [" + vec8(1) + "]}", "zero_shot",
          "{\"zero_shot\": true, \"responses\": [[1, 2]]}", "responses[0]",
          "{\"zero_shot\": true, \"responses\": [[1, 2, 3, 4, 5, 6, 7, \"8\"]]}", "responses[0][7]",
          "{\"zero_shot\": true, \"responses\": [[1, 2, 3, 4, 5, 6, 7, 1e300]]}", "responses[0][7]",
          "{\"zero_shot\": true, \"responses\": [null]}", "responses[0]",
          "{\"zero_shot\": true, \"responses\": [{\"v\": 1}]}", "responses[0]",
          "{\"zero_shot\": true, \"responses\": [\"some text\"]}", "responses",
          "{\"zero_shot\": true, \"responses\": [\"image:../secret.png\"]}", "responses[0]",
          "{\"zero_shot\": true, \"responses\": [\"image:/etc/passwd\"]}", "responses[0]",
          "{\"zero_shot\": true, \"responses\": [\"image:missing.png\"]}", "responses[0]",
          "{\"zero_shot\": true, \"responses\": [" + "\"a\",".repeat(9) + "\"a\"]}", "responses",
          "{\"requests\": []}", "requests",
          "{\"requests\": {}}", "requests",
          "{\"requests\": [{\"user\": \"nobody\", \"responses\": [" + vec8(1) + "]}]}", "requests[0].user",
          "{\"requests\": [{\"zero_shot\": true, \"responses\": [" + vec8(1) + "]}, 7]}", "requests[1]",
          "{\"requests\": [{\"zero_shot\": true, \"responses\": [" + vec8(1) + "]}], \"user\": \"x\"}", "user",
      };
      for (int i = 0; i < wrongRewards.length; i += 2) {
        String f = wrongRewards[i + 1];
        int status = f.equals("user") && wrongRewards[i].contains("nobody") || f.equals("requests[0].user") ? 404 : 400;
        bad.add(new Bad("POST", "/v1/rewards", wrongRewards[i], status, f));
      }
      String c = "{\"chosen\": " + vec8(1) + ", \"rejected\": " + vec8(2) + "}";
      String[] wrongEnrol = {
          "{}", "comparisons",
          "{\"comparisons\": []}", "comparisons",
          "{\"comparisons\": {}}", "comparisons",
          "{\"comparisons\": [" + c + "], \"weights\": [1]}", "weights",
          "{\"comparisons\": [{\"chosen\": " + vec8(1) + "}]}", "comparisons[0].rejected",
          "{\"comparisons\": [{\"rejected\": " + vec8(1) + "}]}", "comparisons[0].chosen",
          "{\"comparisons\": [" + c + ", {\"chosen\": " + vec8(1) + ", \"rejected\": [1]}]}", "comparisons[1].rejected",
          "{\"comparisons\": [{\"chosen\": " + vec8(1) + ", \"rejected\": " + vec8(2) + ", \"label\": 1}]}", "comparisons[0].label",
          "{\"comparisons\": [{\"prompt\": \"p\", \"chosen\": " + vec8(1) + ", \"rejected\": " + vec8(2) + "}]}", "comparisons[0].prompt",
          "{\"comparisons\": [" + c + ", 3]}", "comparisons[1]",
          "{\"comparisons\": [" + (c + ",").repeat(30) + c + "]}", "comparisons",
      };
      for (int i = 0; i < wrongEnrol.length; i += 2) bad.add(new Bad("POST", "/v1/users/z2/comparisons", wrongEnrol[i], 400, wrongEnrol[i + 1]));
      bad.add(new Bad("POST", "/v1/users/" + user + "/comparisons", "{\"comparisons\": [" + c + "]}", 409, "user"));
      String[] wrongQuery = {
          "{\"candidates\": [" + vec8(1) + "]}", "candidates",
          "{\"candidates\": \"a\"}", "candidates",
          "{}", "candidates",
          "{\"candidates\": [" + vec8(1) + ", [1]]}", "candidates[1]",
          "{\"candidates\": [" + vec8(1) + ", " + vec8(2) + "], \"prompt\": [1]}", "prompt",
          "{\"candidates\": [" + (vec8(1) + ",").repeat(8) + vec8(2) + "]}", "candidates",
          "{\"candidates\": [" + vec8(1) + ", " + vec8(2) + "], \"n\": 2}", "n",
      };
      for (int i = 0; i < wrongQuery.length; i += 2) bad.add(new Bad("POST", "/v1/users/z3/next-query", wrongQuery[i], 400, wrongQuery[i + 1]));
      String[] wrongGetReward = {
          "{}", "query",
          "{\"query\": \"a\"}", "query",
          "{\"query\": [1]}", "query[0]",
          "{\"query\": [\"" + "x".repeat(101) + "\"]}", "query[0]",
          "{\"query\": [\"a\"], \"prompts\": [\"a\", \"b\"]}", "prompts",
          "{\"query\": [\"a\"], \"user\": \"nobody\"}", "user",
          "{\"query\": [\"a\"], \"users\": [\"a\", \"b\"]}", "users",
          "{\"query\": [\"a\"], \"extra\": 1}", "extra",
      };
      for (int i = 0; i < wrongGetReward.length; i += 2) {
        bad.add(new Bad("POST", "/get_reward", wrongGetReward[i], wrongGetReward[i].contains("nobody") ? 404 : 400, wrongGetReward[i + 1]));
      }
      // paths and methods
      bad.add(new Bad("GET", "/v1/users/nobody", null, 404, "user"));
      bad.add(new Bad("DELETE", "/v1/users/nobody", null, 404, "user"));
      bad.add(new Bad("DELETE", "/v1/users/" + user, null, 409, "user"));
      bad.add(new Bad("GET", "/v1/users/" + "x".repeat(200), null, 400, "user"));
      bad.add(new Bad("GET", "/nowhere", null, 404, "path"));
      bad.add(new Bad("GET", "/v1/rewards", null, 405, "method"));
      bad.add(new Bad("PUT", "/v1/users/x", "{}", 405, "method"));
      bad.add(new Bad("POST", "/health", "{}", 405, "method"));
      bad.add(new Bad("POST", "/v1/rewards", "{\"zero_shot\": true, \"responses\": [" + vec8(1).repeat(1) + "], \"pad\": \"" + "p".repeat(40 * 1024) + "\"}", 413, "body"));

      // the list repeated with variations until there are at least 200
      List<Bad> all = new ArrayList<>(bad);
      for (int round = 1; all.size() < 220; round++) {
        for (Bad b : bad) {
          if (b.path().startsWith("/v1/users/z")) all.add(new Bad(b.method(), b.path().replace("/z", "/z" + round + "-"), b.body(), b.status(), b.field()));
        }
      }
      assertThat(all.size()).isGreaterThanOrEqualTo(200);
      for (Bad b : all) {
        Http.Reply r = h.send(b.method(), b.path(), b.body());
        assertThat(r.status()).as("%s %s %s -> %s", b.method(), b.path(), b.body() == null ? "" : b.body().substring(0, Math.min(120, b.body().length())), r.body())
            .isEqualTo(b.status());
        JsonNode e = r.json().path("error");
        assertThat(e.path("field").asText(null)).as("field of %s %s -> %s", b.method(), b.path(), r.body()).isEqualTo(b.field());
        assertThat(e.path("message").asText()).isNotBlank();
      }

      Http.Reply after = h.post("/v1/rewards", good);
      assertThat(after.status()).isEqualTo(200);
      assertThat(after.body()).isEqualTo(before.body());
      double[] want = model.rewards(User.id(user), null, Input.vector(new double[] {1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}),
          Input.vector(new double[] {-1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}));
      assertThat(after.json().get("rewards").get(0).asDouble()).isCloseTo(want[0], org.assertj.core.api.Assertions.within(1e-9));
      assertThat(h.get("/health").json().get("users").asInt()).as("no bad enrolment stored anything").isZero();
      Http.Reply enrol = h.post("/v1/users/ok-1/comparisons", "{\"comparisons\": [" + c + "]}");
      assertThat(enrol.status()).isEqualTo(200);
      assertThat(enrol.json().get("comparisons").asInt()).isEqualTo(1);
    }
  }
}
