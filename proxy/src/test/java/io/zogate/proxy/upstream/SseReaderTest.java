package io.zogate.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The WHATWG event-stream parsing rules the forwarder relies on. */
class SseReaderTest {

  private static final String STREAM =
      "\uFEFF: comment\nevent: message\nid: 1\ndata: {\"a\":\ndata:1}\r\n\r\n"
          + "retry: 10\rdata:x\r\rid: 2\ndata: \n\n"
          + "id\ndata: last\n\n"
          + "data: unterminated\n";

  private static List<String> read(InputStream in, long max) throws IOException, RefusalException {
    SseReader reader = new SseReader(in, max);
    List<String> events = new ArrayList<>();
    for (SseReader.Event event = reader.next(); event != null; event = reader.next()) {
      events.add(event.id() + "|" + new String(event.data(), StandardCharsets.UTF_8));
    }
    return events;
  }

  private static List<String> read(String stream) throws IOException, RefusalException {
    return read(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)), 1 << 20);
  }

  @Test
  void followsTheParsingRules() throws Exception {
    // data lines joined by LF; CR, LF and CRLF end lines; the empty-data priming event is not
    // returned but its id ("2") rides on the next event, whose bare "id" line resets it to "";
    // the unterminated last event is discarded.
    assertThat(read(STREAM)).containsExactly("1|{\"a\":\n1}", "null|x", "|last");
  }

  @Test
  void anIdHoldingNulIsIgnored() throws Exception {
    assertThat(read("id: a\u0000b\ndata: x\n\n")).containsExactly("null|x");
  }

  @Test
  void anEventOverTheCapIsRefusedWhateverItsLinesAre() {
    assertThatThrownBy(() -> read(new ByteArrayInputStream(("data: " + "x".repeat(100) + "\n\n").getBytes(StandardCharsets.UTF_8)), 64))
        .isInstanceOfSatisfying(
            RefusalException.class,
            e -> assertThat(e.refusal().reason()).isEqualTo(Reason.RESPONSE_TOO_LARGE));
    // Endless comments without a blank line count too.
    assertThatThrownBy(() -> read(new ByteArrayInputStream(":x\n".repeat(100).getBytes(StandardCharsets.UTF_8)), 64))
        .isInstanceOf(RefusalException.class);
  }

  @Test
  void theCapIsPerEvent() throws Exception {
    String event = "data: " + "x".repeat(50) + "\n\n";
    assertThat(read(new ByteArrayInputStream(event.repeat(10).getBytes(StandardCharsets.UTF_8)), 64))
        .hasSize(10);
  }

  /** However the bytes arrive (CR and LF split across reads included), the events are the same. */
  @Property(tries = 200)
  void chunkingDoesNotChangeTheEvents(@ForAll @IntRange(min = 1, max = 40) int chunk)
      throws Exception {
    byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
    InputStream trickle =
        new ByteArrayInputStream(bytes) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, chunk));
          }
        };
    assertThat(read(trickle, 1 << 20)).isEqualTo(read(STREAM));
  }
}
