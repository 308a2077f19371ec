package io.zogate.proxy.server;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import io.zogate.proxy.jsonrpc.ErrorBody;
import io.zogate.proxy.jsonrpc.JsonRpcId;
import io.zogate.proxy.jsonrpc.JsonRpcMessage;
import io.zogate.proxy.jsonrpc.Refusal;
import io.zogate.proxy.upstream.ClientResponder;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes answers to the client: the forwarder's relayed replies and the pipeline's refusals,
 * rendered here and nowhere else. Knows whether the answer has started, so nothing is ever
 * written twice.
 */
final class ExchangeResponder implements ClientResponder {
  private static final byte[] ID_PREFIX = "id: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DATA_PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EVENT_END = "\n\n".getBytes(StandardCharsets.US_ASCII);

  private final HttpExchange exchange;
  private final String traceId;
  private ProxyCall call;
  private boolean committed;

  ExchangeResponder(HttpExchange exchange, String traceId) {
    this.exchange = exchange;
    this.traceId = traceId;
  }

  void attach(ProxyCall call) {
    this.call = call;
  }

  boolean committed() {
    return committed;
  }

  @Override
  public void sendJson(int status, Map<String, String> headers, byte[] body) throws IOException {
    begin(headers, "application/json");
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void sendEmpty(int status, Map<String, String> headers) throws IOException {
    begin(headers, null);
    exchange.sendResponseHeaders(status, -1);
  }

  @Override
  public EventStream openEventStream(Map<String, String> headers) throws IOException {
    begin(headers, "text/event-stream");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    return new EventStream() {
      @Override
      public void send(String eventId, byte[] json) throws IOException {
        if (eventId != null) {
          out.write(ID_PREFIX);
          out.write(eventId.getBytes(StandardCharsets.UTF_8));
          out.write('\n');
        }
        out.write(DATA_PREFIX);
        out.write(json);
        out.write(EVENT_END);
        out.flush();
      }

      @Override
      public void sendError(Refusal refusal) throws IOException {
        send(null, ErrorBody.render(refusal, call == null ? null : call.errorId(), traceId));
      }

      @Override
      public void close() throws IOException {
        out.close();
      }
    };
  }

  /** Renders a refusal as the contract's JSON-RPC error with its HTTP status. */
  void sendRefusal(Refusal refusal) throws IOException {
    JsonRpcId id = call == null ? null : call.errorId();
    byte[] body = ErrorBody.render(refusal, id, traceId);
    Object retryAfter = refusal.data().get("retryAfterSeconds");
    begin(retryAfter == null ? Map.of() : Map.of("Retry-After", retryAfter.toString()), "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(httpStatus(refusal), body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  void sendPlain(int status, Map<String, String> headers) throws IOException {
    begin(headers, null);
    exchange.sendResponseHeaders(status, -1);
  }

  /**
   * The table's status, except for the outcome of a notification or client response: those
   * get no JSON-RPC answer, so a 200 would read as success. They get the HTTP status of
   * their failure instead (CONTRACT.md section 3).
   */
  int httpStatus(Refusal refusal) {
    int status = refusal.code().httpStatus();
    JsonRpcMessage message = call == null ? null : call.message();
    if (status != 200 || message == null || message.kind() == JsonRpcMessage.Kind.REQUEST) {
      return status;
    }
    return switch (refusal.code()) {
      case GOVERNANCE_DENIED, GOVERNANCE_ESCALATION -> 403;
      case UPSTREAM_TIMEOUT -> 504;
      default -> 502;
    };
  }

  private void begin(Map<String, String> headers, String contentType) {
    if (committed) {
      throw new IllegalStateException("answer already started");
    }
    committed = true;
    Headers h = exchange.getResponseHeaders();
    headers.forEach(h::set);
    if (contentType != null) {
      h.set("Content-Type", contentType);
    }
    h.set("X-Zo-Trace-Id", traceId);
  }
}
