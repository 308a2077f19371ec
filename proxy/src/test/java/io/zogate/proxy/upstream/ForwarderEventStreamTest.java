package io.zogate.proxy.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static io.zogate.proxy.upstream.Fixtures.ACTOR;
import static io.zogate.proxy.upstream.Fixtures.assertRefused;
import static io.zogate.proxy.upstream.Fixtures.call;
import static io.zogate.proxy.upstream.Fixtures.fastSettings;
import static io.zogate.proxy.upstream.Fixtures.inStreamFailureOf;
import static io.zogate.proxy.upstream.Fixtures.mcpHeaders;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.upstream.RecordingResponder.Closed;
import io.zogate.proxy.upstream.RecordingResponder.Error;
import io.zogate.proxy.upstream.RecordingResponder.Event;
import io.zogate.proxy.upstream.RecordingResponder.Opened;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The {@code text/event-stream} rules for whole (well-behaved or not) streams, via WireMock. */
@Timeout(20)
class ForwarderEventStreamTest {

  private static final String PROGRESS =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}";
  private static final String RESPONSE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[]}}";

  private WireMockServer upstream;
  private Forwarder forwarder;
  private final RecordingResponder client = new RecordingResponder();

  @BeforeEach
  void start() {
    upstream =
        new WireMockServer(
            WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
    upstream.start();
    forwarder = new Forwarder(fastSettings(url()).withLimits(4096, 256));
  }

  @AfterEach
  void stop() {
    forwarder.close();
    upstream.stop();
  }

  private URI url() {
    return URI.create("http://127.0.0.1:" + upstream.port() + "/mcp");
  }

  private void stream(String body) {
    upstream.stubFor(
        any(anyUrl())
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withHeader("Content-Type", "text/event-stream")
                    .withHeader("Mcp-Session-Id", "sess-7")
                    .withHeader("Set-Cookie", "leak=1")
                    .withBody(body)));
  }

  @Test
  void aNotificationThenTheResponseAreRelayedInOrderReencoded() throws Exception {
    stream(
        "event: message\nid: e1\ndata: { \"jsonrpc\": \"2.0\", \"method\": \"notifications/progress\",\n"
            + "data:  \"params\": {\"progress\": 1} }\n\n"
            + ": a comment\nretry: 1000\nid: e2\ndata: "
            + RESPONSE.replace(",", " , ")
            + "\n\n");

    ForwardResult result = forwarder.forward(call(1), client);

    assertThat(result).isEqualTo(new ForwardResult.Relayed(200, "sess-7", null));
    assertThat(client.calls)
        .containsExactly(
            new Opened(Map.of("Content-Type", "text/event-stream", "Mcp-Session-Id", "sess-7")),
            new Event("e1", PROGRESS),
            new Event("e2", RESPONSE),
            new Closed());
  }

  @Test
  void crAndCrlfLineEndsAreLineEndsToo() throws Exception {
    stream("data: " + PROGRESS + "\r\rdata: " + RESPONSE + "\r\n\r\n");
    assertThat(forwarder.forward(call(1), client)).isEqualTo(new ForwardResult.Relayed(200, "sess-7", null));
    assertThat(client.events()).containsExactly(new Event(null, PROGRESS), new Event(null, RESPONSE));
  }

  @Test
  void thePrimingEventIsNotAMessageButItsIdIsKept() throws Exception {
    stream("id: prime-1\ndata: \n\ndata: " + RESPONSE + "\n\n");

    assertThat(forwarder.forward(call(1), client))
        .isEqualTo(new ForwardResult.Relayed(200, "sess-7", null));
    assertThat(client.events()).containsExactly(new Event("prime-1", RESPONSE));
  }

  @Test
  void anEventOverTheCapIsRefusedBeforeAnythingWasWritten() throws Exception {
    stream("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"" + "x".repeat(400) + "\"}\n\n");
    assertRefused(forwarder.forward(call(1), client), Reason.RESPONSE_TOO_LARGE);
    assertThat(client.calls).isEmpty();
  }

  @Test
  void anEventOverTheCapAfterAMessageIsAnErrorEventOnTheOpenStream() throws Exception {
    stream("data: " + PROGRESS + "\n\n: " + "c".repeat(400) + "\n\ndata: " + RESPONSE + "\n\n");

    ForwardResult result = forwarder.forward(call(1), client);

    assertThat(inStreamFailureOf(result).reason()).isEqualTo(Reason.RESPONSE_TOO_LARGE);
    assertThat(client.calls).hasSize(4);
    assertThat(client.calls.get(1)).isEqualTo(new Event(null, PROGRESS));
    assertThat(client.calls.get(2)).isInstanceOf(Error.class);
    assertThat(client.calls.get(3)).isEqualTo(new Closed());
  }

  @Test
  void aStreamEndingWithoutTheResponseIsABadEventStream() throws Exception {
    stream("id: p\ndata:\n\n");
    assertRefused(forwarder.forward(call(1), client), Reason.BAD_EVENT_STREAM);

    // An unterminated last event is discarded, as the SSE rules say.
    stream("data: " + PROGRESS + "\n\ndata: " + RESPONSE + "\n");
    RecordingResponder second = new RecordingResponder();
    assertThat(inStreamFailureOf(forwarder.forward(call(1), second)).reason())
        .isEqualTo(Reason.BAD_EVENT_STREAM);
    assertThat(second.events()).containsExactly(new Event(null, PROGRESS));
    assertThat(second.calls.get(second.calls.size() - 2))
        .isInstanceOfSatisfying(
            Error.class, error -> assertThat(error.refusal().reason()).isEqualTo(Reason.BAD_EVENT_STREAM));
    assertThat(second.calls.get(second.calls.size() - 1)).isEqualTo(new Closed());
  }

  @Test
  void malformedJsonInAnEventIsMalformedJson() throws Exception {
    stream("data: {\"jsonrpc\":\"2.0\",\"id\":1,\n\n");
    assertRefused(forwarder.forward(call(1), client), Reason.MALFORMED_JSON);
  }

  @Test
  void anEventThatIsNotOneJsonRpcMessageIsNotJsonRpc() throws Exception {
    stream("data: [" + RESPONSE + "]\n\n");
    assertRefused(forwarder.forward(call(1), client), Reason.UPSTREAM_NOT_JSONRPC);
    stream("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}\n\n");
    assertRefused(forwarder.forward(call(1), client), Reason.UPSTREAM_NOT_JSONRPC);
  }

  @Test
  void aResponseToAnotherIdIsAnIdMismatch() throws Exception {
    stream("data: {\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{}}\n\n");
    assertRefused(forwarder.forward(call(1), client), Reason.ID_MISMATCH);
  }

  @Test
  void aServerStreamRelaysEveryMessageUntilItEnds() throws Exception {
    String ping = "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"ping\"}";
    stream("data: " + PROGRESS + "\n\ndata: " + ping + "\n\n");
    UpstreamRequest get = new UpstreamRequest("GET", null, mcpHeaders(), ACTOR, null, false);

    assertThat(forwarder.forward(get, client))
        .isEqualTo(new ForwardResult.Relayed(200, "sess-7", null));
    assertThat(client.calls)
        .containsExactly(
            new Opened(Map.of("Content-Type", "text/event-stream", "Mcp-Session-Id", "sess-7")),
            new Event(null, PROGRESS),
            new Event(null, ping),
            new Closed());
  }
}
