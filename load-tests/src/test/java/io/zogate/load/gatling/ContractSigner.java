package io.zogate.load.gatling;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs requests with {@code zo-actor-proof-v1}, HMAC-SHA256, written from CONTRACT.md
 * section 1 and not from the proxy's own signer (so a drift between the two shows up as 401s):
 * the nine lines {@code zo-actor-proof-v1, kid, actor id, ts, nonce, METHOD, authority, request
 * target, hex SHA-256 of the body} joined by {@code \n} with no trailing newline, signed with
 * the key's secret, sent as lowercase hex. Every call takes a fresh timestamp (13-digit Unix
 * milliseconds) and a fresh 24-character base64url nonce.
 */
final class ContractSigner {
  static final String PROOF_VERSION = "zo-actor-proof-v1";

  private final String kid;
  private final byte[] secret;
  private final SecureRandom random = new SecureRandom();
  private final ThreadLocal<Mac> macs;

  ContractSigner(String kid, byte[] secret) {
    this.kid = kid;
    this.secret = secret.clone();
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(this.secret, "HmacSHA256"));
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  String kid() {
    return kid;
  }

  /** The nine lines of CONTRACT section 1, joined by LF, no trailing newline. */
  static String stringToSign(String kid, String actor, String ts, String nonce, String method,
      String authority, String target, byte[] body) {
    return String.join("\n", PROOF_VERSION, kid, actor, ts, nonce, method, authority, target,
        sha256Hex(body));
  }

  /** The five x-actor-* headers for one request, in a fresh map. */
  Map<String, String> headers(String actor, String method, String authority, String target, byte[] body) {
    String ts = Long.toString(System.currentTimeMillis());
    byte[] nonceBytes = new byte[18];
    random.nextBytes(nonceBytes);
    String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(nonceBytes);
    String toSign = stringToSign(kid, actor, ts, nonce, method, authority, target, body);
    String sig = HexFormat.of().formatHex(macs.get().doFinal(toSign.getBytes(StandardCharsets.UTF_8)));
    Map<String, String> h = new LinkedHashMap<>();
    h.put("x-actor-id", actor);
    h.put("x-actor-kid", kid);
    h.put("x-actor-ts", ts);
    h.put("x-actor-nonce", nonce);
    h.put("x-actor-sig", sig);
    return h;
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
