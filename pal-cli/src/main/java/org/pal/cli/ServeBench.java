package org.pal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.pal.api.Input;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.core.PalException;
import org.pal.core.config.Json;
import org.pal.core.config.PalConfig;
import org.pal.server.PalServer;
import org.pal.server.ServerSettings;
import picocli.CommandLine.Option;

/**
 * {@code pal bench --workload serve}: a server on loopback (PAL-B, K = 2, trained here on generated
 * sentences through the default MiniLM encoder) driven by concurrent HTTP clients for a bounded time
 * per phase: cached text (every text already embedded), cold text (every response new, so every one
 * goes through the encoder; compared with the encoder called directly on as many sentences), and
 * enrolment of new users with 20 comparisons each on cached text (the log forced to disk before
 * every answer). Prints rewards/s (or users/s), p50/p95/p99 latency and errors per phase. The clients
 * are {@link HttpLoad}'s keep-alive connections, driven by one thread of this JVM, sending requests
 * built before the clock starts (the cached phase) or as they go (cold text, new user ids).
 */
final class ServeBench {
  private ServeBench() {}

  static final class Options {
    @Option(names = "--clients", defaultValue = "32", description = "serve workload: concurrent HTTP clients (default ${DEFAULT-VALUE})") int clients;
    @Option(names = "--seconds", defaultValue = "10", description = "serve workload: measured seconds per phase (default ${DEFAULT-VALUE})") int seconds;
    @Option(names = "--responses", defaultValue = "8", description = "serve workload: responses per request (default ${DEFAULT-VALUE})") int responses;
    @Option(names = "--enrol-comparisons", defaultValue = "20", description = "serve workload: comparisons per enrolled user (default ${DEFAULT-VALUE})") int comparisons;
    @Option(names = "--phases", split = ",", defaultValue = "cached,cold,enrol", description = "serve workload: phases to run (default ${DEFAULT-VALUE})") List<String> phases;
    @Option(names = "--state-dir", description = "serve workload: parent of the server's state (default: the working directory, so fsync hits the real disk)") Path stateDir;
  }

