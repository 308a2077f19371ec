package io.zogate.proxy.jsonrpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Compact UTF-8 serialization of validated messages: what the proxy re-emits, never raw bytes. */
public final class JsonRpcWriter {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonRpcWriter() {}

  public static byte[] write(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree always serializes", e);
    }
  }
}
