package io.zogate.proxy.auth;

/** Lower-case hex, the only spelling the contract uses for signatures and hashes. */
final class Hex {
  private static final char[] DIGITS = "0123456789abcdef".toCharArray();

  private Hex() {}

  static String encode(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = DIGITS[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = DIGITS[bytes[i] & 0xf];
    }
    return new String(out);
  }

  /** True when {@code s} is non-empty, even-length, lower-case hex. */
  static boolean isLowerHex(String s) {
    if (s.isEmpty() || (s.length() & 1) != 0) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (lowerHexValue(s.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Decodes lower-case hex; anything else is an {@link IllegalArgumentException}. */
  static byte[] decodeLower(String s) {
    if ((s.length() & 1) != 0) {
      throw new IllegalArgumentException("odd hex length");
    }
    byte[] out = new byte[s.length() / 2];
    for (int i = 0; i < out.length; i++) {
      int hi = lowerHexValue(s.charAt(2 * i));
      int lo = lowerHexValue(s.charAt(2 * i + 1));
      if (hi < 0 || lo < 0) {
        throw new IllegalArgumentException("not lower-case hex");
      }
      out[i] = (byte) ((hi << 4) | lo);
    }
    return out;
  }

  private static int lowerHexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }
}