  static Map<String, Object> run(Options o) {
    if (o.clients < 1 || o.seconds < 1 || o.responses < 1 || o.comparisons < 1) {
      throw PalException.badInput("--clients/--seconds/--responses/--enrol-comparisons", o.clients + "/" + o.seconds + "/" + o.responses + "/" + o.comparisons, "must all be at least 1");
    }
    for (String p : o.phases) {
      if (!List.of("cached", "cold", "enrol").contains(p)) throw PalException.badInput("--phases", p, "valid phases: [cached, cold, enrol]");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("workload", "serve");
    out.put("cores", Runtime.getRuntime().availableProcessors());
    out.put("loadAverageBefore", loadAverage());
    out.put("clients", o.clients);
    out.put("loadGenerator", "one thread in this JVM driving " + o.clients + " keep-alive HTTP/1.1 connections; latency from first byte sent to last byte read");
    out.put("secondsPerPhase", o.seconds);
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory("pal-serve-bench");
      Path parent = o.stateDir != null ? o.stateDir : Path.of("").toAbsolutePath();
      Path state = Files.createTempDirectory(parent, ".pal-serve-bench-state");
      List<String> pool = EmbedBench.sentences(300, 11), prompts = EmbedBench.sentences(20, 12);
      Path records = tmp.resolve("records.jsonl");
      writeRecords(records, pool, prompts);
      PalApi api = PalApi.create();
      var data = api.dataset(Json.parse("{\"type\": \"records\", \"path\": " + Json.write(Json.mapper().getNodeFactory().textNode(records.toString())) + "}"), 0);
      PalConfig cfg = PalConfig.parse("{\"model\": {\"type\": \"pal-b\", \"k\": 2, \"dim\": 16}, \"trainer\": {\"epochs\": 5, \"batchSize\": 256}}");
      try (RewardModel model = api.train(cfg, data).model();
           PalServer server = PalServer.start(model, state, ServerSettings.defaults().withPort(0))) {
        out.put("encoder", model.inputs().items().config().path("type").asText() + " " + model.inputs().items().config().path("model").asText("builtin:all-minilm-l6-v2"));
        out.put("stateDir", state.toString());
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        String base = "http://127.0.0.1:" + server.port();
        List<String> users = model.users();
        // every pool text and prompt through the server once: from here on they are cached
        for (int i = 0; i < pool.size(); i += o.responses) {
          post(client, base + "/v1/rewards", scoreBody(users.get(0), prompts.get(i % prompts.size()), pool.subList(i, Math.min(pool.size(), i + o.responses))));
        }
        for (String p : prompts) post(client, base + "/v1/rewards", scoreBody(users.get(0), p, pool.subList(0, 1)));
        long nonce = System.nanoTime();
        AtomicLong fresh = new AtomicLong();
        java.net.InetSocketAddress at = new java.net.InetSocketAddress("127.0.0.1", server.port());
        HttpLoad.BodyCheck rewardsOk = rewardsCheck(o.responses);
        for (String phase : o.phases) {
          Map<String, Object> r = new LinkedHashMap<>();
          switch (phase) {
            case "cached" -> {
              // 4,096 requests built before the clock starts; connection c sends them from its own offset
              byte[][] built = new byte[4096][];
              Random rr = new Random(21);
              for (int i = 0; i < built.length; i++) {
                List<String> rs = new ArrayList<>();
                for (int j = 0; j < o.responses; j++) rs.add(pool.get(rr.nextInt(pool.size())));
                built[i] = HttpLoad.post("/v1/rewards", bytes(scoreBody(users.get(rr.nextInt(users.size())), prompts.get(rr.nextInt(prompts.size())), rs)));
              }
              HttpLoad.Requests req = (c, seq) -> built[(int) ((c * 131L + seq) % built.length)];
              HttpLoad.run(at, o.clients, req, rewardsOk, 2_000_000_000L); // warm-up (JIT), not counted
              report(r, HttpLoad.run(at, o.clients, req, rewardsOk, o.seconds * 1_000_000_000L), o.responses, "rewardsPerSecond");
            }
            case "cold" -> {
              List<String> direct = EmbedBench.sentences(2000, 13);
              List<Input> in = new ArrayList<>();
              for (int i = 0; i < direct.size(); i++) in.add(Input.text("direct " + nonce + " " + i + ": " + direct.get(i)));
              long t0 = System.nanoTime();
              model.embed(in, false);
              double directRate = in.size() / ((System.nanoTime() - t0) / 1e9);
              List<String> sentences = EmbedBench.sentences(4000, 14);
              HttpLoad.Requests req = (c, seq) -> {
                Random rr = new Random(c * 1_000_003L + seq);
                List<String> rs = new ArrayList<>();
                for (int j = 0; j < o.responses; j++) {
                  long n = fresh.getAndIncrement();
                  rs.add("cold " + nonce + " " + n + ": " + sentences.get((int) (n % sentences.size())));
                }
                return HttpLoad.post("/v1/rewards", bytes(scoreBody(users.get(rr.nextInt(users.size())), prompts.get(rr.nextInt(prompts.size())), rs)));
              };
              HttpLoad.Result ph = HttpLoad.run(at, o.clients, req, rewardsOk, o.seconds * 1_000_000_000L);
              report(r, ph, o.responses, "rewardsPerSecond");
              r.put("encoderDirectSentencesPerSecond", Math.round(directRate));
              r.put("ratioToDirectEncoder", round3((ph.ok() * o.responses / ph.seconds()) / directRate));
            }
            default -> {
              // comparison sets built before the clock; each request enrols a new user with one of them
              byte[][] sets = new byte[1024][];
              Random rr = new Random(22);
              for (int i = 0; i < sets.length; i++) {
                StringBuilder sb = new StringBuilder("{\"comparisons\": [");
                for (int j = 0; j < o.comparisons; j++) {
                  if (j > 0) sb.append(", ");
                  sb.append("{\"prompt\": ").append(q(prompts.get(rr.nextInt(prompts.size())))).append(", \"chosen\": ")
                      .append(q(pool.get(rr.nextInt(pool.size())))).append(", \"rejected\": ").append(q(pool.get(rr.nextInt(pool.size())))).append("}");
                }
                sets[i] = bytes(sb.append("]}").toString());
              }
              AtomicLong next = new AtomicLong();
              HttpLoad.Requests req = (c, seq) -> HttpLoad.post("/v1/users/bench-" + nonce + "-" + next.getAndIncrement() + "/comparisons", sets[(int) ((c * 131L + seq) % sets.length)]);
              HttpLoad.BodyCheck enrolled = (b, from, len) -> {
                JsonNode n = Json.parse(new String(b, from, len, StandardCharsets.UTF_8));
                return n.path("comparisons").asInt() == o.comparisons && n.path("weights").size() == model.k();
              };
              report(r, HttpLoad.run(at, o.clients, req, enrolled, o.seconds * 1_000_000_000L), 1, "usersPerSecond");
              r.put("comparisonsPerUser", o.comparisons);
              r.put("fsync", true);
            }
          }
          out.put(phase, r);
        }
      }
      deleteTree(state);
    } catch (java.io.IOException e) {
      throw PalException.environment("serve bench: " + e.getMessage(), e);
    } finally {
      if (tmp != null) deleteTree(tmp);
    }
    out.put("loadAverageAfter", loadAverage());
    return out;
  }

