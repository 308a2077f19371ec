package io.zogate.proxy.jsonrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.Objects;

/**
 * A JSON-RPC id as the contract allows it: a string, or an integer within 2^53. Equal only
 * when both the JSON type and the value are equal, so {@code 1} never answers {@code "1"}.
 */
public final class JsonRpcId {
  private final String string;
  private final long number;

  private JsonRpcId(String string, long number) {
    this.string = string;
    this.number = number;
  }

  public static JsonRpcId of(String s) {
    return new JsonRpcId(Objects.requireNonNull(s), 0);
  }

  public static JsonRpcId of(long n) {
    if (n > StrictJsonReader.MAX_EXACT_INTEGER || n < -StrictJsonReader.MAX_EXACT_INTEGER) {
      throw new IllegalArgumentException("id beyond 2^53");
    }
    return new JsonRpcId(null, n);
  }

  /** The id member's value; BAD_ID for null, booleans, fractions, float syntax, structures. */
  public static JsonRpcId from(JsonNode node) throws RefusalException {
    return from(node, Reason.BAD_ID);
  }

  static JsonRpcId from(JsonNode node, Reason refusal) throws RefusalException {
    if (node != null && node.isTextual()) {
      return new JsonRpcId(node.asText(), 0);
    }
    if (node != null && node.isIntegralNumber() && node.canConvertToLong()) {
      long n = node.longValue();
      if (n <= StrictJsonReader.MAX_EXACT_INTEGER && n >= -StrictJsonReader.MAX_EXACT_INTEGER) {
        return new JsonRpcId(null, n);
      }
    }
    throw new RefusalException(refusal, "id is " + (node == null ? "absent" : node.getNodeType()));
  }

  public boolean isString() {
    return string != null;
  }

  public JsonNode toJsonNode() {
    return string != null ? JsonNodeFactory.instance.textNode(string) : JsonNodeFactory.instance.numberNode(number);
  }

  /** RFC 8785 form: {@code 1} or {@code "1"} (integers within 2^53 print as themselves). */
  public String canonicalJson() {
    return string != null ? Jcs.canonicalString(string) : Long.toString(number);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JsonRpcId other && Objects.equals(string, other.string)
        && (string != null || number == other.number);
  }

  @Override
  public int hashCode() {
    return string != null ? string.hashCode() : Long.hashCode(number) * 31 + 7;
  }

  @Override
  public String toString() {
    return canonicalJson();
  }
}
