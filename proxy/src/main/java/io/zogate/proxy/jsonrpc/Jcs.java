package io.zogate.proxy.jsonrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * RFC 8785 (JCS) canonical JSON, through the reference Java implementation
 * (io.github.erdtman:java-json-canonicalization). Because bodies are I-JSON, semantically
 * equal values (key order, whitespace, number spelling) have one canonical form, and
 * different values never share one.
 */
public final class Jcs {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);
  private static final String NULL_SHA256 = sha256Hex(NULL);

  private Jcs() {}

  /**
   * The canonical UTF-8 bytes of a value already read by {@link StrictJsonReader}. Scalars go
   * through a one-element array, as the library canonicalizes only objects and arrays.
   */
  public static byte[] canonicalize(JsonNode value) {
    if (value == null || value.isNull()) {
      return NULL.clone();
    }
    try {
      if (!value.isContainerNode()) {
        String array = new JsonCanonicalizer("[" + MAPPER.writeValueAsString(value) + "]").getEncodedString();
        return array.substring(1, array.length() - 1).getBytes(StandardCharsets.UTF_8);
      }
      return new JsonCanonicalizer(MAPPER.writeValueAsString(value)).getEncodedUTF8();
    } catch (IOException e) {
      throw new IllegalStateException("a strictly read value always canonicalizes", e);
    }
  }

  /** Lowercase hex SHA-256 of the canonical params; absent params count as {@code null}. */
  public static String paramsSha256Hex(JsonNode paramsOrNull) {
    if (paramsOrNull == null || paramsOrNull.isNull()) {
      return NULL_SHA256;
    }
    return sha256Hex(canonicalize(paramsOrNull));
  }

  /**
   * A string in canonical form (quotes and RFC 8785 escapes). The library canonicalizes only
   * objects and arrays, so the string goes in a one-element array that is then taken off.
   */
  static String canonicalString(String s) {
    try {
      String array = new JsonCanonicalizer(MAPPER.writeValueAsString(new String[] {s})).getEncodedString();
      return array.substring(1, array.length() - 1);
    } catch (IOException e) {
      throw new IllegalStateException("a string always canonicalizes", e);
    }
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
