package io.zogate.adversarial.harness;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.HexFormat;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The suite's own signer, written from CONTRACT.md section 1 with plain JDK crypto. It shares
 * no code with the proxy (nor with the proxy module's test signer), so a misreading of the
 * contract on either side shows up as a failing case instead of two sides agreeing.
 */
public final class Signer {
  private final String kid;
  private final byte[] hmacSecret;
  private final PrivateKey ed25519;

  private Signer(String kid, byte[] hmacSecret, PrivateKey ed25519) {
    this.kid = kid;
    this.hmacSecret = hmacSecret;
    this.ed25519 = ed25519;
  }

  public static Signer hmac(String kid, byte[] secret) {
    return new Signer(kid, secret.clone(), null);
  }

  public static Signer ed25519(String kid, PrivateKey key) {
    return new Signer(kid, null, key);
  }

  public String kid() {
    return kid;
  }

  public boolean isHmac() {
    return hmacSecret != null;
  }

  /** The nine lines of zo-actor-proof-v1, joined by LF, no trailing newline. */
  public static String stringToSign(String kid, String actor, String ts, String nonce, String method,
      String authority, String target, byte[] body) {
    return String.join("\n", "zo-actor-proof-v1", kid, actor, ts, nonce, method, authority, target,
        sha256Hex(body));
  }

  /** Lowercase hex of the signature over the UTF-8 bytes of the payload. */
  public String sign(String payload) {
    return HexFormat.of().formatHex(signBytes(payload.getBytes(StandardCharsets.UTF_8)));
  }

  public byte[] signBytes(byte[] msg) {
    try {
      if (hmacSecret != null) {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(hmacSecret, "HmacSHA256"));
        return mac.doFinal(msg);
      }
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(ed25519);
      s.update(msg);
      return s.sign();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
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
