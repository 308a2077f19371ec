package io.zogate.proxy.auth;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.util.List;
import java.util.function.Function;

/**
 * The five actor-proof headers of one request (CONTRACT.md section 1), each present exactly
 * once and syntactically valid. Values are kept exactly as received: never trimmed, never
 * case-folded, because the signature covers the bytes the client sent.
 *
 * @param actorId {@code x-actor-id}
 * @param kid {@code x-actor-kid}
 * @param tsText {@code x-actor-ts} as received (it is what was signed)
 * @param tsMillis the same timestamp as a number
 * @param nonce {@code x-actor-nonce}
 * @param sigHex {@code x-actor-sig}, lower-case hex of 32 or 64 bytes
 */
public record ActorHeaders(
    String actorId, String kid, String tsText, long tsMillis, String nonce, String sigHex) {

  public static final String ACTOR_ID = "x-actor-id";
  public static final String KID = "x-actor-kid";
  public static final String TS = "x-actor-ts";
  public static final String NONCE = "x-actor-nonce";
  public static final String SIG = "x-actor-sig";

  /** In the contract's table order, which is also the order failures are reported in. */
  public static final List<String> NAMES = List.of(ACTOR_ID, KID, TS, NONCE, SIG);

  private static final int MAX_ACTOR_ID = 256;
  private static final int MAX_KID = 64;
  private static final int TS_DIGITS = 13;
  private static final int MIN_NONCE = 16;
  private static final int MAX_NONCE = 128;

  public ActorHeaders {
    if (!isValidActorId(actorId)
        || !isValidKid(kid)
        || !isValidTimestamp(tsText)
        || Long.parseLong(tsText) != tsMillis
        || !isValidNonce(nonce)
        || !isValidSignatureHex(sigHex)) {
      // Only parse() builds these from the wire; reaching here is a programming error.
      throw new IllegalArgumentException("actor headers do not follow the contract's syntax");
    }
  }

  /**
   * Reads and checks the five headers: first that each is present exactly once (all five), then
   * their syntax (all five), so the answer does not depend on which malformed value came first.
   *
   * @param header returns every value of a header given its lower-case name; {@code null} or
   *     an empty list means absent
   * @throws RefusalException {@code missing_header}, {@code duplicate_header} or {@code
   *     malformed_header}; the log detail names the header, never its value
   */
  public static ActorHeaders parse(Function<String, List<String>> header) throws RefusalException {
    String[] values = new String[NAMES.size()];
    for (int i = 0; i < values.length; i++) {
      String name = NAMES.get(i);
      List<String> all = header.apply(name);
      if (all == null || all.isEmpty()) {
        throw new RefusalException(Reason.MISSING_HEADER, name);
      }
      if (all.size() > 1) {
        throw new RefusalException(Reason.DUPLICATE_HEADER, name);
      }
      values[i] = all.get(0);
      if (values[i] == null) {
        throw new RefusalException(Reason.MISSING_HEADER, name);
      }
    }
    String actorId = values[0];
    String kid = values[1];
    String ts = values[2];
    String nonce = values[3];
    String sig = values[4];
    if (!isValidActorId(actorId)) {
      throw new RefusalException(Reason.MALFORMED_HEADER, ACTOR_ID);
    }
    if (!isValidKid(kid)) {
      throw new RefusalException(Reason.MALFORMED_HEADER, KID);
    }
    if (!isValidTimestamp(ts)) {
      throw new RefusalException(Reason.MALFORMED_HEADER, TS);
    }
    if (!isValidNonce(nonce)) {
      throw new RefusalException(Reason.MALFORMED_HEADER, NONCE);
    }
    if (!isValidSignatureHex(sig)) {
      throw new RefusalException(Reason.MALFORMED_HEADER, SIG);
    }
    return new ActorHeaders(actorId, kid, ts, Long.parseLong(ts), nonce, sig);
  }

  /**
   * 1-256 chars of {@code [A-Za-z0-9._~:@/+=-]}, and no segment between {@code /} or {@code :}
   * separators (or the ends) that is exactly {@code .} or {@code ..}: such an id could be read
   * as a path that climbs, and the contract compares ids byte for byte, never normalised.
   */
  public static boolean isValidActorId(String s) {
    if (s == null || s.isEmpty() || s.length() > MAX_ACTOR_ID) {
      return false;
    }
    int segmentStart = 0;
    for (int i = 0; i <= s.length(); i++) {
      if (i == s.length() || s.charAt(i) == '/' || s.charAt(i) == ':') {
        if (isDotSegment(s, segmentStart, i)) {
          return false;
        }
        segmentStart = i + 1;
        continue;
      }
      if (!isActorIdChar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDotSegment(String s, int from, int to) {
    int length = to - from;
    return (length == 1 && s.charAt(from) == '.')
        || (length == 2 && s.charAt(from) == '.' && s.charAt(from + 1) == '.');
  }

  static boolean isActorIdChar(char c) {
    return isAlnum(c)
        || c == '.' || c == '_' || c == '~' || c == ':' || c == '@'
        || c == '/' || c == '+' || c == '=' || c == '-';
  }

  /** 1-64 chars of {@code [A-Za-z0-9._-]}. */
  public static boolean isValidKid(String s) {
    if (s == null || s.isEmpty() || s.length() > MAX_KID) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(isAlnum(c) || c == '.' || c == '_' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /** Exactly 13 ASCII digits, the first not zero (so the text has one spelling per instant). */
  public static boolean isValidTimestamp(String s) {
    if (s == null || s.length() != TS_DIGITS || s.charAt(0) == '0') {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** 16-128 chars of {@code [A-Za-z0-9_-]} (the base64url alphabet, no padding). */
  public static boolean isValidNonce(String s) {
    if (s == null || s.length() < MIN_NONCE || s.length() > MAX_NONCE) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(isAlnum(c) || c == '_' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Lower-case hex of 64 or 128 chars. Whether the length fits the key's algorithm is decided
   * at verification (step 4), since the algorithm is the key's, not the header's.
   */
  public static boolean isValidSignatureHex(String s) {
    return s != null && (s.length() == 64 || s.length() == 128) && Hex.isLowerHex(s);
  }

  private static boolean isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  /** Redacts the signature: it is a bearer proof within the replay window. */
  @Override
  public String toString() {
    return "ActorHeaders[actorId=" + actorId + ", kid=" + kid + ", ts=" + tsText
        + ", nonce=" + nonce + ", sig=redacted]";
  }
}
