package io.zogate.proxy.jsonrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Set;

/**
 * One JSON-RPC 2.0 message, checked for shape. Built only by {@link #fromClient} or
 * {@link #fromUpstream}, which apply the same rules and differ in the reasons they refuse
 * with.
 *
 * @param id the id; null for a notification (and for an upstream error response with id null)
 * @param method null for a response
 * @param params null when absent
 * @param node the whole message
 */
public record JsonRpcMessage(Kind kind, JsonRpcId id, String method, JsonNode params, ObjectNode node) {
  public enum Kind {
    REQUEST,
    NOTIFICATION,
    RESPONSE
  }

  private static final Set<String> MEMBERS = Set.of("jsonrpc", "id", "method", "params", "result", "error");

  /** A message from the client: -32600 reasons. */
  public static JsonRpcMessage fromClient(JsonNode node) throws RefusalException {
    if (node.isArray()) {
      throw new RefusalException(Reason.BATCH_UNSUPPORTED, "batch");
    }
    return parse(node, Reason.NOT_JSONRPC, Reason.BAD_ID, false);
  }

  /** A message from upstream: every shape failure is -32022 {@code not_jsonrpc}. */
  public static JsonRpcMessage fromUpstream(JsonNode node) throws RefusalException {
    return parse(node, Reason.UPSTREAM_NOT_JSONRPC, Reason.UPSTREAM_NOT_JSONRPC, true);
  }

  private static JsonRpcMessage parse(JsonNode node, Reason shape, Reason badId, boolean fromUpstream)
      throws RefusalException {
    if (!node.isObject()) {
      throw new RefusalException(shape, "not an object");
    }
    ObjectNode obj = (ObjectNode) node;
    for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!MEMBERS.contains(name)) {
        throw new RefusalException(shape, "unknown member");
      }
    }
    JsonNode version = obj.get("jsonrpc");
    if (version == null || !version.isTextual() || !version.asText().equals("2.0")) {
      throw new RefusalException(shape, "jsonrpc is not \"2.0\"");
    }
    boolean hasResult = obj.has("result");
    boolean hasError = obj.has("error");
    JsonNode methodNode = obj.get("method");
    if (methodNode != null) {
      if (hasResult || hasError) {
        throw new RefusalException(shape, "method with result or error");
      }
      if (!methodNode.isTextual() || methodNode.asText().isEmpty()) {
        throw new RefusalException(shape, "method is not a non-empty string");
      }
      JsonNode params = obj.get("params");
      if (params != null && !params.isObject() && !params.isArray()) {
        throw new RefusalException(shape, "params is not an object or array");
      }
      if (obj.has("id")) {
        return new JsonRpcMessage(Kind.REQUEST, JsonRpcId.from(obj.get("id"), badId), methodNode.asText(), params, obj);
      }
      return new JsonRpcMessage(Kind.NOTIFICATION, null, methodNode.asText(), params, obj);
    }
    if (obj.has("params")) {
      throw new RefusalException(shape, "params without method");
    }
    if (hasResult == hasError) {
      throw new RefusalException(shape, hasResult ? "both result and error" : "neither method, result nor error");
    }
    if (hasError) {
      JsonNode error = obj.get("error");
      if (!error.isObject() || !error.path("code").isIntegralNumber() || !error.path("message").isTextual()) {
        throw new RefusalException(shape, "error is not {code, message}");
      }
      for (Iterator<String> it = error.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        if (!name.equals("code") && !name.equals("message") && !name.equals("data")) {
          throw new RefusalException(shape, "unknown member of error");
        }
      }
    }
    JsonNode idNode = obj.get("id");
    if (idNode == null) {
      throw new RefusalException(shape, "response without id");
    }
    if (fromUpstream && idNode.isNull()) {
      return new JsonRpcMessage(Kind.RESPONSE, null, null, null, obj);
    }
    return new JsonRpcMessage(Kind.RESPONSE, JsonRpcId.from(idNode, badId), null, null, obj);
  }

  public boolean isResponse() {
    return kind == Kind.RESPONSE;
  }

  /** True iff this is a response carrying exactly that id (same JSON type and value). */
  public boolean answers(JsonRpcId requestId) {
    return kind == Kind.RESPONSE && id != null && id.equals(requestId);
  }
}
