package io.zogate.proxy.bridge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.zogate.proxy.testing.ProxyFixture.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.sun.net.httpserver.HttpServer;
import io.zogate.proxy.auth.ActorSigner;
import io.zogate.proxy.auth.KeyringFile;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge on a real socket in front of a real zo-gate in front of a WireMock upstream: what a
 * client that cannot sign sends arrives signed and unchanged, what comes back is relayed
 * unchanged and as it arrives, and what CONTRACT.md section 5 lists is refused before anything
 * is signed.
 */
class SigningBridgeTest {
  static WireMockServer upstream;
  static final String TOOLS_LIST = "{ \"jsonrpc\":\"2.0\", \"id\":7,\n \"method\":\"tools/list\" }";

  @TempDir Path dir;
  ProxyFixture proxy;
  SigningBridge bridge;

  @BeforeAll
  static void startUpstream() {
    upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").globalTemplating(true));
    upstream.start();
  }

  @AfterAll
  static void stopUpstream() {
    upstream.stop();
  }

  @BeforeEach
  void start() throws Exception {
    upstream.resetAll();
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withHeader("Mcp-Session-Id", "sess-1")
        .withBody("{\"jsonrpc\":\"2.0\",\"id\":{{jsonPath request.body '$.id'}},\"result\":{\"tools\":[]}}")));
    proxy = new ProxyFixture(dir, upstream.baseUrl() + "/mcp", "", Optional.empty(), Map.of());
  }

  @AfterEach
  void stop() {
    if (bridge != null) {
      bridge.close();
    }
    proxy.close();
  }

  SigningBridge startBridge(Optional<byte[]> token) throws Exception {
    return startBridge(token, URI.create("http://" + proxy.authority() + "/mcp"));
  }

  SigningBridge startBridge(Optional<byte[]> token, URI to) throws Exception {
    ActorSigner signer = ActorSigner.hmac(ProxyFixture.HMAC_KID, ALICE,
        KeyringFile.load(dir.resolve("keyring.json")).find(ProxyFixture.HMAC_KID).orElseThrow().hmacSecret().orElseThrow());
    bridge = SigningBridge.start(new SigningBridge.Settings(signer, new InetSocketAddress("127.0.0.1", 0), to, token));
    return bridge;
  }

  static Map<String, String> mcpHeaders() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.put("Accept", "application/json, text/event-stream");
    return h;
  }

  RawHttp.Response viaBridge(String method, Map<String, String> headers, String body) throws Exception {
    return RawHttp.request(bridge.port(), method, "/mcp", headers, body.getBytes(StandardCharsets.UTF_8));
  }

  int upstreamCalls() {
    return upstream.findAll(anyRequestedFor(anyUrl())).size();
  }

  @Test
  void aJsonCallIsSignedForwardedAndRelayedUnchanged() throws Exception {
    startBridge(Optional.empty());
    Map<String, String> h = mcpHeaders();
    h.put("MCP-Protocol-Version", "2025-06-18");
    h.put("X-Not-Forwarded", "secret-cookie");
    RawHttp.Response viaBridge = viaBridge("POST", h, TOOLS_LIST);
    RawHttp.Response direct = proxy.post(TOOLS_LIST);

    assertThat(viaBridge.status()).isEqualTo(200);
    assertThat(viaBridge.bodyText()).isEqualTo(direct.bodyText());
    assertThat(viaBridge.json().path("id").asInt()).isEqualTo(7);
    assertThat(viaBridge.header("Content-Type")).isEqualTo(direct.header("Content-Type"));
    assertThat(viaBridge.header("Mcp-Session-Id")).isEqualTo("sess-1");
    LoggedRequest seen = upstream.findAll(postRequestedFor(urlEqualTo("/mcp"))).get(0);
    assertThat(seen.getBody()).isEqualTo(TOOLS_LIST.getBytes(StandardCharsets.UTF_8));
    assertThat(seen.getHeader("x-zo-actor")).isEqualTo(ALICE);
    assertThat(seen.getHeader("MCP-Protocol-Version")).isEqualTo("2025-06-18");
    assertThat(seen.containsHeader("X-Not-Forwarded")).isFalse();
  }

  @Test
  void eachRequestGetsAFreshNonceSoRepeatsAreNotReplays() throws Exception {
    startBridge(Optional.empty());
    for (int i = 0; i < 3; i++) {
      assertThat(viaBridge("POST", mcpHeaders(), TOOLS_LIST).status()).isEqualTo(200);
    }
    assertThat(upstreamCalls()).isEqualTo(3);
  }

  @Test
  void anEventStreamIsRelayedUnchanged() throws Exception {
    startBridge(Optional.empty());
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream")
        .withBody("id: 1\ndata:\n\n"
            + "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n"
            + "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"done\":true}}\n\n")));
    RawHttp.Response viaBridge = viaBridge("POST", mcpHeaders(), TOOLS_LIST);
    RawHttp.Response direct = proxy.post(TOOLS_LIST);
    assertThat(viaBridge.status()).isEqualTo(200);
    assertThat(viaBridge.header("Content-Type")).startsWith("text/event-stream").isEqualTo(direct.header("Content-Type"));
    assertThat(viaBridge.bodyText()).isEqualTo(direct.bodyText())
        .contains("notifications/progress").contains("\"done\":true");
  }

  @Test
  void eventsArePassedOnAsTheyArriveNotHeldBack() throws Exception {
    CountDownLatch progressSeenByClient = new CountDownLatch(1);
    HttpServer slow = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    slow.createContext("/mcp", ex -> {
      ex.getRequestBody().readAllBytes();
      ex.getResponseHeaders().set("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      out.write(("data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n")
          .getBytes(StandardCharsets.UTF_8));
      out.flush();
      try {
        // The response is only sent once the client has seen the progress event.
        progressSeenByClient.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      out.write("data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}\n\n".getBytes(StandardCharsets.UTF_8));
      out.close();
    });
    slow.start();
    try (ProxyFixture slowProxy = new ProxyFixture(Files.createDirectories(dir.resolve("slow")),
        "http://127.0.0.1:" + slow.getAddress().getPort() + "/mcp", "", Optional.empty(), Map.of())) {
      ActorSigner signer = ActorSigner.hmac(ProxyFixture.HMAC_KID, ALICE, KeyringFile.load(slowProxy.dir.resolve("keyring.json"))
          .find(ProxyFixture.HMAC_KID).orElseThrow().hmacSecret().orElseThrow());
      bridge = SigningBridge.start(new SigningBridge.Settings(signer, new InetSocketAddress("127.0.0.1", 0),
          URI.create("http://" + slowProxy.authority() + "/mcp"), Optional.empty()));
      HttpResponse<InputStream> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(bridge.url()))
          .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
          .header("Accept", "application/json, text/event-stream")
          .POST(HttpRequest.BodyPublishers.ofString(TOOLS_LIST)).build(), HttpResponse.BodyHandlers.ofInputStream());
      long t0 = System.nanoTime();
      StringBuilder seen = new StringBuilder();
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          seen.append(line).append('\n');
          if (line.contains("notifications/progress")) {
            assertThat(progressSeenByClient.getCount()).isEqualTo(1);
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
            progressSeenByClient.countDown();
          }
        }
      }
      assertThat(seen.toString()).contains("notifications/progress").contains("\"id\":7");
      assertThat(seen.indexOf("progress")).isLessThan(seen.indexOf("\"id\":7"));
    } finally {
      slow.stop(0);
    }
  }

  @Test
  void sessionsDeleteAndUnsupportedGetAreRelayed() throws Exception {
    startBridge(Optional.empty());
    upstream.stubFor(delete("/mcp").willReturn(aResponse().withStatus(200)));
    RawHttp.Response init = viaBridge("POST", mcpHeaders(),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}");
    String session = init.header("Mcp-Session-Id");
    assertThat(session).isEqualTo("sess-1");
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Mcp-Session-Id", session);
    h.put("Accept", "text/event-stream");
    RawHttp.Response get = viaBridge("GET", h, "");
    assertThat(get.status()).isEqualTo(405);
    assertThat(get.header("Allow")).isNotNull();
    assertThat(viaBridge("DELETE", Map.of("Mcp-Session-Id", session), "").status()).isEqualTo(200);
    // The binding is gone with the session: the proxy now treats it as unknown.
    assertThat(viaBridge("POST", Map.of("Content-Type", "application/json", "Mcp-Session-Id", session), TOOLS_LIST)
        .status()).isEqualTo(404);
  }

  @Test
  void aForeignHostIsRefusedBeforeAnythingIsSigned() throws Exception {
    startBridge(Optional.empty());
    for (String host : new String[] {"evil.example:" + bridge.port(), "evil.example", "127.0.0.1",
        "127.0.0.1:" + (bridge.port() == 65535 ? 1 : bridge.port() + 1), "localhost.:" + bridge.port()}) {
      Map<String, String> h = mcpHeaders();
      h.put("Host", host);
      RawHttp.Response r = viaBridge("POST", h, TOOLS_LIST);
      assertThat(r.status()).as(host).isEqualTo(403);
      assertThat(r.json().path("error").asText()).isEqualTo("host_not_allowed");
    }
    for (String host : new String[] {"127.0.0.1:" + bridge.port(), "localhost:" + bridge.port(),
        "LOCALHOST:" + bridge.port(), "[::1]:" + bridge.port()}) {
      Map<String, String> h = mcpHeaders();
      h.put("Host", host);
      assertThat(viaBridge("POST", h, TOOLS_LIST).status()).as(host).isEqualTo(200);
    }
    assertThat(upstreamCalls()).isEqualTo(4);
  }

  @Test
  void anyOriginIsRefused() throws Exception {
    startBridge(Optional.empty());
    for (String origin : new String[] {"https://evil.example", "http://127.0.0.1:" + bridge.port(), "null"}) {
      Map<String, String> h = mcpHeaders();
      h.put("Origin", origin);
      RawHttp.Response r = viaBridge("POST", h, TOOLS_LIST);
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.json().path("error").asText()).isEqualTo("origin_not_allowed");
    }
    assertThat(upstreamCalls()).isZero();
  }

  @Test
  void aBodyThatIsNotJsonIsRefused() throws Exception {
    startBridge(Optional.empty());
    Map<String, String> form = mcpHeaders();
    form.put("Content-Type", "application/x-www-form-urlencoded");
    assertThat(viaBridge("POST", form, TOOLS_LIST).status()).isEqualTo(415);
    Map<String, String> plain = mcpHeaders();
    plain.put("Content-Type", "text/plain");
    assertThat(viaBridge("POST", plain, TOOLS_LIST).status()).isEqualTo(415);
    Map<String, String> none = new LinkedHashMap<>();
    assertThat(viaBridge("POST", none, TOOLS_LIST).status()).isEqualTo(415);
    for (String body : new String[] {"", "{\"jsonrpc\":", "{} {}", "jsonrpc=2.0", "{\"a\":1,\"a\":2}"}) {
      RawHttp.Response r = viaBridge("POST", mcpHeaders(), body);
      assertThat(r.status()).as(body).isEqualTo(400);
      assertThat(r.json().path("error").asText()).isEqualTo("invalid_json");
    }
    assertThat(viaBridge("DELETE", Map.of(), "{}").status()).isEqualTo(400);
    assertThat(upstreamCalls()).isZero();
    Map<String, String> json = mcpHeaders();
    json.put("Content-Type", "Application/JSON; charset=utf-8");
    assertThat(viaBridge("POST", json, TOOLS_LIST).status()).isEqualTo(200);
  }

  @Test
  void otherRoutesAndMethodsAreRefused() throws Exception {
    startBridge(Optional.empty());
    assertThat(RawHttp.request(bridge.port(), "POST", "/other", mcpHeaders(), TOOLS_LIST.getBytes(StandardCharsets.UTF_8))
        .status()).isEqualTo(404);
    assertThat(RawHttp.request(bridge.port(), "POST", "/mcp?x=1", mcpHeaders(), TOOLS_LIST.getBytes(StandardCharsets.UTF_8))
        .status()).isEqualTo(404);
    RawHttp.Response put = viaBridge("PUT", mcpHeaders(), TOOLS_LIST);
    assertThat(put.status()).isEqualTo(405);
    assertThat(put.header("Allow")).isEqualTo("POST, GET, DELETE");
    assertThat(upstreamCalls()).isZero();
  }

  @Test
  void withATokenOnlyTheBearerOfThatTokenIsServed() throws Exception {
    startBridge(Optional.of("s3cret-token".getBytes(StandardCharsets.UTF_8)));
    RawHttp.Response missing = viaBridge("POST", mcpHeaders(), TOOLS_LIST);
    assertThat(missing.status()).isEqualTo(401);
    assertThat(missing.header("WWW-Authenticate")).isEqualTo("Bearer");
    assertThat(missing.json().path("error").asText()).isEqualTo("token_required");
    for (String auth : new String[] {"Bearer wrong", "Bearer s3cret-tokeN", "Bearer s3cret-token-and-more",
        "Basic czNjcmV0LXRva2Vu", "s3cret-token", "Bearer "}) {
      Map<String, String> h = mcpHeaders();
      h.put("Authorization", auth);
      assertThat(viaBridge("POST", h, TOOLS_LIST).status()).as(auth).isEqualTo(401);
    }
    assertThat(upstreamCalls()).isZero();
    Map<String, String> h = mcpHeaders();
    h.put("Authorization", "Bearer s3cret-token");
    assertThat(viaBridge("POST", h, TOOLS_LIST).status()).isEqualTo(200);
    LoggedRequest seen = upstream.findAll(postRequestedFor(urlEqualTo("/mcp"))).get(0);
    assertThat(seen.containsHeader("Authorization")).isFalse();
  }

  @Test
  void anUnreachableTargetIsA502() throws Exception {
    int dead = ProxyFixture.freePort();
    startBridge(Optional.empty(), URI.create("http://127.0.0.1:" + dead + "/mcp"));
    RawHttp.Response r = viaBridge("POST", mcpHeaders(), TOOLS_LIST);
    assertThat(r.status()).isEqualTo(502);
    assertThat(r.json().path("error").asText()).isEqualTo("target_unreachable");
  }
}
