package io.zogate.proxy.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.zogate.proxy.testing.Exposition;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import io.zogate.proxy.traffic.MetricsSink;
import io.zogate.proxy.traffic.ProxyMetrics;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The push sink against a WireMock sink that accepts, fails, hangs, or is not there. Intervals
 * are 100-200 ms so each test takes a second or two; every wait is bounded.
 */
@Timeout(60)
class MetricsSinkTest {
  static final String TOOLS_LIST = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
  static final String SINK_TOKEN = "sink-secret-7f3a";

  WireMockServer upstream;
  WireMockServer sink;
  ProxyFixture proxy;
  MetricsSink direct;
  final List<LogRecord> logs = new CopyOnWriteArrayList<>();
  final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      logs.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  final Logger sinkLogger = Logger.getLogger(MetricsSink.class.getName());

  @TempDir Path dir;

  @BeforeEach
  void up() {
    upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").globalTemplating(true));
    upstream.start();
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"jsonrpc\":\"2.0\",\"id\":{{jsonPath request.body '$.id'}},\"result\":{\"ok\":true}}")));
    sink = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(20));
    sink.start();
    sinkLogger.addHandler(capture);
    sinkLogger.setLevel(Level.ALL);
  }

  @AfterEach
  void down() {
    sinkLogger.removeHandler(capture);
    sinkLogger.setLevel(null);
    if (direct != null) {
      direct.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    sink.stop();
    upstream.stop();
  }

  ProxyFixture startProxy(String interval) throws Exception {
    proxy = new ProxyFixture(dir, upstream.baseUrl() + "/mcp", """
        metrics:
          listen: 127.0.0.1:%d
          sink:
            url: %s/push
            interval: %s
            headers: { Authorization: "Bearer %s", X-Scope-OrgID: zo-tenant }
        """.formatted(ProxyFixture.freePort(), sink.baseUrl(), interval, SINK_TOKEN), Optional.empty(), Map.of());
    return proxy;
  }

  static Exposition scrape(ProxyMetrics m) {
    return Exposition.parse(new String(m.scrape(), StandardCharsets.UTF_8));
  }

  static double sinkFailures(ProxyMetrics m) {
    return scrape(m).value("zogate_sink_failures_total");
  }

  void assertNoSecretLogged() {
    for (LogRecord r : logs) {
      String msg = r.getMessage() == null ? "" : r.getMessage();
      assertThat(msg).doesNotContain(SINK_TOKEN).doesNotContain("zo-tenant");
    }
  }

  @Test
  void anAcceptingSinkReceivesTheTextExpositionWithTheConfiguredHeaders() throws Exception {
    sink.stubFor(post("/push").willReturn(aResponse().withStatus(204)));
    startProxy("150ms");
    assertThat(proxy.post(TOOLS_LIST).status()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      List<LoggedRequest> pushes = sink.findAll(postRequestedFor(urlEqualTo("/push")));
      assertThat(pushes).isNotEmpty();
      Exposition last = Exposition.parse(pushes.get(pushes.size() - 1).getBodyAsString());
      assertThat(last.value("zogate_requests_total", "outcome", "relayed", "code", "", "reason", "")).isEqualTo(1.0);
    });
    LoggedRequest push = sink.findAll(postRequestedFor(urlEqualTo("/push"))).get(0);
    assertThat(push.getHeader("Content-Type")).isEqualTo(ProxyMetrics.CONTENT_TYPE);
    assertThat(push.getHeader("Authorization")).isEqualTo("Bearer " + SINK_TOKEN);
    assertThat(push.getHeader("X-Scope-OrgID")).isEqualTo("zo-tenant");
    Exposition body = Exposition.parse(push.getBodyAsString());
    assertThat(body.types).containsKeys("zogate_requests_total", "zogate_governance_decisions_total",
        "zogate_replays_total", "zogate_rate_limited_total", "zogate_store_failures_total",
        "zogate_upstream_failures_total", "zogate_sink_failures_total", "zogate_request_duration_seconds");
    assertThat(sinkFailures(proxy.server().metrics())).isZero();
    assertNoSecretLogged();
  }

  @Test
  void aFailingSinkIsCountedLoggedOnceAndBackedOffUntilItRecovers() throws Exception {
    sink.stubFor(post(urlPathEqualTo("/push")).willReturn(aResponse().withStatus(500)));
    ProxyMetrics metrics = new ProxyMetrics();
    Duration interval = Duration.ofMillis(100);
    direct = new MetricsSink(URI.create(sink.baseUrl() + "/push?token=" + SINK_TOKEN), interval,
        Map.of("Authorization", "Bearer " + SINK_TOKEN), metrics).start();

    await().atMost(Duration.ofSeconds(10)).until(() -> direct.consecutiveFailures() >= 3);
    assertThat(sinkFailures(metrics)).isGreaterThanOrEqualTo(3.0);
    // 100 ms doubled per failure: at least 800 ms after the third.
    assertThat(direct.nextDelay()).isGreaterThanOrEqualTo(Duration.ofMillis(800));
    // Without back-off a 100 ms interval would have pushed ~7 times by now; with it, 3 or 4.
    assertThat(sink.findAll(postRequestedFor(urlEqualTo("/push?token=" + SINK_TOKEN)))).hasSizeLessThanOrEqualTo(5);
    List<LogRecord> warnings = logs.stream().filter(r -> r.getLevel() == Level.WARNING).toList();
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0).getMessage()).contains("HTTP 500");

    sink.resetAll();
    sink.stubFor(post(urlPathEqualTo("/push")).willReturn(aResponse().withStatus(200)));
    await().atMost(Duration.ofSeconds(10)).until(() -> direct.consecutiveFailures() == 0);
    assertThat(direct.nextDelay()).isEqualTo(interval);
    assertThat(logs).anyMatch(r -> r.getLevel() == Level.INFO && r.getMessage().contains("again"));
    assertNoSecretLogged();
  }

  @Test
  void aHangingSinkTimesOutIsCountedAndProxiedRequestsDoNotWaitForIt() throws Exception {
    int hangMillis = 5_000;
    sink.stubFor(post("/push").willReturn(aResponse().withStatus(200).withFixedDelay(hangMillis)));
    startProxy("200ms");
    ProxyMetrics metrics = proxy.server().metrics();
    await().atMost(Duration.ofSeconds(10)).until(() -> sinkFailures(metrics) >= 1.0);

    // Pushes give up after 1 s (the timeout floor) and back off 400 ms, then 800 ms: over
    // these 2+ seconds at least one more push hangs.
    long slowest = 0;
    for (int i = 0; i < 40; i++) {
      long t0 = System.nanoTime();
      RawHttp.Response r = proxy.post(TOOLS_LIST);
      slowest = Math.max(slowest, System.nanoTime() - t0);
      assertThat(r.status()).isEqualTo(200);
      Thread.sleep(50);
    }
    assertThat(sinkFailures(metrics)).isGreaterThanOrEqualTo(2.0);
    // A request that waited for a push would wait for its 1 s timeout; none came near that.
    // (The bound separates the two cases by design, not by how fast this machine is.)
    assertThat(Duration.ofNanos(slowest)).isLessThan(Duration.ofMillis(500));
    assertThat(logs).anyMatch(r -> r.getLevel() == Level.WARNING && r.getMessage().contains("timed out"));
    assertNoSecretLogged();
  }

  @Test
  void aSinkThatIsDownIsCounted() throws Exception {
    int closedPort = ProxyFixture.freePort();
    ProxyMetrics metrics = new ProxyMetrics();
    direct = new MetricsSink(URI.create("http://127.0.0.1:" + closedPort + "/push"), Duration.ofMillis(100),
        Map.of(), metrics).start();
    await().atMost(Duration.ofSeconds(10)).until(() -> sinkFailures(metrics) >= 2.0);
    assertThat(direct.consecutiveFailures()).isGreaterThanOrEqualTo(2);
    assertThat(logs).filteredOn(r -> r.getLevel() == Level.WARNING).hasSize(1)
        .allMatch(r -> r.getMessage().contains("ConnectException"));
  }

  @Test
  void aHeaderTheClientCannotSendStopsStartUp() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MetricsSink(URI.create("http://127.0.0.1:1/x"),
            Duration.ofSeconds(1), Map.of("Host", "evil"), new ProxyMetrics()))
        .isInstanceOf(IllegalArgumentException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MetricsSink(URI.create("http://127.0.0.1:1/x"),
            Duration.ZERO, Map.of(), new ProxyMetrics()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
