package io.zogate.proxy.traffic;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.zogate.proxy.governance.Decision;
import io.zogate.proxy.jsonrpc.ErrorCode;
import io.zogate.proxy.jsonrpc.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * The proxy's counters and latency histogram, in a registry of its own (not the library's
 * global one, so two proxies in one JVM, as in tests, never share counts).
 *
 * <p>Every label value comes from a closed enum ({@link Reason}, {@link ErrorCode}, {@link
 * Decision.Verdict}, {@link Result}), never from request data: no actor, key id, method, path
 * or session reaches a label, so cardinality is fixed and the exposition holds nothing an
 * attacker chose. Every series a dashboard may key on is created at start-up, so it reads 0
 * rather than missing.
 *
 * <p>Recording is a few array look-ups and {@code LongAdder} increments: the data points are
 * resolved once here, never per request.
 */
public final class ProxyMetrics {
  /** The Content-Type of {@link #scrape()}: the Prometheus text format, version 0.0.4. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  /**
   * Classic buckets from 0.1 ms to 10 s, roughly 1-2.5-5 per decade: a refused request takes
   * well under a millisecond, a relayed one whatever the upstream takes.
   */
  static final double[] LATENCY_BUCKETS_SECONDS = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  /** How one exchange ended, as the {@code outcome} label spells it. */
  public enum Result {
    /** The forwarder wrote upstream's answer (perhaps ending in an in-stream error event). */
    RELAYED,
    /** A JSON-RPC error from the contract's error table. */
    REFUSED,
    /** A plain HTTP answer: 405 for a method, 404 for an unknown session. */
    PLAIN;

    final String label = name().toLowerCase(Locale.ROOT);
  }

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

  private final Counter requests;
  private final CounterDataPoint[] refusedByReason;
  private final CounterDataPoint[] relayedFailureByReason;
  private final CounterDataPoint relayedOk;
  private final CounterDataPoint plain;
  private final CounterDataPoint[] verdicts;
  private final CounterDataPoint replays;
  private final CounterDataPoint[] rateLimitedByReason;
  private final CounterDataPoint[] storeFailuresByReason;
  private final CounterDataPoint[] upstreamFailuresByReason;
  private final CounterDataPoint sinkFailures;
  private final DistributionDataPoint[] durationByResult;

  public ProxyMetrics() {
    Reason[] reasons = Reason.values();
    requests = Counter.builder()
        .name("zogate_requests_total")
        .help("Exchanges answered, by outcome and by the contract's JSON-RPC error code and data.reason"
            + " (empty for an answer without error)")
        .labelNames("outcome", "code", "reason")
        .withoutExemplars()
        .register(registry);
    refusedByReason = new CounterDataPoint[reasons.length];
    relayedFailureByReason = new CounterDataPoint[reasons.length];
    for (Reason r : reasons) {
      refusedByReason[r.ordinal()] = requests.labelValues(Result.REFUSED.label, code(r), r.wire());
      if (isUpstream(r)) {
        // Only upstream failures can end a relayed event stream; other pairs appear if ever used.
        relayedFailureByReason[r.ordinal()] = requests.labelValues(Result.RELAYED.label, code(r), r.wire());
      }
    }
    relayedOk = requests.labelValues(Result.RELAYED.label, "", "");
    plain = requests.labelValues(Result.PLAIN.label, "", "");

    Counter decisions = Counter.builder()
        .name("zogate_governance_decisions_total")
        .help("Governance decisions on authenticated, well-formed messages, by verdict")
        .labelNames("verdict")
        .withoutExemplars()
        .register(registry);
    Decision.Verdict[] vs = Decision.Verdict.values();
    verdicts = new CounterDataPoint[vs.length];
    for (Decision.Verdict v : vs) {
      verdicts[v.ordinal()] = decisions.labelValues(v.name().toLowerCase(Locale.ROOT));
    }

    replays = Counter.builder()
        .name("zogate_replays_total")
        .help("Requests refused as replays (-32032: nonce or request id reused)")
        .withoutExemplars()
        .register(registry);

    Counter rateLimited = Counter.builder()
        .name("zogate_rate_limited_total")
        .help("Requests refused by a rate limit (-32040), by the limit that refused them")
        .labelNames("limit")
        .withoutExemplars()
        .register(registry);
    rateLimitedByReason = new CounterDataPoint[reasons.length];
    rateLimitedByReason[Reason.CLIENT_LIMIT.ordinal()] = rateLimited.labelValues("client");
    rateLimitedByReason[Reason.KEY_LIMIT.ordinal()] = rateLimited.labelValues("key");
    rateLimitedByReason[Reason.ACTOR_LIMIT.ordinal()] = rateLimited.labelValues("actor");

    Counter storeFailures = Counter.builder()
        .name("zogate_store_failures_total")
        .help("Requests refused because a governance store could not answer (-32050, fail closed)")
        .labelNames("store")
        .withoutExemplars()
        .register(registry);
    storeFailuresByReason = new CounterDataPoint[reasons.length];
    storeFailuresByReason[Reason.REPLAY_STORE.ordinal()] = storeFailures.labelValues("replay");
    storeFailuresByReason[Reason.RATE_LIMIT_STORE.ordinal()] = storeFailures.labelValues("rate_limit");
    storeFailuresByReason[Reason.LEDGER.ordinal()] = storeFailures.labelValues("ledger");

    Counter upstreamFailures = Counter.builder()
        .name("zogate_upstream_failures_total")
        .help("Upstream failures (-32020..-32023), before the reply or inside an event stream, by reason")
        .labelNames("kind")
        .withoutExemplars()
        .register(registry);
    upstreamFailuresByReason = new CounterDataPoint[reasons.length];
    for (Reason r : reasons) {
      if (isUpstream(r)) {
        upstreamFailuresByReason[r.ordinal()] = upstreamFailures.labelValues(r.wire());
      }
    }

    sinkFailures = Counter.builder()
        .name("zogate_sink_failures_total")
        .help("Pushes to metrics.sink that failed (non-2xx, timeout, connection refused)")
        .withoutExemplars()
        .register(registry);

    Histogram duration = Histogram.builder()
        .name("zogate_request_duration_seconds")
        .help("Time from the exchange's arrival to its answer being written, by outcome")
        .labelNames("outcome")
        .classicOnly()
        .classicUpperBounds(LATENCY_BUCKETS_SECONDS)
        .withoutExemplars()
        .register(registry);
    Result[] results = Result.values();
    durationByResult = new DistributionDataPoint[results.length];
    for (Result r : results) {
      durationByResult[r.ordinal()] = duration.labelValues(r.label);
    }
  }

