package io.zogate.proxy.jsonrpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Renders a refusal as the contract's JSON-RPC error object, the only place that does:
 * {@code {"jsonrpc":"2.0","id":..,"error":{"code":..,"message":..,"data":{"reason":..,"traceId":..}}}}.
 */
public final class ErrorBody {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ErrorBody() {}

  public static byte[] render(Refusal refusal, JsonRpcId idOrNull, String traceId) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("jsonrpc", "2.0");
    if (idOrNull == null) {
      root.putNull("id");
    } else {
      root.set("id", idOrNull.toJsonNode());
    }
    ObjectNode error = root.putObject("error");
    error.put("code", refusal.code().code());
    error.put("message", refusal.code().message());
    ObjectNode data = error.putObject("data");
    data.put("reason", refusal.reason().wire());
    data.put("traceId", traceId);
    refusal.data().forEach((k, v) -> data.set(k, MAPPER.valueToTree(v)));
    try {
      return MAPPER.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
