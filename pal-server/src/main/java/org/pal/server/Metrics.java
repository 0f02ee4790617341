package org.pal.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** The server's metrics (Prometheus Java client), in their own registry; exposed by GET /metrics. */
final class Metrics {
  final PrometheusRegistry registry = new PrometheusRegistry();
  final Counter requests = Counter.builder().name("pal_requests_total").help("HTTP requests by route and status")
      .labelNames("route", "status").register(registry);
  final Histogram latency = Histogram.builder().name("pal_request_seconds").help("HTTP request latency by route")
      .labelNames("route").classicOnly()
      .classicUpperBounds(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10).register(registry);
  final Histogram batchResponses = Histogram.builder().name("pal_batch_responses").help("responses scored per micro-batch")
      .classicOnly().classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048).register(registry);
  final Counter rewards = Counter.builder().name("pal_rewards_total").help("rewards computed").register(registry);
  final Counter memoHits = Counter.builder().name("pal_embedding_memo_hits_total").help("texts whose vector was already in memory")
      .register(registry);
  final Counter memoMisses = Counter.builder().name("pal_embedding_memo_misses_total").help("texts sent to the encoder (or its disk cache)")
      .register(registry);
  final Counter enrolments = Counter.builder().name("pal_enrolments_total").help("acknowledged (durable) enrolment calls").register(registry);
  final Counter comparisons = Counter.builder().name("pal_comparisons_total").help("comparisons stored").register(registry);
  final Counter rejected = Counter.builder().name("pal_queue_rejections_total").help("scoring jobs refused because the queue was full")
      .register(registry);
  final Gauge users = Gauge.builder().name("pal_users").help("users enrolled through the server").register(registry);

  /** Per-route data points of the common case (status 200), looked up once instead of per request. */
  private final java.util.concurrent.ConcurrentHashMap<String, io.prometheus.metrics.core.datapoints.CounterDataPoint> ok200 = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentHashMap<String, io.prometheus.metrics.core.datapoints.DistributionDataPoint> latencyOf = new java.util.concurrent.ConcurrentHashMap<>();

  /** One answered request: its route, status and latency. */
  void count(String route, int status, long nanos) {
    if (status == 200) ok200.computeIfAbsent(route, r -> requests.labelValues(r, "200")).inc();
    else requests.labelValues(route, Integer.toString(status)).inc();
    latencyOf.computeIfAbsent(route, latency::labelValues).observe(nanos / 1e9);
  }

  String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }
}
