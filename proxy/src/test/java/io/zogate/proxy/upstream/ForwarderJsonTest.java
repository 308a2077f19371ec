package io.zogate.proxy.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.zogate.proxy.upstream.Fixtures.ACTOR;
import static io.zogate.proxy.upstream.Fixtures.assertRefused;
import static io.zogate.proxy.upstream.Fixtures.call;
import static io.zogate.proxy.upstream.Fixtures.fastSettings;
import static io.zogate.proxy.upstream.Fixtures.id;
import static io.zogate.proxy.upstream.Fixtures.mcpHeaders;
import static io.zogate.proxy.upstream.Fixtures.notification;
import static io.zogate.proxy.upstream.Fixtures.refusalOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.Refusal;
import io.zogate.proxy.upstream.RecordingResponder.Empty;
import io.zogate.proxy.upstream.RecordingResponder.Json;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The {@code application/json} and status rules, with WireMock as the upstream. */
@Timeout(20)
class ForwarderJsonTest {

  private WireMockServer upstream;
  private Forwarder forwarder;
  private final RecordingResponder client = new RecordingResponder();

  @BeforeEach
  void start() {
    upstream =
        new WireMockServer(
            WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
    upstream.start();
    forwarder = new Forwarder(fastSettings(url()).withBearerToken(() -> "upstream-token-42"));
  }

  @AfterEach
  void stop() {
    forwarder.close();
    upstream.stop();
  }

  private URI url() {
    return URI.create("http://127.0.0.1:" + upstream.port() + "/mcp");
  }

  private void answer(ResponseDefinitionBuilder response) {
    upstream.stubFor(any(anyUrl()).willReturn(response));
  }

  private static ResponseDefinitionBuilder json(String body) {
    return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
  }

  @Test
  void onlyAllowlistedHeadersActorAndBearerReachTheUpstream() throws Exception {
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"));
    Map<String, List<String>> headers = new LinkedHashMap<>(mcpHeaders());
    headers.put("mcp-session-id", List.of("sess-9"));
    headers.put("MCP-Protocol-Version", List.of("2025-06-18"));
    headers.put("Last-Event-ID", List.of("ev-3"));
    headers.put("Cookie", List.of("session=stolen"));
    headers.put("Authorization", List.of("Bearer client-token"));
    headers.put("X-Forwarded-For", List.of("10.0.0.1"));
    headers.put("Expect", List.of("100-continue"));
    headers.put("x-actor-sig", List.of("ab".repeat(32)));
    headers.put("User-Agent", List.of("client-agent/1.0"));
    headers.put("Host", List.of("evil.example"));
    byte[] body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}  ".getBytes(StandardCharsets.UTF_8);

    ForwardResult result =
        forwarder.forward(new UpstreamRequest("POST", body, headers, ACTOR, id(1), false), client);

    assertThat(result).isInstanceOf(ForwardResult.Relayed.class);
    List<LoggedRequest> seen = upstream.findAll(postRequestedFor(urlEqualTo("/mcp")));
    assertThat(seen).hasSize(1);
    LoggedRequest request = seen.get(0);
    assertThat(request.getBody()).isEqualTo(body);
    assertThat(request.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(request.getHeader("Accept")).isEqualTo("application/json, text/event-stream");
    assertThat(request.getHeader("Mcp-Session-Id")).isEqualTo("sess-9");
    assertThat(request.getHeader("MCP-Protocol-Version")).isEqualTo("2025-06-18");
    assertThat(request.getHeader("Last-Event-ID")).isEqualTo("ev-3");
    assertThat(request.getHeader("x-zo-actor")).isEqualTo(ACTOR);
    assertThat(request.getHeaders().getHeader("Authorization").values())
        .containsExactly("Bearer upstream-token-42");
    assertThat(request.getHeader("User-Agent")).isEqualTo("zo-gate");
    assertThat(request.getHeader("Host")).isEqualTo("127.0.0.1:" + upstream.port());
    for (String never : List.of("Cookie", "X-Forwarded-For", "Expect", "x-actor-sig", "Accept-Encoding")) {
      assertThat(request.containsHeader(never)).as(never).isFalse();
    }
  }

  @Test
  void aJsonResponseIsReencodedWithOnlyContentTypeAndSessionHeaders() throws Exception {
    answer(
        json("{ \"jsonrpc\" : \"2.0\",\n \"id\" : 7, \"result\" : { \"x\" : 15 } }")
            .withHeader("Mcp-Session-Id", "sess-1")
            .withHeader("Set-Cookie", "track=1")
            .withHeader("Server", "upstream/9"));

    ForwardResult result = forwarder.forward(call(7), client);

    assertThat(result).isEqualTo(new ForwardResult.Relayed(200, "sess-1", null));
    assertThat(client.calls)
        .containsExactly(
            new Json(
                200,
                Map.of("Content-Type", "application/json", "Mcp-Session-Id", "sess-1"),
                "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"x\":15}}"));
  }

  @Test
  void aResponseIdOfAnotherJsonTypeIsAnIdMismatch() throws Exception {
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{}}"));
    assertRefused(forwarder.forward(call(1), client), Reason.ID_MISMATCH);

    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"));
    UpstreamRequest stringId =
        new UpstreamRequest("POST", "{}".getBytes(StandardCharsets.UTF_8), mcpHeaders(), ACTOR,
            id("1"), false);
    assertRefused(forwarder.forward(stringId, client), Reason.ID_MISMATCH);

    answer(json("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}"));
    assertRefused(forwarder.forward(call(1), client), Reason.ID_MISMATCH);
    assertThat(client.calls).isEmpty();
  }

