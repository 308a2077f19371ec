package io.zogate.proxy.testing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs requests the way CONTRACT.md section 1 says, written from the contract alone with
 * plain JDK crypto, independent of the production signer, so a shared misreading of the
 * contract cannot make both sides agree on something wrong.
 */
public final class TestSigner {
  private final String kid;
  private final byte[] hmacSecret;
  private final PrivateKey ed25519;

  private TestSigner(String kid, byte[] hmacSecret, PrivateKey ed25519) {
    this.kid = kid;
    this.hmacSecret = hmacSecret;
    this.ed25519 = ed25519;
  }

  public static TestSigner hmac(String kid, byte[] secret) {
    return new TestSigner(kid, secret.clone(), null);
  }

  public static TestSigner ed25519(String kid, PrivateKey key) {
    return new TestSigner(kid, null, key);
  }

  public String kid() {
    return kid;
  }

  /** The nine lines, joined by LF, no trailing newline. */
  public static String stringToSign(String kid, String actor, String ts, String nonce, String method,
      String authority, String target, byte[] body) {
    return String.join("\n", "zo-actor-proof-v1", kid, actor, ts, nonce, method, authority, target, sha256Hex(body));
  }

  public String sign(String payload) {
    try {
      byte[] msg = payload.getBytes(StandardCharsets.UTF_8);
      if (hmacSecret != null) {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(hmacSecret, "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(msg));
      }
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(ed25519);
      s.update(msg);
      return HexFormat.of().formatHex(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Headers for a request, in a fixed order; callers may alter any before sending. */
  public Map<String, String> headers(String actor, long tsMillis, String nonce, String method, String authority,
      String target, byte[] body) {
    String ts = Long.toString(tsMillis);
    Map<String, String> h = new LinkedHashMap<>();
    h.put("x-actor-id", actor);
    h.put("x-actor-kid", kid);
    h.put("x-actor-ts", ts);
    h.put("x-actor-nonce", nonce);
    h.put("x-actor-sig", sign(stringToSign(kid, actor, ts, nonce, method, authority, target, body)));
    return h;
  }

  public Map<String, String> headers(String actor, String method, String authority, String target, byte[] body) {
    return headers(actor, System.currentTimeMillis(), freshNonce(), method, authority, target, body);
  }

  public static String freshNonce() {
    return UUID.randomUUID().toString().replace("-", "");
  }

  public static String sha256Hex(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
