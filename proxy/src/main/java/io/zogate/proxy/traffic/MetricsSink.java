package io.zogate.proxy.traffic;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Pushes the metrics to {@code metrics.sink.url} every {@code interval}: one POST of the text
 * exposition, with the configured headers, from a daemon thread of its own. A push never
 * touches a proxied request: it reads counters, and its HTTP client, thread and timeouts are
 * its own.
 *
 * <p>A failed push (non-2xx, timeout, refused connection) counts in {@code
 * zogate_sink_failures_total}, is logged once per streak of failures (where and how it failed,
 * never a header value: headers usually carry the sink's credential), and doubles the wait
 * before the next push up to {@link #MAX_BACKOFF} (or the interval, if longer). The first
 * success logs the recovery and returns to the interval.
 */
public final class MetricsSink implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(MetricsSink.class.getName());
  static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
  static final Duration MAX_TIMEOUT = Duration.ofSeconds(5);
  static final Duration MIN_TIMEOUT = Duration.ofSeconds(1);

  private final URI url;
  private final String where;
  private final Duration interval;
  private final Duration timeout;
  private final Duration maxDelay;
  private final Map<String, String> headers;
  private final ProxyMetrics metrics;
  private final HttpClient client;
  private final ScheduledExecutorService scheduler;
  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private volatile Duration nextDelay;
  private volatile boolean closed;

  /**
   * Checks everything at construction (interval, URL scheme, header names) so bad
   * configuration fails at start-up; {@link #start()} begins pushing.
   *
   * @throws IllegalArgumentException for a non-positive interval, a URL that is not http(s), or
   *     a header the HTTP client refuses (such as {@code Host} or {@code Content-Length})
   */
  public MetricsSink(URI url, Duration interval, Map<String, String> headers, ProxyMetrics metrics) {
    this.url = Objects.requireNonNull(url, "url");
    this.interval = Objects.requireNonNull(interval, "interval");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.headers = Map.copyOf(headers);
    if (interval.isZero() || interval.isNegative()) {
      throw new IllegalArgumentException("metrics.sink.interval must be positive");
    }
    String scheme = url.getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
      throw new IllegalArgumentException("metrics.sink.url must be http or https");
    }
    // Logged instead of the URL: a query string or user-info could hold a token.
    this.where = scheme + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
        + (url.getRawPath() == null ? "" : url.getRawPath());
    // The interval, within 1..5 s: a push never outlives its interval by much, and a
    // sub-second interval (tests) does not fail a sink for a first connection's set-up.
    this.timeout = interval.compareTo(MAX_TIMEOUT) > 0 ? MAX_TIMEOUT
        : interval.compareTo(MIN_TIMEOUT) < 0 ? MIN_TIMEOUT : interval;
    this.maxDelay = interval.compareTo(MAX_BACKOFF) > 0 ? interval : MAX_BACKOFF;
    this.nextDelay = interval;
    request(new byte[0]); // header names and values are checked here, once
    this.client = HttpClient.newBuilder()
        .connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .version(HttpClient.Version.HTTP_1_1)
        .build();
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "zo-gate-metrics-sink");
      t.setDaemon(true);
      return t;
    });
    s.setRemoveOnCancelPolicy(true);
    this.scheduler = s;
  }

  /** Schedules the first push one interval from now. */
  public MetricsSink start() {
    scheduler.schedule(this::pushAndReschedule, interval.toNanos(), TimeUnit.NANOSECONDS);
    LOG.info(() -> "zo-gate metrics pushed to " + where + " every " + interval);
    return this;
  }

  /** Failed pushes since the last success. */
  public int consecutiveFailures() {
    return consecutiveFailures.get();
  }

  /** The wait before the next push: the interval, or longer while pushes fail. */
  public Duration nextDelay() {
    return nextDelay;
  }

  private void pushAndReschedule() {
    if (closed) {
      return;
    }
    String failure;
    try {
      failure = push();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (RuntimeException e) {
      failure = e.getClass().getSimpleName();
    }
    if (failure == null) {
      int had = consecutiveFailures.getAndSet(0);
      if (had > 0) {
        LOG.info(() -> "metrics sink " + where + " accepted a push again after " + had + " failed");
      }
      nextDelay = interval;
    } else {
      metrics.sinkFailed();
      int n = consecutiveFailures.incrementAndGet();
      if (n == 1) {
        String why = failure;
        LOG.warning(() -> "metrics sink " + where + " failed: " + why
            + "; backing off, further failures are counted in zogate_sink_failures_total");
      }
      nextDelay = backoff(n);
    }
    if (!closed) {
      try {
        scheduler.schedule(this::pushAndReschedule, nextDelay.toNanos(), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closed meanwhile
      }
    }
  }

  /** interval * 2^failures, capped. */
  Duration backoff(int failures) {
    Duration d = interval;
    for (int i = 0; i < failures && d.compareTo(maxDelay) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(maxDelay) > 0 ? maxDelay : d;
  }

  /** One push; null on success, else a short description of the failure (no secrets). */
  private String push() throws InterruptedException {
    try {
      HttpResponse<Void> response = client.send(request(metrics.scrape()), HttpResponse.BodyHandlers.discarding());
      int status = response.statusCode();
      return status / 100 == 2 ? null : "HTTP " + status;
    } catch (HttpTimeoutException e) {
      return "timed out after " + timeout.toMillis() + " ms";
    } catch (IOException e) {
      return e.getClass().getSimpleName();
    }
  }

  private HttpRequest request(byte[] body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(url)
        .timeout(timeout)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .setHeader("Content-Type", ProxyMetrics.CONTENT_TYPE);
    headers.forEach(b::setHeader);
    return b.build();
  }

  @Override
  public void close() {
    closed = true;
    scheduler.shutdownNow();
  }
}
