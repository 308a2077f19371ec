package io.zogate.proxy.auth;

import java.nio.charset.StandardCharsets;

/**
 * The bytes an actor proof signs (CONTRACT.md section 1): nine lines joined by {@code \n}, no
 * trailing newline, UTF-8. Every line is checked to hold no line break, so no value can shift
 * the others and make two different requests sign the same bytes.
 */
public final class StringToSign {
  public static final String VERSION_LINE = "zo-actor-proof-v1";

  private StringToSign() {}

  /**
   * @param method the HTTP method, upper case
   * @param authority the canonical authority ({@link Authority#canonicalize})
   * @param target the request target exactly as on the request line (origin form)
   * @param bodySha256Hex lower-case hex SHA-256 of the exact body bytes
   */
  public static byte[] of(
      ActorHeaders h, String method, String authority, String target, String bodySha256Hex) {
    if (method == null || method.isEmpty() || !method.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
      throw new IllegalArgumentException("method must be upper-case letters");
    }
    requireSingleLine(authority, "authority");
    requireSingleLine(target, "target");
    if (bodySha256Hex == null || bodySha256Hex.length() != 64 || !Hex.isLowerHex(bodySha256Hex)) {
      throw new IllegalArgumentException("body hash must be 64 lower-case hex chars");
    }
    String text = VERSION_LINE + '\n'
        + h.kid() + '\n'
        + h.actorId() + '\n'
        + h.tsText() + '\n'
        + h.nonce() + '\n'
        + method + '\n'
        + authority + '\n'
        + target + '\n'
        + bodySha256Hex;
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void requireSingleLine(String value, String what) {
    if (value == null || value.isEmpty() || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
      throw new IllegalArgumentException(what + " must be one non-empty line");
    }
  }
}
