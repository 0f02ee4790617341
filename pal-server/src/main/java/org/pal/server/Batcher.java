package org.pal.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.pal.api.Input;
import org.pal.api.RewardModel;

/**
 * Micro-batching of scoring: jobs from concurrent requests wait in a bounded queue; a scoring thread
 * takes the first and everything already waiting, up to the maximum number of responses. A batch
 * whose texts are all in memory runs at once (waiting would only add latency: batches grow by
 * themselves while the thread is busy); a batch that needs the encoder also takes whatever arrives
 * within the window, since the encoder gains from larger batches. It then embeds every distinct
 * missing text of the batch once and computes all rewards in one pass of the model's vector path.
 * The request thread looks its texts up in memory before queueing, so the single scoring thread
 * spends its time on the model. A full queue refuses new jobs ({@link #submit} returns null: the
 * server answers 503). A batch that fails is retried job by job, so one bad request fails alone.
 */
final class Batcher implements AutoCloseable {
  /**
   * Rewards of {@code responses} under {@code prompt} (null without prompts) for {@code weights};
   * {@code vectors} and {@code promptVector} hold what memory already had (null where the encoder
   * must run) and are filled in by the scoring thread.
   */
  record Job(double[] weights, Input prompt, List<Input> responses, float[][] vectors, float[][] promptVector, boolean cached,
             CompletableFuture<double[]> result) {}

  private final RewardModel model;
  private final EmbeddingMemo memo;
  private final Metrics metrics;
  private final ArrayBlockingQueue<Job> queue;
  private final long windowNanos;
  private final int maxBatch;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;

  Batcher(RewardModel model, EmbeddingMemo memo, Metrics metrics, ServerSettings s) {
    this.model = model;
    this.memo = memo;
    this.metrics = metrics;
    this.queue = new ArrayBlockingQueue<>(s.queueCapacity());
    this.windowNanos = s.batchWindowMicros() * 1000L;
    this.maxBatch = s.maxBatch();
    io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("pal_queue_depth").help("scoring jobs waiting for a batch")
        .callback(cb -> cb.call(queue.size())).register(metrics.registry);
    for (int i = 0; i < s.scoringThreads(); i++) {
      Thread t = new Thread(this::loop, "pal-scoring-" + i);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
  }

  /** Queues a job; null when the queue is full. */
  CompletableFuture<double[]> submit(double[] weights, Input prompt, List<Input> responses) {
    float[][] v = memo.lookup(responses, false);
    float[][] pv = prompt == null ? null : memo.lookup(List.of(prompt), true);
    boolean cached = !hasNull(v) && (pv == null || pv[0] != null);
    Job j = new Job(weights, prompt, responses, v, pv, cached, new CompletableFuture<>());
    if (!queue.offer(j)) {
      metrics.rejected.inc();
      return null;
    }
    return j.result();
  }

  private static boolean hasNull(float[][] v) {
    for (float[] x : v) if (x == null) return true;
    return false;
  }

  private void loop() {
    List<Job> batch = new ArrayList<>();
    while (running) {
      try {
        Job first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) continue;
        batch.add(first);
        int n = first.responses().size();
        boolean cached = first.cached();
        long deadline = System.nanoTime() + windowNanos;
        while (n < maxBatch) {
          Job j = queue.poll();
          if (j == null) {
            if (cached) break; // nothing for the encoder: run now
            long left = deadline - System.nanoTime();
            if (left <= 0) break;
            j = queue.poll(left, TimeUnit.NANOSECONDS);
            if (j == null) break;
          }
          batch.add(j);
          n += j.responses().size();
          cached &= j.cached();
        }
        run(batch);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        for (Job j : batch) j.result().completeExceptionally(e);
      } finally {
        batch.clear();
      }
    }
  }

  private void run(List<Job> batch) {
    try {
      score(batch);
    } catch (RuntimeException e) {
      if (batch.size() == 1) {
        batch.get(0).result().completeExceptionally(e);
        return;
      }
      for (Job j : batch) {
        try {
          score(List.of(j));
        } catch (RuntimeException e1) {
          j.result().completeExceptionally(e1);
        }
      }
    }
  }

  private void score(List<Job> batch) {
    boolean withPrompts = model.hasPrompts();
    int n = 0;
    for (Job j : batch) n += j.responses().size();
    fillMissing(batch, false);
    if (withPrompts) fillMissing(batch, true);
    double[][] w = new double[n][];
    float[][] x = new float[n][];
    float[][] pr = withPrompts ? new float[n][] : null;
    int row = 0;
    for (Job j : batch) {
      for (int i = 0; i < j.vectors().length; i++, row++) {
        w[row] = j.weights();
        x[row] = j.vectors()[i];
        if (pr != null) pr[row] = j.promptVector()[0];
      }
    }
    double[] r = model.rewards(w, pr, x);
    metrics.batchResponses.observe(n);
    metrics.rewards.inc(n);
    row = 0;
    for (Job j : batch) {
      int m = j.responses().size();
      j.result().complete(java.util.Arrays.copyOfRange(r, row, row + m));
      row += m;
    }
  }

  /** Embeds the texts memory did not have (each distinct one once, in one encoder call) into the jobs' vectors. */
  private void fillMissing(List<Job> batch, boolean prompts) {
    List<Input> todo = new ArrayList<>();
    for (Job j : batch) {
      if (j.cached()) continue;
      float[][] v = prompts ? j.promptVector() : j.vectors();
      for (int i = 0; i < v.length; i++) if (v[i] == null) todo.add(prompts ? j.prompt() : j.responses().get(i));
    }
    if (todo.isEmpty()) return;
    float[][] e = memo.embed(todo, prompts);
    int k = 0;
    for (Job j : batch) {
      if (j.cached()) continue;
      float[][] v = prompts ? j.promptVector() : j.vectors();
      for (int i = 0; i < v.length; i++) if (v[i] == null) v[i] = e[k++];
    }
  }

  @Override
  public void close() {
    running = false;
    for (Thread t : threads) t.interrupt();
    Job j;
    while ((j = queue.poll()) != null) j.result().completeExceptionally(new IllegalStateException("server stopping"));
  }
}