  /**
   * A scoring answer: {"rewards": [...]} first, and on one answer in 32 (always the first) a full
   * parse checking the number of rewards and that each is finite.
   */
  private static HttpLoad.BodyCheck rewardsCheck(int responses) {
    byte[] head = bytes("{\"rewards\":[");
    long[] seen = new long[1];
    return (b, from, len) -> {
      if (len < head.length || !Arrays.equals(b, from, from + head.length, head, 0, head.length)) return false;
      if (seen[0]++ % 32 != 0) return true;
      JsonNode r = Json.parse(new String(b, from, len, StandardCharsets.UTF_8)).path("rewards");
      if (r.size() != responses) return false;
      for (JsonNode v : r) if (!v.isNumber() || !Double.isFinite(v.doubleValue())) return false;
      return true;
    };
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void report(Map<String, Object> r, HttpLoad.Result ph, int perRequest, String rateName) {
    long[] l = ph.latencyNanos().clone();
    Arrays.sort(l);
    r.put("requests", ph.ok());
    r.put("errors", ph.errors());
    r.put("seconds", round3(ph.seconds()));
    r.put(rateName, Math.round(ph.ok() * perRequest / ph.seconds()));
    r.put("p50ms", round3(pct(l, 0.50) / 1e6));
    r.put("p95ms", round3(pct(l, 0.95) / 1e6));
    r.put("p99ms", round3(pct(l, 0.99) / 1e6));
  }

  private static int post(HttpClient client, String url, String body) {
    try {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode();
    } catch (java.io.IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String scoreBody(String user, String prompt, List<String> responses) {
    StringBuilder sb = new StringBuilder("{\"user\": ").append(q(user)).append(", \"prompt\": ").append(q(prompt)).append(", \"responses\": [");
    for (int i = 0; i < responses.size(); i++) sb.append(i > 0 ? ", " : "").append(q(responses.get(i)));
    return sb.append("]}").toString();
  }

  private static String q(String s) {
    return Json.write(Json.mapper().getNodeFactory().textNode(s));
  }

  /** 40 users, 30 pairs each: half prefer the longer response, half the shorter. */
  private static void writeRecords(Path f, List<String> pool, List<String> prompts) throws java.io.IOException {
    Random r = new Random(5);
    StringBuilder sb = new StringBuilder();
    for (int u = 0; u < 40; u++) {
      for (int p = 0; p < 30; p++) {
        String a = pool.get(r.nextInt(pool.size())), b = pool.get(r.nextInt(pool.size()));
        boolean longer = u % 2 == 0;
        int label = (a.length() > b.length()) == longer ? 1 : -1;
        sb.append("{\"user_id\": \"u").append(u).append("\", \"prompt\": ").append(q(prompts.get(r.nextInt(prompts.size()))))
            .append(", \"left\": ").append(q(a)).append(", \"right\": ").append(q(b)).append(", \"label\": ").append(label).append("}\n");
      }
    }
    Files.writeString(f, sb);
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) return Double.NaN;
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }

  private static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static double loadAverage() {
    return round3(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }

  private static void deleteTree(Path p) {
    try (var s = Files.walk(p)) {
      s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
    } catch (java.io.IOException e) {
      // best effort: a temporary folder
    }
  }
}
