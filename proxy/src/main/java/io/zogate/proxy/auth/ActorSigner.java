package io.zogate.proxy.auth;


import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client side of the actor proof: produces the five {@code x-actor-*} headers for a request.
 * Used by the {@code sign} and {@code bridge} commands, the demo and test clients. Thread-safe.
 */
public final class ActorSigner {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** 24 random bytes are 32 base64url chars: inside the nonce syntax, 192 bits of entropy. */
  private static final int NONCE_RANDOM_BYTES = 24;

  private final String kid;
  private final String actorId;
  private final KeyAlgorithm algorithm;
  private final Secret hmacSecret;
  private final PrivateKey ed25519PrivateKey;
  private final Clock clock;

  private ActorSigner(String kid, String actorId, KeyAlgorithm algorithm, Secret hmacSecret,
      PrivateKey ed25519PrivateKey, Clock clock) {
    if (!ActorHeaders.isValidKid(kid)) {
      throw new IllegalArgumentException("kid must be 1-64 chars of [A-Za-z0-9._-]");
    }
    if (!ActorHeaders.isValidActorId(actorId)) {
      throw new IllegalArgumentException("not a valid actor id");
    }
    this.kid = kid;
    this.actorId = actorId;
    this.algorithm = algorithm;
    this.hmacSecret = hmacSecret;
    this.ed25519PrivateKey = ed25519PrivateKey;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Signs with a shared HMAC-SHA256 secret (at least 32 bytes, as in the keyring). */
  public static ActorSigner hmac(String kid, String actorId, Secret secret) {
    return hmac(kid, actorId, secret, Clock.systemUTC());
  }

  public static ActorSigner hmac(String kid, String actorId, Secret secret, Clock clock) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length() < ActorKey.MIN_HMAC_SECRET_BYTES) {
      throw new IllegalArgumentException("HMAC secret must be at least 32 bytes");
    }
    return new ActorSigner(kid, actorId, KeyAlgorithm.HMAC_SHA256, secret, null, clock);
  }

  /** Signs with an Ed25519 private key given as its 32-byte seed. */
  public static ActorSigner ed25519(String kid, String actorId, Secret privateSeed) {
    return ed25519(kid, actorId, privateSeed, Clock.systemUTC());
  }

  public static ActorSigner ed25519(String kid, String actorId, Secret privateSeed, Clock clock) {
    try {
      return ed25519(kid, actorId, Ed25519Keys.privateKey(privateSeed), clock);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 private seed");
    }
  }

  /** Signs with a JDK Ed25519 private key. */
  public static ActorSigner ed25519(String kid, String actorId, PrivateKey privateKey, Clock clock) {
    Objects.requireNonNull(privateKey, "privateKey");
    if (!"Ed25519".equals(privateKey.getAlgorithm()) && !"EdDSA".equals(privateKey.getAlgorithm())) {
      throw new IllegalArgumentException("not an Ed25519 private key");
    }
    return new ActorSigner(kid, actorId, KeyAlgorithm.ED25519, null, privateKey, clock);
  }

  public String kid() {
    return kid;
  }

  public String actorId() {
    return actorId;
  }

  /** Headers for a request signed now, with a fresh random nonce. */
  public Map<String, String> headers(String method, String authority, String target, byte[] body) {
    return headers(method, authority, target, body, clock.millis(), newNonce());
  }

  /**
   * Headers for a request signed at {@code tsMillis} with {@code nonce}.
   *
   * @param authority the canonical authority the proxy will see ({@code host:port})
   * @return the five headers, lower-case names, in the contract's order
   */
  public Map<String, String> headers(String method, String authority, String target, byte[] body,
      long tsMillis, String nonce) {
    if (!authority.equals(Authority.canonicalize(authority, 1).orElse(null))) {
      throw new IllegalArgumentException("authority must be canonical host:port");
    }
    String ts = Long.toString(tsMillis);
    if (!ActorHeaders.isValidTimestamp(ts)) {
      throw new IllegalArgumentException("ts must be 13 digits of Unix milliseconds");
    }
    if (!ActorHeaders.isValidNonce(nonce)) {
      throw new IllegalArgumentException("nonce must be 16-128 chars of [A-Za-z0-9_-]");
    }
    String placeholderSig = "0".repeat(algorithm.signatureBytes() * 2);
    ActorHeaders unsigned = new ActorHeaders(actorId, kid, ts, tsMillis, nonce, placeholderSig);
    byte[] message = StringToSign.of(unsigned, method, authority, target, sha256Hex(body));
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(ActorHeaders.ACTOR_ID, actorId);
    headers.put(ActorHeaders.KID, kid);
    headers.put(ActorHeaders.TS, ts);
    headers.put(ActorHeaders.NONCE, nonce);
    headers.put(ActorHeaders.SIG, Hex.encode(sign(message)));
    return headers;
  }

  private byte[] sign(byte[] message) {
    try {
      if (algorithm == KeyAlgorithm.HMAC_SHA256) {
        byte[] raw = hmacSecret.revealCopy();
        try {
          Mac mac = Mac.getInstance("HmacSHA256");
          mac.init(new SecretKeySpec(raw, "HmacSHA256"));
          return mac.doFinal(message);
        } finally {
          Secret.wipe(raw);
        }
      }
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(ed25519PrivateKey);
      signer.update(message);
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing failed: " + e.getClass().getSimpleName());
    }
  }

  /** 32 chars of base64url from {@link SecureRandom}. */
  public static String newNonce() {
    byte[] bytes = new byte[NONCE_RANDOM_BYTES];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Lower-case hex SHA-256 of {@code body} (an absent body is zero bytes). */
  public static String sha256Hex(byte[] body) {
    try {
      return Hex.encode(MessageDigest.getInstance("SHA-256").digest(body == null ? new byte[0] : body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "ActorSigner[kid=" + kid + ", actor=" + actorId + ", alg=" + algorithm.wireName() + "]";
  }

}
