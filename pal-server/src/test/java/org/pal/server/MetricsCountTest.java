package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.api.UserPosterior;

/**
 * Every number GET /metrics and GET /v1/users/{id} print, against counts kept by this test over a
 * known sequence of calls: requests per route and status, rewards, micro-batch sizes, the text memo's
 * hits and misses (with least-recently-used eviction at two entries), enrolments, comparisons, users;
 * and an enrolled user's uncertainty total, recomputed from the weight spreads it prints.
 */
class MetricsCountTest {
  static final String P = "describe a pet";

  static String score(String... responses) {
    StringBuilder sb = new StringBuilder("{\"zero_shot\": true, \"prompt\": \"" + P + "\", \"responses\": [");
    for (int i = 0; i < responses.length; i++) sb.append(i > 0 ? ", " : "").append('"').append(responses[i]).append('"');
    return sb.append("]}").toString();
  }

  @Test
  void theCountersCountWhatHappened(@TempDir Path dir) throws Exception {
    PalApi pal = PalApi.create();
    RewardModel model = pal.load(Models.text(pal));
    try (PalServer s = PalServer.start(model, dir.resolve("state"), ServerSettings.defaults().withPort(0).withStore(2, 20_000, 1.5))) {
      Http http = new Http(s.port(), null);
      Map<String, Double> m0 = http.metrics();
      assertThat(m0.get("pal_rewards_total")).isZero();
      assertThat(m0.get("pal_users")).isZero();
      assertThat(m0.get("pal_queue_depth")).isZero();

      // a memo of 2 texts per role (least recently used out); one prompt throughout: one miss, then a hit per job
      assertThat(http.post("/v1/rewards", score("a", "b", "a")).status()).isEqualTo(200); // 3 misses (a twice: looked up before either is stored)
      assertThat(http.post("/v1/rewards", score("a")).status()).isEqualTo(200); // hit; a is now the most recent
      assertThat(http.post("/v1/rewards", score("c")).status()).isEqualTo(200); // miss; evicts b, not a
      assertThat(http.post("/v1/rewards", score("a", "b")).status()).isEqualTo(200); // a hit, b miss (evicts c)
      assertThat(http.post("/v1/rewards", score("c")).status()).isEqualTo(200); // miss (evicts a)
      assertThat(http.post("/v1/rewards", "{\"requests\": [" + score("a", "c") + ", " + score("c") + "]}").status()).isEqualTo(200); // a miss, c hit, c hit
      assertThat(http.post("/v1/rewards", "{\"zero_shot\": 1}").status()).isEqualTo(400);
      assertThat(http.get("/health").status()).isEqualTo(200);
      assertThat(http.get("/nowhere").status()).isEqualTo(404);
      Map<String, Double> m1 = http.metrics();
      // responses: 3 + 1 + 1 + 2 + 1 + (2 + 1) = 11 rewards in 7 jobs
      assertThat(m1.get("pal_rewards_total")).isEqualTo(11.0);
      assertThat(m1.get("pal_batch_responses_sum")).isEqualTo(11.0);
      assertThat(m1.get("pal_batch_responses_count")).as("the last call's two jobs form one or two batches").isIn(6.0, 7.0);
      assertThat(m1.get("pal_batch_responses_bucket{le=\"1.0\"}")).as("batches of one response").isIn(3.0, 4.0);
      // items: 3 + 1 + 1 + 1 + 1 misses, 1 + 1 + 2 hits; the prompt: 1 miss, 6 hits
      assertThat(m1.get("pal_embedding_memo_misses_total")).isEqualTo(7.0 + 1);
      assertThat(m1.get("pal_embedding_memo_hits_total")).isEqualTo(4.0 + 6);
      assertThat(m1.get("pal_requests_total{route=\"rewards\",status=\"200\"}")).isEqualTo(6.0);
      assertThat(m1.get("pal_requests_total{route=\"rewards\",status=\"400\"}")).isEqualTo(1.0);
      assertThat(m1.get("pal_requests_total{route=\"health\",status=\"200\"}")).isEqualTo(1.0);
      assertThat(m1.get("pal_requests_total{route=\"unknown\",status=\"404\"}")).isEqualTo(1.0);
      assertThat(m1.get("pal_requests_total{route=\"metrics\",status=\"200\"}")).as("the first scrape").isEqualTo(1.0);
      assertThat(m1.get("pal_request_seconds_count{route=\"rewards\"}")).isEqualTo(7.0);
      assertThat(m1.get("pal_queue_rejections_total")).isZero();

      // enrolment: two calls for one user, one for another, then a deletion
      String two = "{\"comparisons\": [{\"prompt\": \"" + P + "\", \"chosen\": \"a cat\", \"rejected\": \"a dog\"},"
          + " {\"prompt\": \"" + P + "\", \"chosen\": \"a kitten\", \"rejected\": \"a puppy\"}]}";
      String one = "{\"comparisons\": [{\"prompt\": \"" + P + "\", \"chosen\": \"a tabby cat\", \"rejected\": \"a loyal dog\"}]}";
      assertThat(http.post("/v1/users/x/comparisons", two).status()).isEqualTo(200);
      Http.Reply x = http.post("/v1/users/x/comparisons", one);
      assertThat(x.status()).isEqualTo(200);
      assertThat(http.post("/v1/users/y/comparisons", one).status()).isEqualTo(200);
      Map<String, Double> m2 = http.metrics();
      assertThat(m2.get("pal_enrolments_total")).isEqualTo(3.0);
      assertThat(m2.get("pal_comparisons_total")).isEqualTo(4.0);
      assertThat(m2.get("pal_users")).isEqualTo(2.0);
      assertThat(m2.get("pal_requests_total{route=\"comparisons\",status=\"200\"}")).isEqualTo(3.0);
      assertThat(http.send("DELETE", "/v1/users/x", null).status()).isEqualTo(200);
      assertThat(http.metrics().get("pal_users")).isEqualTo(1.0);

      // the printed fit is the library's posterior on the same three answers (float32, refitted from the first fit: to 1e-3),
      // and its total is the root of the summed variances
      JsonNode j = x.json();
      assertThat(j.get("user").asText()).isEqualTo("x");
      assertThat(j.get("source").asText()).isEqualTo("enrolled");
      assertThat(j.get("comparisons").asInt()).isEqualTo(3);
      UserPosterior post = new UserPosterior(model, new UserPosterior.Options(1.5, UserPosterior.Options.DEFAULT.iterations()));
      var cs = java.util.List.of(
          new org.pal.api.Comparison("x", org.pal.api.Input.text(P), org.pal.api.Input.text("a cat"), org.pal.api.Input.text("a dog")),
          new org.pal.api.Comparison("x", org.pal.api.Input.text(P), org.pal.api.Input.text("a kitten"), org.pal.api.Input.text("a puppy")),
          new org.pal.api.Comparison("x", org.pal.api.Input.text(P), org.pal.api.Input.text("a tabby cat"), org.pal.api.Input.text("a loyal dog")));
      UserPosterior.Fit f = post.fit(UserPosterior.answers(model, cs));
      double t = 0;
      for (int i = 0; i < f.weights().length; i++) {
        assertThat(j.get("weights").get(i).asDouble()).isCloseTo(f.weights()[i], within(1e-3));
        double sd = j.get("uncertainty").get("weightStd").get(i).asDouble();
        assertThat(sd).isCloseTo(f.weightStd()[i], within(1e-3));
        t += sd * sd;
      }
      assertThat(j.get("uncertainty").get("total").asDouble()).isCloseTo(Math.sqrt(t), within(1e-12));
    }
  }
}
