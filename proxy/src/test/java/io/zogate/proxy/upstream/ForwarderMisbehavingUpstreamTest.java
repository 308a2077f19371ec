package io.zogate.proxy.upstream;

import static io.zogate.proxy.upstream.Fixtures.assertRefused;
import static io.zogate.proxy.upstream.Fixtures.call;
import static io.zogate.proxy.upstream.Fixtures.fastSettings;
import static io.zogate.proxy.upstream.Fixtures.inStreamFailureOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.upstream.RecordingResponder.Closed;
import io.zogate.proxy.upstream.RecordingResponder.Error;
import io.zogate.proxy.upstream.RecordingResponder.Event;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Upstreams that cut bodies short, stall, run on, or reset: a raw socket does what WireMock
 * cannot. Limits are short (300 ms idle, 500 ms first byte) so every case ends within seconds.
 */
@Timeout(20)
class ForwarderMisbehavingUpstreamTest {

  private static final String PROGRESS =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}";
  private static final String RESPONSE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";
  private static final String SSE_HEAD =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";

  private final RecordingResponder client = new RecordingResponder();

  private static Duration since(long started) {
    return Duration.ofNanos(System.nanoTime() - started);
  }

  @Test
  void aDeclaredLengthOverTheCapIsRefusedBeforeReadingTheBody() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  RawUpstream.write(
                      socket,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          + "Content-Length: 10000000\r\n\r\n{");
                  RawUpstream.awaitPeerClose(socket); // never sends the rest
                });
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      long started = System.nanoTime();
      assertRefused(forwarder.forward(call(1), client), Reason.RESPONSE_TOO_LARGE);
      // Refused at once, not after the 300 ms idle limit on a body it would have had to read.
      assertThat(since(started)).isLessThan(Duration.ofMillis(280));
    }
  }

  @Test
  void aChunkedBodyOverTheCapIsRefusedWhileReading() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  RawUpstream.write(
                      socket,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          + "Transfer-Encoding: chunked\r\n\r\n");
                  String chunk = "x".repeat(1000);
                  for (int i = 0; i < 100; i++) {
                    RawUpstream.write(socket, Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
                  }
                  RawUpstream.write(socket, "0\r\n\r\n");
                });
        Forwarder forwarder =
            new Forwarder(fastSettings(upstream.url()).withLimits(2048, 1024))) {
      assertRefused(forwarder.forward(call(1), client), Reason.RESPONSE_TOO_LARGE);
      assertThat(client.calls).isEmpty();
    }
  }

  @Test
  void aJsonBodyCutShortIsMalformedJson() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  RawUpstream.write(
                      socket,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          + "Content-Length: 100\r\n\r\n{\"jsonrpc\":");
                  socket.close();
                });
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      assertRefused(forwarder.forward(call(1), client), Reason.MALFORMED_JSON);
    }
  }

  @Test
  void aJsonBodyThatStallsIsStreamIdle() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  RawUpstream.write(
                      socket,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          + "Content-Length: 100\r\n\r\n{\"jsonrpc\":");
                  RawUpstream.awaitPeerClose(socket);
                });
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      long started = System.nanoTime();
      assertRefused(forwarder.forward(call(1), client), Reason.STREAM_IDLE);
      assertThat(since(started)).isBetween(Duration.ofMillis(250), Duration.ofMillis(3000));
    }
  }

  @Test
  void aStreamSilentMidEventPastTheIdleLimitEndsWithAnErrorEvent() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  RawUpstream.write(socket, SSE_HEAD + "data: " + PROGRESS + "\n\ndata: {\"json");
                  RawUpstream.awaitPeerClose(socket);
                });
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      long started = System.nanoTime();

      ForwardResult result = forwarder.forward(call(1), client);

      assertThat(inStreamFailureOf(result).reason()).isEqualTo(Reason.STREAM_IDLE);
      assertThat(since(started)).isBetween(Duration.ofMillis(250), Duration.ofMillis(3000));
      assertThat(client.events()).containsExactly(new Event(null, PROGRESS));
      assertThat(client.calls.get(client.calls.size() - 2)).isInstanceOf(Error.class);
      assertThat(client.calls.get(client.calls.size() - 1)).isEqualTo(new Closed());
    }
  }

  @Test
  void aStreamSilentBeforeItsFirstMessageIsAPlainRefusal() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  RawUpstream.write(socket, SSE_HEAD + "id: prime\ndata:\n\n");
                  RawUpstream.awaitPeerClose(socket);
                });
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      assertRefused(forwarder.forward(call(1), client), Reason.STREAM_IDLE);
      assertThat(client.calls).isEmpty();
    }
  }

  @Test
  void aStreamOpenPastItsMaximumDurationEndsWithAnErrorEvent() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  RawUpstream.write(socket, SSE_HEAD);
                  // A notification every 100 ms, never idle, never done: until the socket dies.
                  for (int i = 0; i < 200; i++) {
                    RawUpstream.write(socket, "data: " + PROGRESS + "\n\n");
                    Thread.sleep(100);
                  }
                });
        Forwarder forwarder =
            new Forwarder(
                fastSettings(upstream.url())
                    .withTimeouts(Duration.ofMillis(500), Duration.ofMillis(300), Duration.ofMillis(800)))) {
      long started = System.nanoTime();

      ForwardResult result = forwarder.forward(call(1), client);

      assertThat(inStreamFailureOf(result).reason()).isEqualTo(Reason.STREAM_TOO_LONG);
      assertThat(since(started)).isBetween(Duration.ofMillis(750), Duration.ofMillis(4000));
      assertThat(client.events()).hasSizeGreaterThan(2);
    }
  }

  @Test
  void theResponseEndsTheStreamWithoutWaitingForTheRest() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  RawUpstream.write(socket, SSE_HEAD + "data: " + RESPONSE + "\n\n");
                  RawUpstream.awaitPeerClose(socket); // keeps the stream open
                });
        Forwarder forwarder =
            new Forwarder(
                fastSettings(upstream.url())
                    .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(10)))) {
      long started = System.nanoTime();

      assertThat(forwarder.forward(call(1), client))
          .isEqualTo(new ForwardResult.Relayed(200, null, null));

      assertThat(since(started)).isLessThan(Duration.ofSeconds(2));
      assertThat(client.events()).containsExactly(new Event(null, RESPONSE));
    }
  }

  @Test
  void aStreamCutShortIsABadEventStream() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  RawUpstream.write(socket, SSE_HEAD + "data: " + PROGRESS + "\n\ndata: {");
                  RawUpstream.reset(socket);
                });
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      assertThat(inStreamFailureOf(forwarder.forward(call(1), client)).reason())
          .isEqualTo(Reason.BAD_EVENT_STREAM);
    }
  }

  @Test
  void aClientThatGoesAwayGetsItsIoExceptionAndTheUpstreamIsDropped() throws Exception {
    java.util.concurrent.CountDownLatch upstreamSawClose = new java.util.concurrent.CountDownLatch(1);
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  RawUpstream.write(socket, SSE_HEAD + "data: " + PROGRESS + "\n\n");
                  try {
                    RawUpstream.awaitPeerClose(socket);
                  } finally {
                    // An orderly close or a reset (the forwarder aborts with a reset): both drop it.
                    upstreamSawClose.countDown();
                  }
                });
        Forwarder forwarder =
            new Forwarder(
                fastSettings(upstream.url())
                    .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(10)))) {
      ClientResponder gone =
          new RecordingResponder() {
            @Override
            public EventStream openEventStream(java.util.Map<String, String> headers)
                throws java.io.IOException {
              throw new java.io.IOException("client went away");
            }
          };

      org.assertj.core.api.Assertions.assertThatThrownBy(() -> forwarder.forward(call(1), gone))
          .isInstanceOf(java.io.IOException.class)
          .hasMessage("client went away");
      assertThat(upstreamSawClose.await(3, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }
  }
}
