package io.zogate.proxy.upstream;

import io.zogate.proxy.jsonrpc.Refusal;
import java.io.Closeable;
import java.io.IOException;
import java.util.Map;

/**
 * Where the forwarder writes the answer to the client. The server package implements it over
 * its HTTP exchange; the forwarder never sees the exchange, so it cannot copy upstream headers
 * or bytes to the client by accident. Every method throws IOException when the client is gone.
 */
public interface ClientResponder {

  /** A complete JSON answer; {@code body} is re-encoded JSON, never upstream bytes. */
  void sendJson(int status, Map<String, String> headers, byte[] body) throws IOException;

  /** An answer without a body (202 for notifications, 404 for a gone session). */
  void sendEmpty(int status, Map<String, String> headers) throws IOException;

  /** Starts a 200 {@code text/event-stream} answer with these headers. */
  EventStream openEventStream(Map<String, String> headers) throws IOException;

  /** An open event stream to the client. */
  interface EventStream extends Closeable {

    /**
     * Writes {@code id: <id>\n} when {@code eventIdOrNull} is not null, then exactly one
     * {@code data: <json>\n\n}, and flushes. {@code json} holds no line break (it comes from
     * JsonRpcWriter).
     */
    void send(String eventIdOrNull, byte[] json) throws IOException;

    /** Writes the JSON-RPC error event for the request (the server knows its id). */
    void sendError(Refusal refusal) throws IOException;
  }
}
