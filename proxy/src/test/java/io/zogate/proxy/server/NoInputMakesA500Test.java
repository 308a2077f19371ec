package io.zogate.proxy.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed, authenticated bodies of every shape (random bytes, mutated requests, odd JSON-RPC)
 * through the real proxy: each is answered, quickly, with a documented status, and never with
 * a 5xx of the proxy's own making. Seeded, so a failure names the body that caused it.
 */
class NoInputMakesA500Test {
  /** 502 is documented only as the outcome of a notification or client response upstream refused. */
  static final Set<Integer> DOCUMENTED = Set.of(200, 202, 400, 404, 409, 413, 502);
  static final String VALID =
      "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"read_file\",\"arguments\":{\"path\":\"/w/a\"}}}";

  @TempDir Path dir;

  @Test
  void everyBodyGetsADocumentedAnswer() throws Exception {
    WireMockServer upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").globalTemplating(true));
    upstream.start();
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
        .withBody("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}")));
    try (ProxyFixture proxy = new ProxyFixture(dir, upstream.baseUrl() + "/mcp", "", Optional.empty(), Map.of())) {
      Random random = new Random(20261128L);
      for (int i = 0; i < 400; i++) {
        byte[] body = body(random, i);
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", "application/json");
        h.putAll(proxy.hmac.headers(ProxyFixture.ALICE, "POST", proxy.authority(), "/mcp", body));
        long t0 = System.nanoTime();
        RawHttp.Response r = RawHttp.request(proxy.port, "POST", "/mcp", h, body);
        String shown = new String(body, StandardCharsets.ISO_8859_1);
        assertThat(r.status()).as("body #%d %s", i, shown).isIn(DOCUMENTED);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms for body #%d", i).isLessThan(5_000);
        if (r.status() != 202) {
          assertThat(r.json().path("jsonrpc").asText()).as("body #%d", i).isEqualTo("2.0");
        }
        if (r.status() == 502) {
          assertThat(r.json().get("id").isNull()).as("a 502 answers only a notification or response, body #%d", i).isTrue();
          assertThat(r.json().path("error").path("code").asInt()).isBetween(-32023, -32021);
        }
      }
    } finally {
      upstream.stop();
    }
  }

  static byte[] body(Random random, int i) {
    switch (i % 4) {
      case 0: {
        byte[] b = new byte[random.nextInt(200)];
        random.nextBytes(b);
        return b;
      }
      case 1: {
        byte[] b = VALID.getBytes(StandardCharsets.UTF_8);
        for (int k = 0, n = 1 + random.nextInt(3); k < n; k++) {
          b[random.nextInt(b.length)] = (byte) random.nextInt(256);
        }
        return b;
      }
      case 2: {
        String[] ids = {"1", "\"a\"", "null", "1.5", "9007199254740993", "[]", "{}", "true", "-0", "1e3"};
        String[] methods = {"\"tools/call\"", "\"\"", "1", "null", "\"a\\u0000b\"", "\"\\ud800\""};
        String[] params = {"{}", "[]", "1", "\"x\"", "null", "{\"a\":1,\"a\":2}", "[" .repeat(70) + "]".repeat(70)};
        return ("{\"jsonrpc\":\"2.0\",\"id\":" + ids[random.nextInt(ids.length)] + ",\"method\":"
            + methods[random.nextInt(methods.length)] + ",\"params\":" + params[random.nextInt(params.length)] + "}")
            .getBytes(StandardCharsets.UTF_8);
      }
      default: {
        String[] odd = {"", " ", "[]", "[" + VALID + "]", VALID + VALID, "\uFEFF" + VALID, "{\"jsonrpc\":\"2.0\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}",
            "1e999", "\"\\udfff\"", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"extra\":1}"};
        return odd[random.nextInt(odd.length)].getBytes(StandardCharsets.UTF_8);
      }
    }
  }
}
