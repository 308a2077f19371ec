package io.zogate.proxy.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.governance.Decision;
import io.zogate.proxy.jsonrpc.ErrorCode;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.testing.Exposition;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProxyMetricsTest {
  static final long MS = 1_000_000L;

  static Exposition scrape(ProxyMetrics m) {
    return Exposition.parse(new String(m.scrape(), StandardCharsets.UTF_8));
  }

  @Test
  void everyReasonOfTheErrorTableIsThereAtZeroBeforeAnyRequest() {
    Exposition e = scrape(new ProxyMetrics());
    for (Reason r : Reason.values()) {
      assertThat(e.value("zogate_requests_total", "outcome", "refused", "code",
          Integer.toString(r.code().code()), "reason", r.wire())).as(r.wire()).isEqualTo(0.0);
    }
    assertThat(e.value("zogate_requests_total", "outcome", "relayed", "code", "", "reason", "")).isEqualTo(0.0);
    assertThat(e.value("zogate_requests_total", "outcome", "plain", "code", "", "reason", "")).isEqualTo(0.0);
    for (String v : new String[] {"allow", "escalate", "deny"}) {
      assertThat(e.value("zogate_governance_decisions_total", "verdict", v)).isEqualTo(0.0);
    }
    for (String l : new String[] {"client", "key", "actor"}) {
      assertThat(e.value("zogate_rate_limited_total", "limit", l)).isEqualTo(0.0);
    }
    for (String s : new String[] {"replay", "rate_limit", "ledger"}) {
      assertThat(e.value("zogate_store_failures_total", "store", s)).isEqualTo(0.0);
    }
    for (Reason r : Reason.values()) {
      if (r.code().name().startsWith("UPSTREAM_")) {
        assertThat(e.value("zogate_upstream_failures_total", "kind", r.wire())).as(r.wire()).isEqualTo(0.0);
      }
    }
    assertThat(e.keys("zogate_upstream_failures_total")).hasSize(12);
    assertThat(e.value("zogate_upstream_failures_total", "kind", "signature_invalid")).isNull();
    assertThat(e.value("zogate_replays_total")).isEqualTo(0.0);
    assertThat(e.value("zogate_sink_failures_total")).isEqualTo(0.0);
    assertThat(e.value("zogate_request_duration_seconds_count", "outcome", "relayed")).isEqualTo(0.0);
    assertThat(e.types).containsEntry("zogate_requests_total", "counter")
        .containsEntry("zogate_request_duration_seconds", "histogram");
  }

  @Test
  void refusalsCountByCodeAndReasonAndFeedTheirFamilyCounters() {
    ProxyMetrics m = new ProxyMetrics();
    for (int i = 0; i < 3; i++) {
      m.requestFinished(ProxyMetrics.Result.REFUSED, Reason.SIGNATURE_INVALID, MS);
    }
    m.requestFinished(ProxyMetrics.Result.REFUSED, Reason.NONCE_REUSED, MS);
    m.requestFinished(ProxyMetrics.Result.REFUSED, Reason.REQUEST_ID_REUSED, MS);
    m.requestFinished(ProxyMetrics.Result.REFUSED, Reason.KEY_LIMIT, MS);
    m.requestFinished(ProxyMetrics.Result.REFUSED, Reason.RATE_LIMIT_STORE, MS);
    m.requestFinished(ProxyMetrics.Result.REFUSED, Reason.UPSTREAM_TIMEOUT, 2_000 * MS);
    m.requestFinished(ProxyMetrics.Result.RELAYED, Reason.STREAM_IDLE, 3 * MS);
    m.requestFinished(ProxyMetrics.Result.RELAYED, null, 3 * MS);
    m.requestFinished(ProxyMetrics.Result.PLAIN, null, MS);
    m.governanceDecision(Decision.Verdict.DENY);
    m.sinkFailed();

    Exposition e = scrape(m);
    assertThat(e.value("zogate_requests_total", "outcome", "refused", "code", "-32030", "reason", "signature_invalid"))
        .isEqualTo(3.0);
    assertThat(e.value("zogate_replays_total")).isEqualTo(2.0);
    assertThat(e.value("zogate_rate_limited_total", "limit", "key")).isEqualTo(1.0);
    assertThat(e.value("zogate_rate_limited_total", "limit", "actor")).isEqualTo(0.0);
    assertThat(e.value("zogate_store_failures_total", "store", "rate_limit")).isEqualTo(1.0);
    assertThat(e.value("zogate_upstream_failures_total", "kind", "upstream_timeout")).isEqualTo(1.0);
    assertThat(e.value("zogate_upstream_failures_total", "kind", "stream_idle")).isEqualTo(1.0);
    assertThat(e.value("zogate_requests_total", "outcome", "relayed", "code",
        Integer.toString(ErrorCode.UPSTREAM_INVALID.code()), "reason", "stream_idle")).isEqualTo(1.0);
    assertThat(e.value("zogate_requests_total", "outcome", "relayed", "code", "", "reason", "")).isEqualTo(1.0);
    assertThat(e.value("zogate_requests_total", "outcome", "plain", "code", "", "reason", "")).isEqualTo(1.0);
    assertThat(e.value("zogate_governance_decisions_total", "verdict", "deny")).isEqualTo(1.0);
    assertThat(e.value("zogate_sink_failures_total")).isEqualTo(1.0);
    assertThat(e.value("zogate_request_duration_seconds_count", "outcome", "refused")).isEqualTo(8.0);
    assertThat(e.value("zogate_request_duration_seconds_bucket", "outcome", "refused", "le", "0.001")).isEqualTo(7.0);
    assertThat(e.value("zogate_request_duration_seconds_bucket", "outcome", "refused", "le", "0.0001")).isEqualTo(0.0);
    assertThat(e.value("zogate_request_duration_seconds_bucket", "outcome", "refused", "le", "10.0")).isEqualTo(8.0);
    assertThat(e.value("zogate_request_duration_seconds_sum", "outcome", "refused")).isBetween(2.006, 2.008);
  }

  @Test
  void registriesAreNotSharedBetweenInstances() {
    ProxyMetrics a = new ProxyMetrics();
    ProxyMetrics b = new ProxyMetrics();
    a.sinkFailed();
    assertThat(scrape(b).value("zogate_sink_failures_total")).isEqualTo(0.0);
  }
}
