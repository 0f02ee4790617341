package org.pal.server;

import java.nio.file.Path;
import org.pal.core.PalException;

/**
 * How {@code pal serve} runs. Limits answer 413 (body) or 400 (counts, lengths); a full scoring
 * queue answers 503.
 *
 * @param host address to bind; anything but loopback needs a token
 * @param port 0 picks a free port
 * @param token the bearer token every route but /health needs, or null (loopback only)
 * @param imagesRoot folder that {@code image:} paths resolve inside, or null (no images)
 * @param batchWindowMicros how long a scoring batch that needs the encoder waits for more requests (cached batches run at once)
 * @param maxBatch most responses scored in one batch
 * @param queueCapacity most scoring jobs waiting; beyond it, 503
 * @param scoringThreads threads that run batches
 * @param maxBodyBytes largest request body
 * @param maxResponses most responses in one request (or queries in /get_reward)
 * @param maxTextChars longest prompt or response text
 * @param maxComparisons most comparisons in one enrolment call, and per user
 * @param maxCandidates most candidates in one next-query call
 * @param memoEntries texts whose vectors stay in memory (per role)
 * @param snapshotEvery write a snapshot and start a new log after this many log records
 * @param priorStd the prior's standard deviation over a new user's logits
 */
public record ServerSettings(String host, int port, String token, Path imagesRoot, int batchWindowMicros, int maxBatch,
                             int queueCapacity, int scoringThreads, int maxBodyBytes, int maxResponses, int maxTextChars,
                             int maxComparisons, int maxCandidates, int memoEntries, int snapshotEvery, double priorStd) {
  public ServerSettings {
    if (host == null || host.isBlank()) throw PalException.badInput("host", host, "give an address to bind, e.g. 127.0.0.1");
    if (port < 0 || port > 65535) throw PalException.badInput("port", port, "must be 0..65535 (0 picks a free port)");
    if (token != null && token.length() < 16) throw PalException.badInput("token", "(" + token.length() + " chars)", "use a token of at least 16 characters");
    positive("batch-window-us", batchWindowMicros, 0);
    positive("max-batch", maxBatch, 1);
    positive("queue", queueCapacity, 1);
    positive("scoring-threads", scoringThreads, 1);
    positive("max-body-bytes", maxBodyBytes, 256);
    positive("max-responses", maxResponses, 2);
    positive("max-text-chars", maxTextChars, 1);
    positive("max-comparisons", maxComparisons, 1);
    positive("max-candidates", maxCandidates, 2);
    positive("memo-entries", memoEntries, 0);
    positive("snapshot-every", snapshotEvery, 1);
    if (!(priorStd > 0)) throw PalException.badInput("prior-std", priorStd, "must be > 0");
  }

  private static void positive(String name, int v, int min) {
    if (v < min) throw PalException.badInput(name, v, "must be at least " + min);
  }

  public static ServerSettings defaults() {
    return new ServerSettings("127.0.0.1", 8080, null, null, 1000, 1024, 4096, 1, 4 << 20, 256, 20_000, 1000, 64, 50_000, 20_000, 1.5);
  }

  public ServerSettings withHost(String h) { return new ServerSettings(h, port, token, imagesRoot, batchWindowMicros, maxBatch, queueCapacity, scoringThreads, maxBodyBytes, maxResponses, maxTextChars, maxComparisons, maxCandidates, memoEntries, snapshotEvery, priorStd); }
  public ServerSettings withPort(int p) { return new ServerSettings(host, p, token, imagesRoot, batchWindowMicros, maxBatch, queueCapacity, scoringThreads, maxBodyBytes, maxResponses, maxTextChars, maxComparisons, maxCandidates, memoEntries, snapshotEvery, priorStd); }
  public ServerSettings withToken(String t) { return new ServerSettings(host, port, t, imagesRoot, batchWindowMicros, maxBatch, queueCapacity, scoringThreads, maxBodyBytes, maxResponses, maxTextChars, maxComparisons, maxCandidates, memoEntries, snapshotEvery, priorStd); }
  public ServerSettings withImagesRoot(Path r) { return new ServerSettings(host, port, token, r, batchWindowMicros, maxBatch, queueCapacity, scoringThreads, maxBodyBytes, maxResponses, maxTextChars, maxComparisons, maxCandidates, memoEntries, snapshotEvery, priorStd); }
  public ServerSettings withBatching(int windowMicros, int max, int queue, int threads) { return new ServerSettings(host, port, token, imagesRoot, windowMicros, max, queue, threads, maxBodyBytes, maxResponses, maxTextChars, maxComparisons, maxCandidates, memoEntries, snapshotEvery, priorStd); }
  public ServerSettings withLimits(int body, int responses, int textChars, int comparisons, int candidates) { return new ServerSettings(host, port, token, imagesRoot, batchWindowMicros, maxBatch, queueCapacity, scoringThreads, body, responses, textChars, comparisons, candidates, memoEntries, snapshotEvery, priorStd); }
  public ServerSettings withStore(int memo, int snapshots, double prior) { return new ServerSettings(host, port, token, imagesRoot, batchWindowMicros, maxBatch, queueCapacity, scoringThreads, maxBodyBytes, maxResponses, maxTextChars, maxComparisons, maxCandidates, memo, snapshots, prior); }
}
