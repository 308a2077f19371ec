package io.zogate.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.config.ConfigLoader;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.server.SharedRateLimitProcessesTest.CountingUpstream;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import io.zogate.proxy.testing.TestSigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Gateway#open(ProxyConfig, Map, Optional, Clock)} runs the whole proxy on the clock it
 * is given, the rate limiter included: a test (or the adversarial suite's skewed instances) that
 * moves the clock moves every decision that reads it, not only the timestamp check.
 */
class GatewayClockTest {
  static final String BODY = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";

  @TempDir Path dir;

  /** The system clock plus an offset the test moves. */
  static final class MovableClock extends Clock {
    final AtomicLong offsetMillis = new AtomicLong();

    @Override
    public long millis() {
      return System.currentTimeMillis() + offsetMillis.get();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  @Test
  void theMemoryRateLimiterDecidesOnTheGatewaysClock() throws Exception {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    TestSigner signer = TestSigner.hmac("k-clock", secret);
    Files.writeString(dir.resolve("keyring.json"), """
        { "keys": [ { "kid": "k-clock", "alg": "HMAC-SHA256", "secret": "%s",
          "actors": ["%s"], "status": "active" } ] }
        """.formatted(Base64.getEncoder().encodeToString(secret), ProxyFixture.ALICE));
    int port = ProxyFixture.freePort();
    MovableClock clock = new MovableClock();
    try (CountingUpstream upstream = new CountingUpstream()) {
      Path config = dir.resolve("zo-gate.yaml");
      Files.writeString(config, """
          listen: 127.0.0.1:%d
          upstream: { url: %s }
          auth: { keyring: keyring.json }
          rateLimit: { store: memory, perActor: 1/60s }
          """.formatted(port, upstream.url()));
      ProxyConfig cfg = ConfigLoader.load(config, Map.of());
      try (ProxyServer server = Gateway.open(cfg, Map.of(), Optional.empty(), clock)) {
        assertThat(send(signer, port, clock).outcome()).isEqualTo("200");
        assertThat(send(signer, port, clock).outcome()).isEqualTo("429 -32040 actor_limit");
        // A minute later by the proxy's clock (not by the system's) the budget is back.
        clock.offsetMillis.addAndGet(61_000);
        assertThat(send(signer, port, clock).outcome()).isEqualTo("200");
        assertThat(send(signer, port, clock).outcome()).isEqualTo("429 -32040 actor_limit");
      }
      assertThat(upstream.arrivals()).hasSize(2);
    }
  }

  /** Signed at the proxy's time, so the timestamp check passes whatever the offset. */
  static RawHttp.Response send(TestSigner signer, int port, Clock clock) throws Exception {
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    String authority = "127.0.0.1:" + port;
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.put("Accept", "application/json, text/event-stream");
    h.putAll(signer.headers(ProxyFixture.ALICE, clock.millis(), TestSigner.freshNonce(), "POST", authority,
        "/mcp", body));
    return RawHttp.request(port, "POST", "/mcp", h, body);
  }
}
