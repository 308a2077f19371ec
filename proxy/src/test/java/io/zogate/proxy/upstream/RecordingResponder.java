package io.zogate.proxy.upstream;

import io.zogate.proxy.jsonrpc.Refusal;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** A client side that records everything the forwarder hands it, in order. */
class RecordingResponder implements ClientResponder {

  sealed interface Call {}

  record Json(int status, Map<String, String> headers, String body) implements Call {}

  record Empty(int status, Map<String, String> headers) implements Call {}

  record Opened(Map<String, String> headers) implements Call {}

  record Event(String id, String json) implements Call {}

  record Error(Refusal refusal) implements Call {}

  record Closed() implements Call {}

  final List<Call> calls = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream everything = new ByteArrayOutputStream();

  @Override
  public synchronized void sendJson(int status, Map<String, String> headers, byte[] body) {
    record(headers.toString());
    record(new String(body, StandardCharsets.UTF_8));
    calls.add(new Json(status, Map.copyOf(headers), new String(body, StandardCharsets.UTF_8)));
  }

  @Override
  public synchronized void sendEmpty(int status, Map<String, String> headers) {
    record(headers.toString());
    calls.add(new Empty(status, Map.copyOf(headers)));
  }

  @Override
  public synchronized EventStream openEventStream(Map<String, String> headers)
      throws java.io.IOException {
    record(headers.toString());
    calls.add(new Opened(Map.copyOf(headers)));
    return new EventStream() {
      @Override
      public void send(String eventIdOrNull, byte[] json) {
        String text = new String(json, StandardCharsets.UTF_8);
        record(String.valueOf(eventIdOrNull));
        record(text);
        calls.add(new Event(eventIdOrNull, text));
      }

      @Override
      public void sendError(Refusal refusal) {
        record(refusal.toString() + refusal.data() + refusal.logDetail());
        calls.add(new Error(refusal));
      }

      @Override
      public void close() {
        calls.add(new Closed());
      }
    };
  }

  private synchronized void record(String text) {
    everything.writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Everything handed over, as text, to check that no upstream secret got through. */
  synchronized String everythingHandedOver() {
    return everything.toString(StandardCharsets.UTF_8);
  }

  List<Event> events() {
    return calls.stream().filter(Event.class::isInstance).map(Event.class::cast).toList();
  }
}
