package io.zogate.proxy.upstream;

import static io.zogate.proxy.upstream.Fixtures.assertRefused;
import static io.zogate.proxy.upstream.Fixtures.call;
import static io.zogate.proxy.upstream.Fixtures.fastSettings;
import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.jsonrpc.Reason;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Retries: once, only read-only calls, only when the connection died before any reply byte. */
@Timeout(20)
class ForwarderRetryTest {

  private static final String OK =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 36\r\n\r\n"
          + "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";

  private final RecordingResponder client = new RecordingResponder();
  private final AtomicInteger hits = new AtomicInteger();

  /** Resets the first {@code resets} requests after reading them, then answers. */
  private RawUpstream resettingUpstream(int resets) throws Exception {
    return new RawUpstream(
        (index, socket) -> {
          RawUpstream.readRequest(socket);
          if (hits.incrementAndGet() <= resets) {
            RawUpstream.reset(socket);
            return;
          }
          RawUpstream.write(socket, OK);
          RawUpstream.awaitPeerClose(socket);
        });
  }

  @Test
  void aReadOnlyCallIsRetriedOnceAfterAReset() throws Exception {
    try (RawUpstream upstream = resettingUpstream(1);
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      assertThat(forwarder.forward(call(1, true), client))
          .isEqualTo(new ForwardResult.Relayed(200, null, null));
      assertThat(hits).hasValue(2);
    }
  }

  @Test
  void aReadOnlyCallIsRetriedAtMostOnce() throws Exception {
    try (RawUpstream upstream = resettingUpstream(5);
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      assertRefused(forwarder.forward(call(1, true), client), Reason.UPSTREAM_UNREACHABLE);
      assertThat(hits).hasValue(2);
    }
  }

  @Test
  void aCallThatIsNotReadOnlyIsNeverRetried() throws Exception {
    try (RawUpstream upstream = resettingUpstream(1);
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      assertRefused(forwarder.forward(call(1, false), client), Reason.UPSTREAM_UNREACHABLE);
      assertThat(hits).hasValue(1);
    }
  }

  @Test
  void aReadOnlyCallIsNotRetriedOnceTheUpstreamAnswered() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  hits.incrementAndGet();
                  RawUpstream.write(socket, "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n");
                  RawUpstream.awaitPeerClose(socket);
                });
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      assertRefused(forwarder.forward(call(1, true), client), Reason.UPSTREAM_STATUS);
      assertThat(hits).hasValue(1);
    }
  }

  @Test
  void aReadOnlyCallIsNotRetriedAfterATimeout() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  RawUpstream.readRequest(socket);
                  hits.incrementAndGet();
                  RawUpstream.awaitPeerClose(socket);
                });
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      assertRefused(forwarder.forward(call(1, true), client), Reason.UPSTREAM_TIMEOUT);
      assertThat(hits).hasValue(1);
    }
  }

  @Test
  void sequentialCallsReuseOnePooledConnection() throws Exception {
    try (RawUpstream upstream =
            new RawUpstream(
                (index, socket) -> {
                  while (true) {
                    RawUpstream.readRequest(socket);
                    hits.incrementAndGet();
                    RawUpstream.write(socket, OK);
                  }
                });
        Forwarder forwarder = new Forwarder(fastSettings(upstream.url()))) {
      for (int i = 0; i < 10; i++) {
        assertThat(forwarder.forward(call(1, false), new RecordingResponder()))
            .isEqualTo(new ForwardResult.Relayed(200, null, null));
      }
      assertThat(hits).hasValue(10);
      assertThat(upstream.connections).hasValue(1);
    }
  }
}
