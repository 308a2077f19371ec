package io.zogate.proxy.jsonrpc;

/**
 * A strict UTF-8 validator (RFC 3629, Unicode table 3-7): no overlong forms, no encoded
 * surrogates, nothing above U+10FFFF, no truncated sequence. Written out rather than delegated
 * so the exact rule is visible and the common ASCII case costs one comparison per byte.
 */
final class Utf8 {
  private Utf8() {}

  static void validate(byte[] b, int off, int len) throws RefusalException {
    int i = off;
    int end = off + len;
    while (i < end) {
      int c = b[i] & 0xFF;
      if (c < 0x80) {
        i++;
        continue;
      }
      int need;
      int lo = 0x80;
      int hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
      } else if (c == 0xE0) {
        need = 2;
        lo = 0xA0;
      } else if (c >= 0xE1 && c <= 0xEC || c == 0xEE || c == 0xEF) {
        need = 2;
      } else if (c == 0xED) {
        need = 2;
        hi = 0x9F;
      } else if (c == 0xF0) {
        need = 3;
        lo = 0x90;
      } else if (c >= 0xF1 && c <= 0xF3) {
        need = 3;
      } else if (c == 0xF4) {
        need = 3;
        hi = 0x8F;
      } else {
        throw new RefusalException(Reason.INVALID_UTF8, "invalid lead byte");
      }
      if (i + need >= end) {
        throw new RefusalException(Reason.INVALID_UTF8, "truncated sequence");
      }
      int second = b[i + 1] & 0xFF;
      if (second < lo || second > hi) {
        throw new RefusalException(Reason.INVALID_UTF8, "invalid continuation");
      }
      for (int k = 2; k <= need; k++) {
        int cont = b[i + k] & 0xFF;
        if (cont < 0x80 || cont > 0xBF) {
          throw new RefusalException(Reason.INVALID_UTF8, "invalid continuation");
        }
      }
      i += need + 1;
    }
  }
}