  /**
   * Records one finished exchange. {@code reason} is the refusal for {@link Result#REFUSED},
   * the in-stream failure (or null) for {@link Result#RELAYED}, and ignored for {@link
   * Result#PLAIN}.
   */
  public void requestFinished(Result result, Reason reason, long durationNanos) {
    switch (result) {
      case REFUSED -> {
        refusedByReason[reason.ordinal()].inc();
        countByReason(reason);
      }
      case RELAYED -> {
        if (reason == null) {
          relayedOk.inc();
        } else {
          CounterDataPoint p = relayedFailureByReason[reason.ordinal()];
          (p != null ? p : requests.labelValues(Result.RELAYED.label, code(reason), reason.wire())).inc();
          countByReason(reason);
        }
      }
      case PLAIN -> plain.inc();
      default -> throw new IllegalArgumentException("unknown result " + result);
    }
    durationByResult[result.ordinal()].observe(durationNanos / 1e9);
  }

  /** Records one governance verdict. */
  public void governanceDecision(Decision.Verdict verdict) {
    verdicts[verdict.ordinal()].inc();
  }

  /** Records one failed push to the sink. */
  public void sinkFailed() {
    sinkFailures.inc();
  }

  /** The current values in the Prometheus text format ({@link #CONTENT_TYPE}). */
  public byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  /** The registry, for tests and for an embedding application's own exporter. */
  public PrometheusRegistry registry() {
    return registry;
  }

  private void countByReason(Reason reason) {
    int i = reason.ordinal();
    if (reason.code() == ErrorCode.REPLAY_REJECTED) {
      replays.inc();
    } else if (rateLimitedByReason[i] != null) {
      rateLimitedByReason[i].inc();
    } else if (storeFailuresByReason[i] != null) {
      storeFailuresByReason[i].inc();
    } else if (upstreamFailuresByReason[i] != null) {
      upstreamFailuresByReason[i].inc();
    }
  }

  private static boolean isUpstream(Reason r) {
    return switch (r.code()) {
      case UPSTREAM_TIMEOUT, UPSTREAM_REJECTED, UPSTREAM_INVALID, UPSTREAM_UNAVAILABLE -> true;
      default -> false;
    };
  }

  private static String code(Reason r) {
    return Integer.toString(r.code().code());
  }
}
