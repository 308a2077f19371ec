package io.zogate.proxy.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A signer written from CONTRACT.md section 1 with plain JDK crypto, sharing no code with
 * {@link ActorSigner} or {@link StringToSign}: the verifier is checked against both, so a bug
 * common to the production signer and verifier cannot hide.
 */
final class IndependentSigner {
  private IndependentSigner() {}

  static String stringToSign(String kid, String actor, String ts, String nonce, String method,
      String authority, String target, byte[] body) throws Exception {
    String bodyHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    return String.join("\n", "zo-actor-proof-v1", kid, actor, ts, nonce, method, authority,
        target, bodyHash);
  }

  static String hmacHex(byte[] secret, String text) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
  }

  static String ed25519Hex(PrivateKey key, String text) throws Exception {
    Signature signature = Signature.getInstance("Ed25519");
    signature.initSign(key);
    signature.update(text.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(signature.sign());
  }
}
