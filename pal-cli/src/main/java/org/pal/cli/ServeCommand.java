package org.pal.cli;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.pal.api.PalApi;
import org.pal.api.RewardModel;
import org.pal.server.PalServer;
import org.pal.server.ServerMain;
import org.pal.server.ServerSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pal serve}: the model's rewards over HTTP, with durable online enrolment (see org.pal.server.PalServer). */
@Command(name = "serve", description = {"Serve personalized rewards over HTTP: /v1/rewards, OpenRLHF's /get_reward, enrolment of new users",
    "(durable: write-ahead log + snapshots in --state), next-query for active enrolment, /health, /metrics. Without --token-file",
    "only loopback addresses are bound; with it every route but /health needs 'Authorization: Bearer TOKEN'."})
final class ServeCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Option(names = "--model", required = true, description = "model archive") Path model;
  @Option(names = "--state", required = true, description = "directory of the users' log and snapshots (created if absent)") Path state;
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind (default ${DEFAULT-VALUE}); non-loopback needs --token-file") String host;
  @Option(names = "--port", defaultValue = "8080", description = "port (default ${DEFAULT-VALUE}; 0 picks a free one)") int port;
  @Option(names = "--token-file", description = "file whose first line is the bearer token (at least 16 characters)") Path tokenFile;
  @Option(names = "--images-root", description = "folder that image:PATH values resolve inside (none: no images)") Path imagesRoot;
  @Option(names = "--dataset", description = "the record file the model was trained on, for the web page's 'what each prototype likes' (default: the file the model archive names)") Path dataset;
  @Option(names = "--batch-window-us", defaultValue = "1000", description = "how long a batch that needs the encoder waits for more requests, microseconds; batches of texts already in memory run at once (default ${DEFAULT-VALUE})") int window;
  @Option(names = "--max-batch", defaultValue = "1024", description = "most responses per micro-batch (default ${DEFAULT-VALUE})") int maxBatch;
  @Option(names = "--queue", defaultValue = "4096", description = "most scoring jobs waiting; beyond, 503 (default ${DEFAULT-VALUE})") int queue;
  @Option(names = "--scoring-threads", defaultValue = "1", description = "threads running batches (default ${DEFAULT-VALUE})") int scoringThreads;
  @Option(names = "--max-body-bytes", defaultValue = "4194304", description = "largest request body; beyond, 413 (default ${DEFAULT-VALUE})") int maxBody;
  @Option(names = "--max-responses", defaultValue = "256", description = "most responses per request (default ${DEFAULT-VALUE})") int maxResponses;
  @Option(names = "--max-text-chars", defaultValue = "20000", description = "longest text (default ${DEFAULT-VALUE})") int maxText;
  @Option(names = "--max-comparisons", defaultValue = "1000", description = "most comparisons per user (default ${DEFAULT-VALUE})") int maxComparisons;
  @Option(names = "--max-candidates", defaultValue = "64", description = "most candidates per next-query (default ${DEFAULT-VALUE})") int maxCandidates;
  @Option(names = "--memo-entries", defaultValue = "50000", description = "texts whose vectors stay in memory, per role (default ${DEFAULT-VALUE})") int memo;
  @Option(names = "--snapshot-every", defaultValue = "20000", description = "log records between snapshots (default ${DEFAULT-VALUE})") int snapshotEvery;
  @Option(names = "--prior-std", defaultValue = "1.5", description = "prior standard deviation of a new user's logits (default ${DEFAULT-VALUE})") double priorStd;
  @Option(names = "--threads", description = "ND4J/BLAS threads (default: OMP_NUM_THREADS or 1)") Integer threads;

  @Override
  public void run() {
    PalCommand.configureThreads(threads);
    ServerSettings s = new ServerSettings(host, port, tokenFile == null ? null : ServerMain.readToken(tokenFile), imagesRoot, window, maxBatch,
        queue, scoringThreads, maxBody, maxResponses, maxText, maxComparisons, maxCandidates, memo, snapshotEvery, priorStd);
    PalServer.requireSafeBind(s); // before the model is loaded: a refusal should not wait for it
    RewardModel m = PalApi.create().load(model);
    PalServer server = PalServer.start(m, state, s, dataset);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    spec.commandLine().getErr().printf("pal serve: %s K=%d, %d enrolled users, listening on http://%s:%d%s%n", m.type(), m.k(),
        server.store().size(), host, server.port(), tokenFile == null ? " (loopback, no token)" : " (bearer token required)");
    spec.commandLine().getErr().flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
