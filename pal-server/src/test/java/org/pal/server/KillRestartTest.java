package org.pal.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pal.api.PalApi;

/**
 * A real server process killed with SIGKILL in the middle of a stream of enrolments, then restarted
 * on the same state: every enrolment it acknowledged is there with exactly the weights it answered,
 * and no user holds a partial enrolment.
 */
class KillRestartTest {
  @TempDir Path dir;

  static final int COMPARISONS = 20;

  @Test
  void killNineLosesNoAcknowledgedEnrolment() throws Exception {
    Path model = Models.vectors(PalApi.create());
    Path state = dir.resolve("state");
    Process p = start(model, state);
    Map<String, JsonNode> acked = new ConcurrentHashMap<>();
    List<String> attempted = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      Http h = new Http(port(p), null);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger next = new AtomicInteger();
      ExecutorService clients = Executors.newFixedThreadPool(6);
      for (int c = 0; c < 6; c++) {
        clients.submit(() -> {
          while (!stop.get()) {
            String id = "k" + next.getAndIncrement();
            attempted.add(id);
            try {
              Http.Reply r = h.post("/v1/users/" + id + "/comparisons", body(id));
              if (r.status() == 200) acked.put(id, r.json().get("weights"));
            } catch (RuntimeException e) {
              return; // the server is gone
            }
          }
        });
      }
      for (int i = 0; i < 6000 && acked.size() < 30; i++) Thread.sleep(10);
      assertThat(acked.size()).as("enrolments acknowledged before the kill").isGreaterThanOrEqualTo(30);
      p.destroyForcibly(); // SIGKILL, while the clients are still sending
      p.waitFor(30, TimeUnit.SECONDS);
      stop.set(true);
      clients.shutdown();
      assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }

    Process q = start(model, state);
    try {
      Http h = new Http(port(q), null);
      for (var e : acked.entrySet()) {
        Http.Reply r = h.get("/v1/users/" + e.getKey());
        assertThat(r.status()).as("acknowledged user %s after the restart", e.getKey()).isEqualTo(200);
        assertThat(r.json().get("weights")).as("weights of %s", e.getKey()).isEqualTo(e.getValue());
        assertThat(r.json().get("comparisons").asInt()).isEqualTo(COMPARISONS);
      }
      int present = 0;
      synchronized (attempted) {
        for (String id : attempted) {
          Http.Reply r = h.get("/v1/users/" + id);
          if (r.status() == 200) {
            present++;
            assertThat(r.json().get("comparisons").asInt()).as("user %s holds a whole enrolment or none", id).isEqualTo(COMPARISONS);
          } else {
            assertThat(r.status()).isEqualTo(404);
          }
        }
      }
      assertThat(present).isGreaterThanOrEqualTo(acked.size());
      assertThat(h.get("/health").json().get("users").asInt()).isEqualTo(present);
    } finally {
      q.destroyForcibly();
      q.waitFor(30, TimeUnit.SECONDS);
    }
  }

  static String body(String id) {
    Random r = new Random(id.hashCode());
    StringBuilder sb = new StringBuilder("{\"comparisons\": [");
    for (int i = 0; i < COMPARISONS; i++) {
      if (i > 0) sb.append(", ");
      sb.append("{\"chosen\": ").append(vector(r)).append(", \"rejected\": ").append(vector(r)).append("}");
    }
    return sb.append("]}").toString();
  }

  static String vector(Random r) {
    StringBuilder sb = new StringBuilder("[");
    for (int j = 0; j < 8; j++) sb.append(j > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.4f", r.nextGaussian()));
    return sb.append("]").toString();
  }

  /** A server in a child JVM on this test's class path. */
  static Process start(Path model, Path state) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
        ServerMain.class.getName(), "--model", model.toString(), "--state", state.toString(), "--port", "0");
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.redirectErrorStream(true);
    return pb.start();
  }

  /** Reads the child's output until it says which port it listens on; the rest of its output is drained. */
  static int port(Process p) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    StringBuilder seen = new StringBuilder();
    while ((line = in.readLine()) != null) {
      if (line.startsWith("listening on ")) {
        Thread drain = new Thread(() -> {
          try {
            while (in.readLine() != null) { /* keep the pipe open */ }
          } catch (java.io.IOException e) {
            // the process ended
          }
        });
        drain.setDaemon(true);
        drain.start();
        return Integer.parseInt(line.substring("listening on ".length()).trim());
      }
      seen.append(line).append('\n');
    }
    throw new AssertionError("the server process ended before listening:\n" + seen);
  }
}
