package io.zogate.proxy.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.zogate.proxy.testing.ProxyFixture.ALICE;
import static io.zogate.proxy.testing.ProxyFixture.BOB;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.zogate.proxy.governance.DenyListGovernor;
import io.zogate.proxy.governance.Governor;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import io.zogate.proxy.testing.TestSigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real proxy on a real socket in front of a WireMock upstream, driven by raw HTTP and an
 * independent test signer: one test per row of the error table this issue owns, plus the
 * happy paths.
 */
class ProxyBlackBoxTest {
  static WireMockServer upstream;

  @TempDir Path dir;
  ProxyFixture proxy;

  static final String TOOLS_LIST = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";

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
  void resetUpstream() {
    upstream.resetAll();
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"jsonrpc\":\"2.0\",\"id\":{{jsonPath request.body '$.id'}},\"result\":{\"ok\":true}}")));
  }

  @AfterEach
  void stopProxy() {
    if (proxy != null) {
      proxy.close();
    }
  }

  ProxyFixture start(String extraYaml) throws Exception {
    return start(extraYaml, Optional.empty(), Map.of());
  }

  ProxyFixture start(String extraYaml, Optional<Governor> governor, Map<String, String> env) throws Exception {
    proxy = new ProxyFixture(dir, upstream.baseUrl() + "/mcp", extraYaml, governor, env);
    return proxy;
  }

  static Map<String, String> jsonHeaders() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    return h;
  }

  /** Signed headers for alice over the body, merged over Content-Type. */
  Map<String, String> signed(String body) {
    Map<String, String> h = jsonHeaders();
    h.putAll(proxy.hmac.headers(ALICE, "POST", proxy.authority(), "/mcp", body.getBytes(StandardCharsets.UTF_8)));
    return h;
  }

  RawHttp.Response send(Map<String, String> headers, String body) throws Exception {
    return RawHttp.request(proxy.port, "POST", "/mcp", headers, body.getBytes(StandardCharsets.UTF_8));
  }

  int upstreamCalls() {
    return upstream.findAll(postRequestedFor(urlEqualTo("/mcp"))).size();
  }

  @Test
  void aSignedRequestReachesUpstreamAndItsAnswerComesBack() throws Exception {
    start("");
    RawHttp.Response r = proxy.post(TOOLS_LIST);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("id").asInt()).isEqualTo(1);
    assertThat(r.json().path("result").path("ok").asBoolean()).isTrue();
    LoggedRequest seen = upstream.findAll(postRequestedFor(urlEqualTo("/mcp"))).get(0);
    assertThat(seen.getBodyAsString()).isEqualTo(TOOLS_LIST);
    assertThat(seen.getHeader("x-zo-actor")).isEqualTo(ALICE);
  }

  @Test
  void anEd25519KeySignsForItsActor() throws Exception {
    start("");
    RawHttp.Response r = proxy.post(proxy.ed25519, BOB, TOOLS_LIST, Map.of());
    assertThat(r.status()).isEqualTo(200);
    assertThat(upstream.findAll(postRequestedFor(urlEqualTo("/mcp"))).get(0).getHeader("x-zo-actor")).isEqualTo(BOB);
  }

  @Test
  void onlyTheAllowlistedHeadersReachUpstream() throws Exception {
    start("");
    RawHttp.Response r = proxy.post(proxy.hmac, ALICE, TOOLS_LIST, Map.of(
        "Cookie", "session=secret", "Authorization", "Bearer client-token", "X-Forwarded-For", "10.0.0.1",
        "X-Custom", "1", "MCP-Protocol-Version", "2025-06-18"));
    assertThat(r.status()).isEqualTo(200);
    upstream.verify(postRequestedFor(urlEqualTo("/mcp"))
        .withHeader("Cookie", absent()).withHeader("Authorization", absent())
        .withHeader("X-Forwarded-For", absent()).withHeader("X-Custom", absent())
        .withHeader("x-actor-sig", absent()).withHeader("x-actor-id", absent())
        .withHeader("MCP-Protocol-Version", equalTo("2025-06-18")));
  }

  @Nested
  class BeforeAuthentication {
    @BeforeEach
    void up() throws Exception {
      start("");
    }

    @Test
    void otherPathsAre404WithTheirReason() throws Exception {
      for (String target : List.of("/other", "/mcp/", "/MCP", "/mcp/../mcp", "/mcp;x", "/%6dcp")) {
        RawHttp.Response r = RawHttp.request(proxy.port, "POST", target, signed(TOOLS_LIST),
            TOOLS_LIST.getBytes(StandardCharsets.UTF_8));
        assertThat(r.outcome()).as(target).isEqualTo("404 -32601 unknown_route");
      }
      // java.net.URI reads "//mcp" as an authority with an empty path, so the JDK server has no
      // context for it and answers a plain 404 itself: still not found, still never forwarded.
      RawHttp.Response networkPath = RawHttp.request(proxy.port, "POST", "//mcp", signed(TOOLS_LIST),
          TOOLS_LIST.getBytes(StandardCharsets.UTF_8));
      assertThat(networkPath.status()).isEqualTo(404);
      assertThat(upstreamCalls()).isZero();
    }

    @Test
    void otherMethodsAre405() throws Exception {
      for (String method : List.of("PUT", "PATCH", "OPTIONS", "GET")) {
        RawHttp.Response r = RawHttp.request(proxy.port, method, "/mcp", Map.of(), new byte[0]);
        assertThat(r.status()).as(method).isEqualTo(405);
        assertThat(r.header("Allow")).isEqualTo("POST, DELETE");
      }
    }

    @Test
    void aForeignOriginIs403() throws Exception {
      Map<String, String> h = signed(TOOLS_LIST);
      h.put("Origin", "https://evil.example");
      assertThat(send(h, TOOLS_LIST).outcome()).isEqualTo("403 -32033 origin_not_allowed");
      assertThat(upstreamCalls()).isZero();
    }

    @Test
    void encodingsThatCouldBeReadTwoWaysAreRefused() throws Exception {
      Map<String, String> gz = signed(TOOLS_LIST);
      gz.put("Content-Encoding", "gzip");
      assertThat(send(gz, TOOLS_LIST).outcome()).isEqualTo("400 -32700 bad_encoding");
      Map<String, String> latin = signed(TOOLS_LIST);
      latin.put("Content-Type", "application/json; charset=iso-8859-1");
      assertThat(send(latin, TOOLS_LIST).outcome()).isEqualTo("400 -32700 bad_encoding");
      Map<String, String> text = signed(TOOLS_LIST);
      text.put("Content-Type", "text/plain");
      assertThat(send(text, TOOLS_LIST).outcome()).isEqualTo("400 -32700 bad_encoding");

      byte[] body = TOOLS_LIST.getBytes(StandardCharsets.UTF_8);
      List<String> head = new ArrayList<>();
      head.add("POST /mcp HTTP/1.1");
      head.add("Host: " + proxy.authority());
      signed(TOOLS_LIST).forEach((k, v) -> head.add(k + ": " + v));
      head.add("Content-Length: " + body.length);
      head.add("Content-Length: " + body.length);
      head.add("Connection: close");
      RawHttp.Response twice = RawHttp.send(proxy.port, head, body);
      assertThat(twice.status()).isEqualTo(400);
      assertThat(upstreamCalls()).isZero();
    }

    @Test
    void eachMissingHeaderIsNamedByItsReason() throws Exception {
      for (String name : List.of("x-actor-id", "x-actor-kid", "x-actor-ts", "x-actor-nonce", "x-actor-sig")) {
        Map<String, String> h = signed(TOOLS_LIST);
        h.remove(name);
        assertThat(send(h, TOOLS_LIST).outcome()).as(name).isEqualTo("401 -32030 missing_header");
      }
    }

    @Test
    void aRepeatedHeaderIsRefusedNeverFirstOrLastWins() throws Exception {
      Map<String, String> h = signed(TOOLS_LIST);
      byte[] body = TOOLS_LIST.getBytes(StandardCharsets.UTF_8);
      List<String> head = new ArrayList<>();
      head.add("POST /mcp HTTP/1.1");
      head.add("Host: " + proxy.authority());
      h.forEach((k, v) -> head.add(k + ": " + v));
      head.add("X-Actor-Nonce: " + TestSigner.freshNonce());
      head.add("Content-Length: " + body.length);
      head.add("Connection: close");
      assertThat(RawHttp.send(proxy.port, head, body).outcome()).isEqualTo("401 -32030 duplicate_header");
    }

    @Test
    void malformedHeadersAreRefused() throws Exception {
      Map<String, String> twelveDigits = signed(TOOLS_LIST);
      twelveDigits.put("x-actor-ts", "170000000000");
      assertThat(send(twelveDigits, TOOLS_LIST).outcome()).isEqualTo("401 -32030 malformed_header");
      Map<String, String> upperHex = signed(TOOLS_LIST);
      upperHex.put("x-actor-sig", upperHex.get("x-actor-sig").toUpperCase());
      assertThat(send(upperHex, TOOLS_LIST).outcome()).isEqualTo("401 -32030 malformed_header");
      Map<String, String> dotSegment = signed(TOOLS_LIST);
      dotSegment.put("x-actor-id", "did:zo:agent:..");
      assertThat(send(dotSegment, TOOLS_LIST).outcome()).isEqualTo("401 -32030 malformed_header");
    }

    @Test
    void aForeignHostOrAnAbsoluteTargetIsBadAuthority() throws Exception {
      Map<String, String> h = signed(TOOLS_LIST);
      h.put("Host", "evil.example:" + proxy.port);
      assertThat(send(h, TOOLS_LIST).outcome()).isEqualTo("401 -32030 bad_authority");
      RawHttp.Response absolute = RawHttp.request(proxy.port, "POST", "http://" + proxy.authority() + "/mcp",
          signed(TOOLS_LIST), TOOLS_LIST.getBytes(StandardCharsets.UTF_8));
      assertThat(absolute.outcome()).isEqualTo("401 -32030 bad_authority");
      assertThat(upstreamCalls()).isZero();
    }

    @Test
    void theHostIsComparedInCanonicalForm() throws Exception {
      byte[] body = TOOLS_LIST.getBytes(StandardCharsets.UTF_8);
      Map<String, String> h = jsonHeaders();
      h.putAll(proxy.hmac.headers(ALICE, "POST", proxy.authority(), "/mcp", body));
      h.put("Host", "127.0.0.1:" + proxy.port);
      assertThat(send(h, TOOLS_LIST).status()).isEqualTo(200);
    }
  }

  @Nested
  class ActorProof {
    @BeforeEach
    void up() throws Exception {
      start("");
    }

    @Test
    void unknownRetiredAndNotYetValidKeysAllGetUnknownKey() throws Exception {
      TestSigner stranger = TestSigner.hmac("k-nobody", new byte[32]);
      assertThat(proxy.post(stranger, ALICE, TOOLS_LIST, Map.of()).outcome()).isEqualTo("401 -32030 unknown_key");
      assertThat(proxy.post(proxy.retired, ALICE, TOOLS_LIST, Map.of()).outcome()).isEqualTo("401 -32030 unknown_key");
      assertThat(proxy.post(proxy.future, ALICE, TOOLS_LIST, Map.of()).outcome()).isEqualTo("401 -32030 unknown_key");
    }

    @Test
    void aStaleOrFutureTimestampIsTimestampSkew() throws Exception {
      byte[] body = TOOLS_LIST.getBytes(StandardCharsets.UTF_8);
      for (long offset : new long[] {-301_000, 301_000}) {
        Map<String, String> h = jsonHeaders();
        h.putAll(proxy.hmac.headers(ALICE, System.currentTimeMillis() + offset, TestSigner.freshNonce(), "POST",
            proxy.authority(), "/mcp", body));
        assertThat(send(h, TOOLS_LIST).outcome()).as("offset " + offset).isEqualTo("401 -32030 timestamp_skew");
      }
    }

    @Test
    void aSignatureOverAnythingElseIsInvalid() throws Exception {
      byte[] body = TOOLS_LIST.getBytes(StandardCharsets.UTF_8);
      String other = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}";
      Map<String, String> otherBody = jsonHeaders();
      otherBody.putAll(proxy.hmac.headers(ALICE, "POST", proxy.authority(), "/mcp", other.getBytes(StandardCharsets.UTF_8)));
      assertThat(send(otherBody, TOOLS_LIST).outcome()).isEqualTo("401 -32030 signature_invalid");
      Map<String, String> otherTarget = jsonHeaders();
      otherTarget.putAll(proxy.hmac.headers(ALICE, "POST", proxy.authority(), "/mcp?x=1", body));
      assertThat(send(otherTarget, TOOLS_LIST).outcome()).isEqualTo("401 -32030 signature_invalid");
      Map<String, String> otherMethod = jsonHeaders();
      otherMethod.putAll(proxy.hmac.headers(ALICE, "DELETE", proxy.authority(), "/mcp", body));
      assertThat(send(otherMethod, TOOLS_LIST).outcome()).isEqualTo("401 -32030 signature_invalid");
      Map<String, String> otherActor = signed(TOOLS_LIST);
      otherActor.put("x-actor-id", "did:zo:svc:other");
      assertThat(send(otherActor, TOOLS_LIST).outcome()).isEqualTo("401 -32030 signature_invalid");
      assertThat(upstreamCalls()).isZero();
    }

    @Test
    void aKeyMaySpeakOnlyForItsActors() throws Exception {
      assertThat(proxy.post(proxy.hmac, BOB, TOOLS_LIST, Map.of()).outcome())
          .isEqualTo("401 -32030 key_not_permitted_for_actor");
      assertThat(proxy.post(proxy.hmac, "did:zo:svcx", TOOLS_LIST, Map.of()).outcome())
          .isEqualTo("401 -32030 key_not_permitted_for_actor");
      assertThat(proxy.post(proxy.hmac, "did:zo:svc:indexer", TOOLS_LIST, Map.of()).status()).isEqualTo(200);
    }

    @Test
    void aReplayedRequestIsRefusedAndARefusedOneBurnsNoNonce() throws Exception {
      Map<String, String> h = signed(TOOLS_LIST);
      Map<String, String> wrongHost = new LinkedHashMap<>(h);
      wrongHost.put("Host", "evil.example:1");
      assertThat(send(wrongHost, TOOLS_LIST).status()).isEqualTo(401);
      assertThat(send(h, TOOLS_LIST).status()).isEqualTo(200);
      assertThat(send(h, TOOLS_LIST).outcome()).isEqualTo("409 -32032 nonce_reused");
      assertThat(upstreamCalls()).isEqualTo(1);
    }
  }

  @Test
  void theApiKeyIsASecondFactor() throws Exception {
    start("", Optional.empty(),
        Map.of("TEST_API_KEY", "s3cret-api-key", "ZO_GATE_AUTH_APIKEY_ENV", "TEST_API_KEY"));
    assertThat(proxy.post(TOOLS_LIST).outcome()).isEqualTo("401 -32030 api_key_invalid");
    assertThat(proxy.post(proxy.hmac, ALICE, TOOLS_LIST, Map.of("x-zo-api-key", "wrong")).outcome())
        .isEqualTo("401 -32030 api_key_invalid");
    assertThat(proxy.post(proxy.hmac, ALICE, TOOLS_LIST, Map.of("x-zo-api-key", "s3cret-api-key")).status())
        .isEqualTo(200);
  }

  @Test
  void aBodyOverTheCapIs413() throws Exception {
    start("http: { maxBodyBytes: 1KiB }\n");
    String big = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"pad\":\"" + "x".repeat(2000) + "\"}}";
    assertThat(proxy.post(big).outcome()).isEqualTo("413 -32031 body_too_large");
    assertThat(upstreamCalls()).isZero();
  }

  static byte[] chunked(String body, int chunk) {
    StringBuilder sb = new StringBuilder();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i += chunk) {
      int n = Math.min(chunk, bytes.length - i);
      sb.append(Integer.toHexString(n)).append("\r\n").append(new String(bytes, i, n, StandardCharsets.UTF_8)).append("\r\n");
    }
    return sb.append("0\r\n\r\n").toString().getBytes(StandardCharsets.UTF_8);
  }

  RawHttp.Response sendChunked(String body) throws Exception {
    List<String> head = new ArrayList<>();
    head.add("POST /mcp HTTP/1.1");
    head.add("Host: " + proxy.authority());
    signed(body).forEach((k, v) -> head.add(k + ": " + v));
    head.add("Transfer-Encoding: chunked");
    head.add("Connection: close");
    return RawHttp.send(proxy.port, head, chunked(body, 7));
  }

  @Test
  void aChunkedBodyIsReadWholeAndForwardedAsSigned() throws Exception {
    start("");
    assertThat(sendChunked(TOOLS_LIST).status()).isEqualTo(200);
    assertThat(upstream.findAll(postRequestedFor(urlEqualTo("/mcp"))).get(0).getBodyAsString()).isEqualTo(TOOLS_LIST);
  }

  @Test
  void aChunkedBodyOverTheCapIs413() throws Exception {
    start("http: { maxBodyBytes: 1KiB }\n");
    String big = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"pad\":\"" + "x".repeat(20_000) + "\"}}";
    assertThat(sendChunked(big).outcome()).isEqualTo("413 -32031 body_too_large");
    assertThat(upstreamCalls()).isZero();
  }

  @Test
  void aClientThatNeverFinishesItsBodyIsCutOffAndFreesItsWorker() throws Exception {
    // Two workers only: if stalled clients kept theirs, the last request could not be served.
    start("http: { workers: 2 }\n");
    List<java.net.Socket> stalled = new ArrayList<>();
    try {
      String body = TOOLS_LIST + " ".repeat(100 - TOOLS_LIST.length());
      for (int i = 0; i < 2; i++) {
        // Signed, so every check before the body passes and the proxy waits for the body.
        StringBuilder head = new StringBuilder("POST /mcp HTTP/1.1\r\nHost: " + proxy.authority()
            + "\r\nContent-Length: 100\r\n");
        signed(body).forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        java.net.Socket s = new java.net.Socket("127.0.0.1", proxy.port);
        s.getOutputStream().write((head + "\r\n{\"jsonrpc\"").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        stalled.add(s);
      }
      long t0 = System.nanoTime();
      java.net.Socket first = stalled.get(0);
      first.setSoTimeout(10_000);
      // The proxy closes the connection (read returns -1) rather than waiting forever.
      assertThat(first.getInputStream().read()).isEqualTo(-1);
      assertThat((System.nanoTime() - t0) / 1_000_000_000.0).isLessThan(8.0);
      assertThat(proxy.post(TOOLS_LIST).status()).isEqualTo(200);
    } finally {
      for (java.net.Socket s : stalled) {
        s.close();
      }
    }
  }

  @Nested
  class StrictParsing {
    @BeforeEach
    void up() throws Exception {
      start("");
    }

    private String outcome(String body) throws Exception {
      return proxy.post(body).outcome();
    }

    @Test
    void eachParseFailureHasItsReason() throws Exception {
      assertThat(outcome("{\"jsonrpc\":\"2.0\",")).isEqualTo("400 -32700 invalid_json");
      assertThat(outcome(TOOLS_LIST + " {}")).isEqualTo("400 -32700 invalid_json");
      assertThat(outcome("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"method\":\"b\"}"))
          .isEqualTo("400 -32700 duplicate_key");
      assertThat(outcome("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{\"x\":{\"y\":1,\"y\":2}}}"))
          .isEqualTo("400 -32700 duplicate_key");
      assertThat(outcome("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{\"x\":" + "[".repeat(100)
          + "]".repeat(100) + "}}")).isEqualTo("400 -32700 too_deep");
      assertThat(outcome("{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"method\":\"a\"}"))
          .isEqualTo("400 -32700 not_i_json");
      assertThat(outcome("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\\ud800\"}")).isEqualTo("400 -32700 not_i_json");
      assertThat(upstreamCalls()).isZero();
    }

    @Test
    void invalidUtf8IsRefused() throws Exception {
      byte[] body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\u00ff\"}".getBytes(StandardCharsets.ISO_8859_1);
      Map<String, String> h = jsonHeaders();
      h.putAll(proxy.hmac.headers(ALICE, "POST", proxy.authority(), "/mcp", body));
      assertThat(RawHttp.request(proxy.port, "POST", "/mcp", h, body).outcome()).isEqualTo("400 -32700 invalid_utf8");
    }

    @Test
    void notJsonRpcBatchesAndBadIdsAreInvalidRequests() throws Exception {
      assertThat(outcome("[" + TOOLS_LIST + "]")).isEqualTo("400 -32600 batch_unsupported");
      assertThat(outcome("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"a\"}")).isEqualTo("400 -32600 not_jsonrpc");
      assertThat(outcome("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"result\":{}}")).isEqualTo("400 -32600 not_jsonrpc");
      assertThat(outcome("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"a\"}")).isEqualTo("400 -32600 bad_id");
      assertThat(outcome("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"a\"}")).isEqualTo("400 -32600 bad_id");
      assertThat(outcome("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"a\"}")).isEqualTo("400 -32600 bad_id");
    }

    @Test
    void errorsCarryTheIdOfTheParsedBodyOrNull() throws Exception {
      assertThat(proxy.post("{\"jsonrpc\":\"2.0\",").json().get("id").isNull()).isTrue();
      RawHttp.Response r = RawHttp.request(proxy.port, "POST", "/mcp", Map.of("Content-Type", "application/json",
          "x-actor-id", "did:zo:agent:alice"), TOOLS_LIST.getBytes(StandardCharsets.UTF_8));
      assertThat(r.json().get("id").isNull()).isTrue();
    }
  }

  @Test
  void governanceDeniesWithTheRequestsIdAndNothingReachesUpstream() throws Exception {
    start("", Optional.of(new DenyListGovernor(Set.of(), Set.of("get-env"))), Map.of());
    RawHttp.Response r = proxy.post(
        "{\"jsonrpc\":\"2.0\",\"id\":\"call-7\",\"method\":\"tools/call\",\"params\":{\"name\":\"get-env\"}}");
    assertThat(r.outcome()).isEqualTo("200 -32011 deny");
    assertThat(r.json().get("id").asText()).isEqualTo("call-7");
    assertThat(r.bodyText()).doesNotContain("deny-list");
    assertThat(upstreamCalls()).isZero();
  }

  @Nested
  class UpstreamFailures {
    @Test
    void anUpstreamErrorStatusIsMappedAndItsBodyNeverLeaks() throws Exception {
      start("");
      upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(500).withBody("SECRET-STACKTRACE")));
      RawHttp.Response r = proxy.post(TOOLS_LIST);
      assertThat(r.outcome()).isEqualTo("200 -32021 upstream_status");
      assertThat(r.json().path("error").path("data").path("upstreamStatus").asInt()).isEqualTo(500);
      assertThat(r.bodyText()).doesNotContain("SECRET");
    }

    @Test
    void anAnswerToAnotherIdIsRefused() throws Exception {
      start("");
      upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
          .withBody("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{}}")));
      assertThat(proxy.post(TOOLS_LIST).outcome()).isEqualTo("200 -32022 id_mismatch");
    }

    @Test
    void anUnreachableUpstreamIsUnavailable() throws Exception {
      proxy = new ProxyFixture(dir, "http://127.0.0.1:" + ProxyFixture.freePort() + "/mcp", "", Optional.empty(), Map.of());
      assertThat(proxy.post(TOOLS_LIST).outcome()).isEqualTo("200 -32023 upstream_unreachable");
    }

    @Test
    void aSlowUpstreamTimesOut() throws Exception {
      start("", Optional.empty(), Map.of("ZO_GATE_UPSTREAM_TIMEOUT", "300ms"));
      upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200).withFixedDelay(2000)
          .withHeader("Content-Type", "application/json").withBody("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}")));
      long t0 = System.nanoTime();
      assertThat(proxy.post(TOOLS_LIST).outcome()).isEqualTo("200 -32020 upstream_timeout");
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1900);
    }
  }

  @Test
  void eventStreamsAreReEmittedMessageByMessage() throws Exception {
    start("");
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream")
        .withBody("id: 1\ndata:\n\n"
            + "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n"
            + "data: {\"jsonrpc\":\"2.0\",  \"id\":1,\ndata: \"result\":{\"done\":true}}\n\n")));
    RawHttp.Response r = proxy.post(TOOLS_LIST);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).startsWith("text/event-stream");
    String text = r.bodyText();
    assertThat(text).contains("data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n");
    assertThat(text).contains("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"done\":true}}\n\n");
    assertThat(text.indexOf("progress")).isLessThan(text.indexOf("done"));
  }

  @Test
  void aNotificationIsAnswered202WithNoBody() throws Exception {
    start("");
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(202)));
    RawHttp.Response r = proxy.post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    assertThat(r.status()).isEqualTo(202);
    assertThat(r.body()).isEmpty();
    assertThat(upstreamCalls()).isEqualTo(1);
  }

  @Test
  void aRefusedNotificationGetsTheStatusOfItsError() throws Exception {
    start("", Optional.of(new DenyListGovernor(Set.of("notifications/cancelled"), Set.of())), Map.of());
    RawHttp.Response r = proxy.post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\"}");
    assertThat(r.outcome()).isEqualTo("403 -32011 deny");
  }

  @Nested
  class Sessions {
    static final String INIT = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}";

    @BeforeEach
    void up() throws Exception {
      start("");
      upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200)
          .withHeader("Content-Type", "application/json").withHeader("Mcp-Session-Id", "sess-abc")
          .withBody("{\"jsonrpc\":\"2.0\",\"id\":{{jsonPath request.body '$.id'}},\"result\":{}}")));
    }

    @Test
    void aSessionBelongsToTheActorThatOpenedIt() throws Exception {
      RawHttp.Response init = proxy.post(INIT);
      assertThat(init.header("Mcp-Session-Id")).isEqualTo("sess-abc");
      Map<String, String> session = Map.of("Mcp-Session-Id", "sess-abc");
      assertThat(proxy.post(proxy.hmac, ALICE, TOOLS_LIST, session).status()).isEqualTo(200);
      int before = upstreamCalls();
      assertThat(proxy.post(proxy.ed25519, BOB, TOOLS_LIST, session).status()).isEqualTo(404);
      assertThat(proxy.post(proxy.hmac, ALICE, TOOLS_LIST, Map.of("Mcp-Session-Id", "sess-unknown")).status())
          .isEqualTo(404);
      assertThat(upstreamCalls()).isEqualTo(before);
    }

    @Test
    void anUpstream404OnASessionIsPassedThrough() throws Exception {
      proxy.post(INIT);
      upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(404).withBody("gone")));
      RawHttp.Response r = proxy.post(proxy.hmac, ALICE, TOOLS_LIST, Map.of("Mcp-Session-Id", "sess-abc"));
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.bodyText()).doesNotContain("gone");
    }
  }

  @Test
  void theSqliteReplayStoreRemembersAcrossARestart() throws Exception {
    start("replay: { store: sqlite:replay.db }\n");
    Map<String, String> h = signed(TOOLS_LIST);
    assertThat(send(h, TOOLS_LIST).status()).isEqualTo(200);
    proxy.stop();
    proxy.start();
    assertThat(send(h, TOOLS_LIST).outcome()).isEqualTo("409 -32032 nonce_reused");
    assertThat(upstreamCalls()).isEqualTo(1);
  }

  @Test
  void thePipelineRunsInTheContractsOrder() throws Exception {
    start("");
    assertThat(proxy.server().stageNames()).containsExactly("route", "client-limit", "origin", "framing",
        "actor-headers", "key-and-time", "body", "signature", "client-certificate", "key-and-actor-limits",
        "record-refusal", "nonce", "parse", "session", "govern", "record-intent", "record-outcome", "enforce",
        "forward");
  }
}
