package io.zogate.proxy.jsonrpc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Reads exactly one I-JSON value (RFC 8259 + RFC 7493) from UTF-8 bytes, refusing anything two
 * parsers could read differently: invalid UTF-8, a BOM, trailing data, duplicate keys at any
 * depth, unpaired surrogate escapes, numbers that overflow a double, integer literals beyond
 * 2^53, nesting deeper than the cap. Thread-safe; every refusal is a {@link RefusalException}
 * with a -32700 reason, and no other exception escapes for any input.
 */
public final class StrictJsonReader {
  /** 2^53: the largest magnitude every JSON reader represents exactly as an integer. */
  public static final long MAX_EXACT_INTEGER = 1L << 53;

  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(false);
  private final JsonFactory factory;
  private final int maxDepth;

  public StrictJsonReader(int maxDepth) {
    if (maxDepth < 1) {
      throw new IllegalArgumentException("maxDepth must be positive");
    }
    this.maxDepth = maxDepth;
    this.factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(maxDepth + 1)
            .maxNumberLength(Integer.MAX_VALUE)
            .maxStringLength(Integer.MAX_VALUE)
            .build())
        .build();
    // Duplicates are detected while building the tree, so the reason is exact.
    factory.disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  }

  public JsonNode read(byte[] bytes) throws RefusalException {
    return read(bytes, 0, bytes.length);
  }

  public JsonNode read(byte[] bytes, int offset, int length) throws RefusalException {
    Utf8.validate(bytes, offset, length);
    if (length >= 3 && (bytes[offset] & 0xFF) == 0xEF && (bytes[offset + 1] & 0xFF) == 0xBB
        && (bytes[offset + 2] & 0xFF) == 0xBF) {
      throw new RefusalException(Reason.INVALID_JSON, "byte order mark");
    }
    try (JsonParser p = factory.createParser(bytes, offset, length)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new RefusalException(Reason.INVALID_JSON, "empty");
      }
      JsonNode value = readValue(p, first, 0);
      if (p.nextToken() != null) {
        throw new RefusalException(Reason.INVALID_JSON, "trailing data");
      }
      return value;
    } catch (StreamConstraintsException e) {
      throw new RefusalException(Reason.TOO_DEEP, "parser constraint");
    } catch (IOException | RuntimeException e) {
      // JsonParseException and anything unexpected: never echo the parser's message, which
      // may quote the input.
      throw new RefusalException(Reason.INVALID_JSON, e.getClass().getSimpleName());
    }
  }

  private JsonNode readValue(JsonParser p, JsonToken t, int depth) throws IOException, RefusalException {
    switch (t) {
      case START_OBJECT: {
        checkDepth(depth + 1);
        ObjectNode obj = NODES.objectNode();
        JsonToken k;
        while ((k = p.nextToken()) == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          checkSurrogates(name);
          JsonNode v = readValue(p, p.nextToken(), depth + 1);
          if (obj.has(name)) {
            throw new RefusalException(Reason.DUPLICATE_KEY, "duplicate key");
          }
          obj.set(name, v);
        }
        expect(k, JsonToken.END_OBJECT);
        return obj;
      }
      case START_ARRAY: {
        checkDepth(depth + 1);
        ArrayNode arr = NODES.arrayNode();
        JsonToken e;
        while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
          if (e == null) {
            throw new RefusalException(Reason.INVALID_JSON, "unterminated array");
          }
          arr.add(readValue(p, e, depth + 1));
        }
        return arr;
      }
      case VALUE_STRING: {
        String s = p.getText();
        checkSurrogates(s);
        return NODES.textNode(s);
      }
      case VALUE_NUMBER_INT: {
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
          throw new RefusalException(Reason.NOT_I_JSON, "integer beyond 2^53");
        }
        long v = p.getLongValue();
        if (v > MAX_EXACT_INTEGER || v < -MAX_EXACT_INTEGER) {
          throw new RefusalException(Reason.NOT_I_JSON, "integer beyond 2^53");
        }
        return NODES.numberNode(v);
      }
      case VALUE_NUMBER_FLOAT: {
        double d = p.getDoubleValue();
        if (Double.isInfinite(d) || Double.isNaN(d)) {
          throw new RefusalException(Reason.NOT_I_JSON, "number outside double range");
        }
        return NODES.numberNode(d);
      }
      case VALUE_TRUE:
        return NODES.booleanNode(true);
      case VALUE_FALSE:
        return NODES.booleanNode(false);
      case VALUE_NULL:
        return NODES.nullNode();
      default:
        throw new RefusalException(Reason.INVALID_JSON, "unexpected " + t);
    }
  }

  private void checkDepth(int depth) throws RefusalException {
    if (depth > maxDepth) {
      throw new RefusalException(Reason.TOO_DEEP, "depth over " + maxDepth);
    }
  }

  private static void expect(JsonToken actual, JsonToken expected) throws RefusalException {
    if (actual != expected) {
      throw new RefusalException(Reason.INVALID_JSON, "expected " + expected);
    }
  }

  /**
   * The input is valid UTF-8, so surrogates can only come from {@code \\u} escapes: each high
   * surrogate must be followed by a low one, and no low one may stand alone.
   */
  static void checkSurrogates(String s) throws RefusalException {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          throw new RefusalException(Reason.NOT_I_JSON, "unpaired surrogate");
        }
      } else if (Character.isLowSurrogate(c)) {
        throw new RefusalException(Reason.NOT_I_JSON, "unpaired surrogate");
      }
    }
  }
}
