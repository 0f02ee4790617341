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
 * takes the first, everything already waiting, and whatever arrives within the window, up to the
 * maximum number of responses, then embeds every distinct text of the batch once (memory first) and
 * computes all rewards in one pass of the model's vector path. A full queue refuses new jobs
 * ({@link #submit} returns null: the server answers 503). A batch that fails is retried job by job,
 * so one bad request fails alone.
 */
final class Batcher implements AutoCloseable {
  /** Rewards of {@code responses} under {@code prompt} (null without prompts) for {@code weights}. */
  record Job(double[] weights, Input prompt, List<Input> responses, CompletableFuture<double[]> result) {}

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
    Job j = new Job(weights, prompt, responses, new CompletableFuture<>());
    if (!queue.offer(j)) {
      metrics.rejected.inc();
      return null;
    }
    return j.result();
  }

  private void loop() {
    List<Job> batch = new ArrayList<>();
    while (running) {
      try {
        Job first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) continue;
        batch.add(first);
        int n = first.responses().size();
        long deadline = System.nanoTime() + windowNanos;
        while (n < maxBatch) {
          Job j = queue.peek() != null ? queue.poll() : null;
          if (j == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) break;
            j = queue.poll(left, TimeUnit.NANOSECONDS);
            if (j == null) break;
          }
          batch.add(j);
          n += j.responses().size();
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
    List<Input> responses = new ArrayList<>(), prompts = new ArrayList<>();
    boolean withPrompts = model.hasPrompts();
    for (Job j : batch) {
      responses.addAll(j.responses());
      if (withPrompts) prompts.add(j.prompt());
    }
    float[][] x = memo.embed(responses, false);
    float[][] p = withPrompts ? memo.embed(prompts, true) : null;
    int n = x.length;
    double[][] w = new double[n][];
    float[][] pr = withPrompts ? new float[n][] : null;
    int row = 0;
    for (int b = 0; b < batch.size(); b++) {
      Job j = batch.get(b);
      for (int i = 0; i < j.responses().size(); i++, row++) {
        w[row] = j.weights();
        if (pr != null) pr[row] = p[b];
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

  @Override
  public void close() {
    running = false;
    for (Thread t : threads) t.interrupt();
    Job j;
    while ((j = queue.poll()) != null) j.result().completeExceptionally(new IllegalStateException("server stopping"));
  }
}