  @Test
  void aServerRequestInPlaceOfTheResponseIsAnIdMismatch() throws Exception {
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sampling/createMessage\"}"));
    assertRefused(forwarder.forward(call(1), client), Reason.ID_MISMATCH);
  }

  @Test
  void resultAndErrorTogetherIsNotJsonRpc() throws Exception {
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{\"code\":1,\"message\":\"x\"}}"));
    assertRefused(forwarder.forward(call(1), client), Reason.UPSTREAM_NOT_JSONRPC);
  }

  @Test
  void aReplyThatIsNotJsonRpcIsRefused() throws Exception {
    answer(json("{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":{}}"));
    assertRefused(forwarder.forward(call(1), client), Reason.UPSTREAM_NOT_JSONRPC);
  }

  @Test
  void malformedOrDuplicateKeyJsonIsMalformedJson() throws Exception {
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}"));
    assertRefused(forwarder.forward(call(1), client), Reason.MALFORMED_JSON);
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"result\":{}}"));
    assertRefused(forwarder.forward(call(1), client), Reason.MALFORMED_JSON);
  }

  @Test
  void twoResponsesInAnArrayAreADuplicateAndAnyOtherArrayIsNotJsonRpc() throws Exception {
    String response = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";
    answer(json("[" + response + "," + response + "]"));
    assertRefused(forwarder.forward(call(1), client), Reason.DUPLICATE_RESPONSE);
    answer(json("[" + response + "]"));
    assertRefused(forwarder.forward(call(1), client), Reason.UPSTREAM_NOT_JSONRPC);
  }

  @Test
  void redirectsAreRefusedWithTheirStatusAndNeverFollowed() throws Exception {
    answer(aResponse().withStatus(302).withHeader("Location", "/elsewhere"));

    Refusal refusal = refusalOf(forwarder.forward(call(1), client));

    assertThat(refusal.reason()).isEqualTo(Reason.UPSTREAM_STATUS);
    assertThat(refusal.data()).containsEntry("upstreamStatus", 302);
    assertThat(upstream.getAllServeEvents()).hasSize(1);
    assertThat(client.calls).isEmpty();
  }

  @Test
  void anErrorStatusBodyNeverReachesTheClientOrTheRefusal() throws Exception {
    String secret = "TOP-SECRET-7f3a";
    answer(aResponse().withStatus(500).withHeader("Content-Type", "application/json")
        .withBody("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1,\"message\":\"" + secret + "\"}}"));

    Refusal refusal = refusalOf(forwarder.forward(call(1), client));

    assertThat(refusal.reason()).isEqualTo(Reason.UPSTREAM_STATUS);
    assertThat(refusal.data()).isEqualTo(Map.of("upstreamStatus", 500));
    assertThat(refusal.toString() + refusal.data() + refusal.logDetail()).doesNotContain(secret);
    assertThat(client.calls).isEmpty();
    assertThat(client.everythingHandedOver()).doesNotContain(secret);
  }

  @Test
  void aGoneSessionIs404PassedThroughOnlyWhenTheRequestCarriedOne() throws Exception {
    answer(aResponse().withStatus(404).withBody("no such session"));
    Map<String, List<String>> withSession = new LinkedHashMap<>(mcpHeaders());
    withSession.put("mcp-session-id", List.of("old-session"));
    UpstreamRequest request =
        new UpstreamRequest("POST", "{}".getBytes(StandardCharsets.UTF_8), withSession, ACTOR,
            id(1), false);

    assertThat(forwarder.forward(request, client))
        .isEqualTo(new ForwardResult.Relayed(404, null, null));
    assertThat(client.calls).containsExactly(new Empty(404, Map.of()));

    Refusal withoutSession = refusalOf(forwarder.forward(call(1), new RecordingResponder()));
    assertThat(withoutSession.reason()).isEqualTo(Reason.UPSTREAM_STATUS);
    assertThat(withoutSession.data()).containsEntry("upstreamStatus", 404);
  }

  @Test
  void aNotificationIsAnswered202WhenTheUpstreamAcceptsIt() throws Exception {
    answer(aResponse().withStatus(202));
    assertThat(forwarder.forward(notification(mcpHeaders()), client))
        .isEqualTo(new ForwardResult.Relayed(202, null, null));
    assertThat(client.calls).containsExactly(new Empty(202, Map.of()));

    answer(aResponse().withStatus(200).withHeader("Mcp-Session-Id", "s2"));
    RecordingResponder second = new RecordingResponder();
    assertThat(forwarder.forward(notification(mcpHeaders()), second))
        .isEqualTo(new ForwardResult.Relayed(202, "s2", null));
    assertThat(second.calls).containsExactly(new Empty(202, Map.of("Mcp-Session-Id", "s2")));
  }

  @Test
  void aNotificationAnsweredWithABodyIsRefused() throws Exception {
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"));
    assertRefused(forwarder.forward(notification(mcpHeaders()), client), Reason.UPSTREAM_NOT_JSONRPC);
    assertThat(client.calls).isEmpty();
  }

  @Test
  void anEmptyAnswerToARequestIsNotJsonRpc() throws Exception {
    answer(aResponse().withStatus(202));
    assertRefused(forwarder.forward(call(1), client), Reason.UPSTREAM_NOT_JSONRPC);
    answer(aResponse().withStatus(200).withHeader("Content-Type", "application/json"));
    assertRefused(forwarder.forward(call(1), client), Reason.UPSTREAM_NOT_JSONRPC);
  }

  @Test
  void anyOtherContentTypeOrCharsetOrEncodingIsBadContentType() throws Exception {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";
    answer(aResponse().withStatus(200).withHeader("Content-Type", "text/html").withBody(body));
    assertRefused(forwarder.forward(call(1), client), Reason.BAD_CONTENT_TYPE);
    answer(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json; charset=iso-8859-1").withBody(body));
    assertRefused(forwarder.forward(call(1), client), Reason.BAD_CONTENT_TYPE);
    answer(json(body).withHeader("Content-Encoding", "gzip"));
    assertRefused(forwarder.forward(call(1), client), Reason.BAD_CONTENT_TYPE);

    answer(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json; charset=\"UTF-8\"").withBody(body));
    assertThat(forwarder.forward(call(1), client)).isInstanceOf(ForwardResult.Relayed.class);
  }

  @Test
  void aSessionIdThatIsNotVisibleAsciiIsRefused() throws Exception {
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}").withHeader("Mcp-Session-Id", "a b"));
    assertRefused(forwarder.forward(call(1), client), Reason.UPSTREAM_NOT_JSONRPC);
    assertThat(client.calls).isEmpty();
  }

  @Test
  void aBodyOverTheCapIsRefused() throws Exception {
    forwarder.close();
    forwarder = new Forwarder(fastSettings(url()).withLimits(1024, 1024));
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"" + "x".repeat(2000) + "\"}"));
    assertRefused(forwarder.forward(call(1), client), Reason.RESPONSE_TOO_LARGE);
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"" + "x".repeat(900) + "\"}"));
    assertThat(forwarder.forward(call(1), client)).isInstanceOf(ForwardResult.Relayed.class);
  }

  @Test
  void noReplyHeadersWithinTheTimeoutIsUpstreamTimeout() throws Exception {
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}").withFixedDelay(3000));
    long started = System.nanoTime();

    assertRefused(forwarder.forward(call(1), client), Reason.UPSTREAM_TIMEOUT);

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(2500));
    assertThat(client.calls).isEmpty();
  }

  @Test
  void aClosedPortIsUpstreamUnreachable() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    try (Forwarder toNowhere =
        new Forwarder(fastSettings(URI.create("http://127.0.0.1:" + port + "/mcp")))) {
      assertRefused(toNowhere.forward(call(1, true), client), Reason.UPSTREAM_UNREACHABLE);
    }
  }

  @Test
  void watchdogTasksAreRemovedWhenCallsFinish() throws Exception {
    answer(json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"));
    for (int i = 0; i < 20; i++) {
      forwarder.forward(call(1), new RecordingResponder());
    }
    assertThat(forwarder.pendingWatchdogs()).isZero();
  }

  @Test
  void aDeleteIsAnsweredWithTheUpstreamsStatusAndNoBody() throws Exception {
    answer(aResponse().withStatus(200).withBody("bye"));
    UpstreamRequest delete = new UpstreamRequest("DELETE", null, mcpHeaders(), ACTOR, null, false);

    assertThat(forwarder.forward(delete, client)).isEqualTo(new ForwardResult.Relayed(200, null, null));

    assertThat(client.calls).containsExactly(new Empty(200, Map.of()));
    assertThat(upstream.getAllServeEvents().get(0).getRequest().getMethod().getName()).isEqualTo("DELETE");
  }
}
