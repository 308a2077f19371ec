package io.zogate.proxy.governance;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The canonical encoding of a ledger entry and its chain hash, format {@code zo-ledger-v1}
 * (docs/LEDGER.md is the normative description; this class is its reference).
 *
 * <p>The encoding is a list of fields in a fixed order, each written as a 4-byte big-endian
 * length followed by that many bytes of UTF-8; an absent (null) field is the length
 * {@code 0xFFFFFFFF} with no bytes, so absent and empty differ. Numbers are written in decimal
 * ASCII ({@link Long#toString}). The fields, in order:
 *
 * <pre>
 *   "zo-ledger-v1", seq, time (Unix ms), kind, request_id, trace_id, actor, operation, tool,
 *   decision, rule, risk, ref_seq, result, status, reason, target count, target 1 .. target n
 * </pre>
 *
 * <p>The entry's hash is {@code SHA-256(prev || encoding)}, where {@code prev} is the 32 raw
 * bytes of the previous entry's hash (32 zero bytes for entry 1), written as 64 lowercase hex
 * chars. Because every field is length-prefixed, no two different entries share an encoding;
 * because the sequence number and previous hash are inside the hash, an entry cannot be moved,
 * dropped from the middle or edited without breaking every later link.
 */
public final class LedgerCanonical {
  public static final String FORMAT = "zo-ledger-v1";
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] ABSENT = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};

  private LedgerCanonical() {}

  /** The canonical bytes of an entry. Strings must be valid Unicode (no lone surrogates). */
  public static byte[] encode(long seq, long timeMillis, LedgerRecord r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    field(out, FORMAT);
    field(out, Long.toString(seq));
    field(out, Long.toString(timeMillis));
    field(out, r.kind().wire());
    field(out, r.requestId());
    field(out, r.traceId());
    field(out, r.actor());
    field(out, r.operation());
    field(out, r.tool());
    field(out, r.decision());
    field(out, r.rule());
    field(out, r.risk());
    field(out, r.refSeq() == null ? null : Long.toString(r.refSeq()));
    field(out, r.result());
    field(out, r.status() == null ? null : Integer.toString(r.status()));
    field(out, r.reason());
    field(out, Integer.toString(r.targets().size()));
    for (String t : r.targets()) {
      field(out, t);
    }
    return out.toByteArray();
  }

  /** {@code SHA-256(prevHash bytes || canonical)} as lowercase hex. */
  public static String chainHash(String prevHashHex, byte[] canonical) {
    if (!isHashHex(prevHashHex)) {
      throw new IllegalArgumentException("previous hash must be 64 lowercase hex chars");
    }
    MessageDigest sha = sha256();
    sha.update(HEX.parseHex(prevHashHex));
    sha.update(canonical);
    return HEX.formatHex(sha.digest());
  }

  /** The hash of an entry with these contents, chained to {@code prevHashHex}. */
  public static String hash(String prevHashHex, long seq, long timeMillis, LedgerRecord r) {
    return chainHash(prevHashHex, encode(seq, timeMillis, r));
  }

  public static boolean isHashHex(String s) {
    if (s == null || s.length() != 64) {
      return false;
    }
    for (int i = 0; i < 64; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static void field(ByteArrayOutputStream out, String value) {
    if (value == null) {
      out.writeBytes(ABSENT);
      return;
    }
    byte[] bytes = utf8(value);
    int n = bytes.length;
    out.write(n >>> 24);
    out.write(n >>> 16);
    out.write(n >>> 8);
    out.write(n);
    out.writeBytes(bytes);
  }

  /** Strict UTF-8: a lone surrogate would otherwise become '?' and two strings would collide. */
  private static byte[] utf8(String s) {
    CharsetEncoder enc = StandardCharsets.UTF_8.newEncoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      ByteBuffer b = enc.encode(CharBuffer.wrap(s));
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      return bytes;
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("ledger fields must be valid Unicode", e);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }
}
