package io.zogate.proxy.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.zogate.proxy.testing.ProxyFixture.ALICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.zogate.proxy.governance.DenyListGovernor;
import io.zogate.proxy.testing.Exposition;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics as an operator sees them: a real proxy in front of WireMock, refused and relayed
 * requests over real sockets, then {@code GET /metrics} on the metrics listener.
 */
@Timeout(60)
class MetricsBlackBoxTest {
  static final String TOOLS_LIST = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
  static final String DENIED_CALL =
      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"get-env\"}}";
  static WireMockServer upstream;

  @TempDir Path dir;
  ProxyFixture proxy;

  @BeforeAll
  static void startUpstream() {
    upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").globalTemplating(true));
    upstream.start();
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"jsonrpc\":\"2.0\",\"id\":{{jsonPath request.body '$.id'}},\"result\":{\"ok\":true}}")));
  }

  @AfterAll
  static void stopUpstream() {
    upstream.stop();
  }

  @AfterEach
  void stopProxy() {
    if (proxy != null) {
      proxy.close();
    }
  }

  ProxyFixture start(String extraYaml) throws Exception {
    proxy = new ProxyFixture(dir, upstream.baseUrl() + "/mcp", extraYaml,
        Optional.of(new DenyListGovernor(Set.of(), Set.of("get-env"))), Map.of());
    return proxy;
  }

  RawHttp.Response badSignature() throws Exception {
    byte[] body = TOOLS_LIST.getBytes(StandardCharsets.UTF_8);
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    // Signed over another body: a well-formed signature that does not verify.
    h.putAll(proxy.hmac.headers(ALICE, "POST", proxy.authority(), "/mcp", "{}".getBytes(StandardCharsets.UTF_8)));
    return RawHttp.request(proxy.port, "POST", "/mcp", h, body);
  }

  static Exposition scrape(int port) throws Exception {
    RawHttp.Response r = RawHttp.request(port, "GET", "/metrics", Map.of(), new byte[0]);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).startsWith("text/plain; version=0.0.4");
    return Exposition.parse(r.bodyText());
  }

  @Test
  void countsByCodeAndReasonWhatWasSentAndNamesNoActorOrKey() throws Exception {
    int metricsPort = ProxyFixture.freePort();
    start("metrics: { listen: 127.0.0.1:" + metricsPort + ", path: /metrics }\n");
    assertThat(metricsPort).isNotEqualTo(proxy.port);

    for (int i = 0; i < 3; i++) {
      assertThat(badSignature().outcome()).isEqualTo("401 -32030 signature_invalid");
    }
    for (int i = 0; i < 2; i++) {
      assertThat(proxy.post(TOOLS_LIST).status()).isEqualTo(200);
    }
    assertThat(proxy.post(DENIED_CALL).outcome()).isEqualTo("200 -32011 deny");
    assertThat(RawHttp.request(proxy.port, "POST", "/other", Map.of(), new byte[0]).outcome())
        .isEqualTo("404 -32601 unknown_route");
    assertThat(RawHttp.request(proxy.port, "GET", "/mcp", Map.of(), new byte[0]).status()).isEqualTo(405);

    // The handler records after the answer is on the wire, so the last count may trail it.
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(scrape(metricsPort).value("zogate_request_duration_seconds_count", "outcome", "plain"))
            .isEqualTo(1.0));
    RawHttp.Response raw = RawHttp.request(metricsPort, "GET", "/metrics", Map.of(), new byte[0]);
    Exposition e = Exposition.parse(raw.bodyText());
    assertThat(e.value("zogate_requests_total", "outcome", "refused", "code", "-32030", "reason", "signature_invalid"))
        .isEqualTo(3.0);
    assertThat(e.value("zogate_requests_total", "outcome", "relayed", "code", "", "reason", "")).isEqualTo(2.0);
    assertThat(e.value("zogate_requests_total", "outcome", "refused", "code", "-32011", "reason", "deny")).isEqualTo(1.0);
    assertThat(e.value("zogate_requests_total", "outcome", "refused", "code", "-32601", "reason", "unknown_route"))
        .isEqualTo(1.0);
    assertThat(e.value("zogate_requests_total", "outcome", "plain", "code", "", "reason", "")).isEqualTo(1.0);
    assertThat(e.value("zogate_requests_total", "outcome", "refused", "code", "-32030", "reason", "unknown_key"))
        .isEqualTo(0.0);
    assertThat(e.value("zogate_governance_decisions_total", "verdict", "allow")).isEqualTo(2.0);
    assertThat(e.value("zogate_governance_decisions_total", "verdict", "deny")).isEqualTo(1.0);
    assertThat(e.value("zogate_governance_decisions_total", "verdict", "escalate")).isEqualTo(0.0);
    assertThat(e.value("zogate_request_duration_seconds_count", "outcome", "refused")).isEqualTo(5.0);
    assertThat(e.value("zogate_request_duration_seconds_count", "outcome", "relayed")).isEqualTo(2.0);

    String text = raw.bodyText();
    for (String secretish : new String[] {ALICE, "alice", ProxyFixture.BOB, "bob", ProxyFixture.HMAC_KID,
        ProxyFixture.ED_KID, "get-env", "tools/list", "tools/call"}) {
      assertThat(text).as(secretish).doesNotContain(secretish);
    }
  }

  @Test
  void theListenerServesOnlyGetOnItsPathAndTheProxyPortServesNoMetrics() throws Exception {
    int metricsPort = ProxyFixture.freePort();
    start("metrics: { listen: 127.0.0.1:" + metricsPort + ", path: /internal/metrics }\n");
    assertThat(RawHttp.request(metricsPort, "GET", "/internal/metrics", Map.of(), new byte[0]).bodyText())
        .contains("zogate_requests_total");
    RawHttp.Response postMetrics = RawHttp.request(metricsPort, "POST", "/internal/metrics", Map.of(), new byte[0]);
    assertThat(postMetrics.status()).isEqualTo(405);
    assertThat(postMetrics.header("Allow")).isEqualTo("GET");
    assertThat(RawHttp.request(metricsPort, "GET", "/metrics", Map.of(), new byte[0]).status()).isEqualTo(404);
    assertThat(RawHttp.request(metricsPort, "GET", "/internal/metrics/x", Map.of(), new byte[0]).status())
        .isEqualTo(404);
    assertThat(RawHttp.request(metricsPort, "GET", "/mcp", Map.of(), new byte[0]).status()).isEqualTo(404);
    // The proxy's own port knows nothing of metrics.
    RawHttp.Response onProxy = RawHttp.request(proxy.port, "GET", "/internal/metrics", Map.of(), new byte[0]);
    assertThat(onProxy.bodyText()).doesNotContain("zogate_");
  }

  @Test
  void withoutMetricsConfiguredNothingListensButCountingIsTheSame() throws Exception {
    start("");
    assertThat(proxy.post(TOOLS_LIST).status()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(Exposition.parse(new String(proxy.server().metrics().scrape(), StandardCharsets.UTF_8))
            .value("zogate_requests_total", "outcome", "relayed", "code", "", "reason", "")).isEqualTo(1.0));
  }

  @Test
  void aMetricsPathThatIsNotAPathStopsStartUp() throws Exception {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> start("metrics: { listen: 127.0.0.1:"
            + ProxyFixture.freePort() + ", path: metrics }\n"))
        .isInstanceOf(io.zogate.proxy.config.ConfigException.class)
        .hasMessageContaining("metrics.path");
  }
}
