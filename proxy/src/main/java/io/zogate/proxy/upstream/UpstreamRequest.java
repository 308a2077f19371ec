package io.zogate.proxy.upstream;

import io.zogate.proxy.jsonrpc.JsonRpcId;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One authenticated, governed request to forward.
 *
 * @param method {@code POST}, {@code GET} or {@code DELETE} (the only methods on {@code /mcp})
 * @param body exactly the bytes the client signed, forwarded unchanged; empty for GET/DELETE
 * @param clientHeaders the client's headers, names as received; the forwarder picks the
 *     allowlisted ones itself, so callers pass everything and cannot leak by mistake
 * @param actorId the verified actor, sent upstream as {@code x-zo-actor}
 * @param expectedId the JSON-RPC id of a request, {@code null} for notifications, client
 *     responses and GET/DELETE
 * @param readOnly whether a failed connect or a reset before any reply byte may be retried once
 *     (only safe when the call has no effect upstream)
 */
public record UpstreamRequest(
    String method,
    byte[] body,
    Map<String, List<String>> clientHeaders,
    String actorId,
    JsonRpcId expectedId,
    boolean readOnly) {

  private static final Set<String> METHODS = Set.of("POST", "GET", "DELETE");

  public UpstreamRequest {
    Objects.requireNonNull(method, "method");
    if (!METHODS.contains(method)) {
      throw new IllegalArgumentException("method must be POST, GET or DELETE");
    }
    body = body == null ? new byte[0] : body.clone();
    if (!method.equals("POST") && body.length > 0) {
      throw new IllegalArgumentException(method + " carries no body");
    }
    Objects.requireNonNull(clientHeaders, "clientHeaders");
    var copy = new java.util.LinkedHashMap<String, List<String>>();
    clientHeaders.forEach((name, values) -> copy.put(name, List.copyOf(values)));
    clientHeaders = java.util.Collections.unmodifiableMap(copy);
    Objects.requireNonNull(actorId, "actorId");
    if (actorId.isEmpty() || !actorId.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
      throw new IllegalArgumentException("actorId must be visible ASCII");
    }
  }

  /** A copy: the record must stay immutable even though arrays are not. */
  @Override
  public byte[] body() {
    return body.clone();
  }

  /** The body without copying, for the forwarder's own use. */
  byte[] bodyBytes() {
    return body;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof UpstreamRequest that
        && method.equals(that.method)
        && java.util.Arrays.equals(body, that.body)
        && clientHeaders.equals(that.clientHeaders)
        && actorId.equals(that.actorId)
        && Objects.equals(expectedId, that.expectedId)
        && readOnly == that.readOnly;
  }

  @Override
  public int hashCode() {
    return Objects.hash(method, java.util.Arrays.hashCode(body), clientHeaders, actorId,
        expectedId, readOnly);
  }

  /** No body bytes in logs. */
  @Override
  public String toString() {
    return "UpstreamRequest[" + method + ", " + body.length + " body bytes, id=" + expectedId
        + ", readOnly=" + readOnly + "]";
  }
}
