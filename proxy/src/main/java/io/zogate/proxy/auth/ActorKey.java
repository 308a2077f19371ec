package io.zogate.proxy.auth;

import java.security.GeneralSecurityException;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One keyring entry: a kid, the algorithm, the key material (an HMAC secret or an Ed25519
 * public key), the actors it may sign for, its status and validity window. Everything is
 * checked once here, so a constructed key is always usable; the JDK crypto objects are built
 * once per key and reused per thread, because {@link #verify} runs on every request.
 *
 * <p>Not a record: the HMAC secret must never reach {@code toString}, {@code equals} or
 * {@code hashCode}.
 */
public final class ActorKey {
  /** An HMAC-SHA256 key shorter than its output would weaken it (RFC 2104 section 3). */
  public static final int MIN_HMAC_SECRET_BYTES = 32;

  private final String kid;
  private final KeyAlgorithm algorithm;
  private final Secret hmacSecret; // HMAC only
  private final byte[] ed25519PublicKey; // Ed25519 only; not secret, but copied on the way out
  private final List<ActorPattern> actors;
  private final KeyStatus status;
  private final Instant notBefore; // nullable: valid since forever
  private final Instant notAfter; // nullable: valid for ever

  // Per-thread crypto objects bound to this key: Mac and Signature are not thread-safe, and
  // building them (key schedule, provider lookup) costs more than one verification.
  private final ThreadLocal<Mac> mac;
  // Ed25519: the public point decoded and validated once (immutable, shared by all threads).
  // Bouncy Castle's RFC 8032 verifier is used instead of the JDK 17 provider: about ten times
  // faster, and it takes the signature as exactly 64 bytes (Wycheproof runs against both).
  private final Ed25519.PublicPoint ed25519Point;

  private ActorKey(
      String kid,
      KeyAlgorithm algorithm,
      Secret hmacSecret,
      byte[] ed25519PublicKey,
      List<String> actors,
      KeyStatus status,
      Instant notBefore,
      Instant notAfter) {
    if (!ActorHeaders.isValidKid(kid)) {
      throw new IllegalArgumentException("kid must be 1-64 chars of [A-Za-z0-9._-]");
    }
    this.kid = kid;
    this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
    this.status = Objects.requireNonNull(status, "key " + kid + ": status");
    Objects.requireNonNull(actors, "key " + kid + ": actors");
    if (actors.isEmpty()) {
      throw new IllegalArgumentException("key " + kid + ": actors must not be empty");
    }
    List<ActorPattern> patterns = new java.util.ArrayList<>(actors.size());
    for (int i = 0; i < actors.size(); i++) {
      String text = actors.get(i);
      String problem = text == null ? "null" : ActorPattern.problem(text);
      if (problem != null) {
        throw new IllegalArgumentException("key " + kid + ": actors[" + i + "]: " + problem);
      }
      patterns.add(new ActorPattern(text));
    }
    this.actors = List.copyOf(patterns);
    if (notBefore != null && notAfter != null && notAfter.isBefore(notBefore)) {
      throw new IllegalArgumentException("key " + kid + ": notAfter is before notBefore");
    }
    this.notBefore = notBefore;
    this.notAfter = notAfter;
    switch (algorithm) {
      case HMAC_SHA256:
        Objects.requireNonNull(hmacSecret, "key " + kid + ": secret");
        if (ed25519PublicKey != null) {
          throw new IllegalArgumentException("key " + kid + ": an HMAC key has no publicKey");
        }
        if (hmacSecret.length() < MIN_HMAC_SECRET_BYTES) {
          throw new IllegalArgumentException(
              "key " + kid + ": secret must be at least " + MIN_HMAC_SECRET_BYTES + " bytes");
        }
        this.hmacSecret = hmacSecret;
        this.ed25519PublicKey = null;
        this.ed25519Point = null;
        this.mac = ThreadLocal.withInitial(this::newMac);
        break;
      case ED25519:
        Objects.requireNonNull(ed25519PublicKey, "key " + kid + ": publicKey");
        if (hmacSecret != null) {
          throw new IllegalArgumentException("key " + kid + ": an Ed25519 key has no secret");
        }
        if (ed25519PublicKey.length != Ed25519Keys.RAW_KEY_BYTES) {
          throw new IllegalArgumentException("key " + kid + ": publicKey must be exactly 32 bytes");
        }
        this.hmacSecret = null;
        this.ed25519PublicKey = ed25519PublicKey.clone();
        this.ed25519Point = Ed25519.validatePublicKeyFullExport(this.ed25519PublicKey, 0);
        if (this.ed25519Point == null) {
          throw new IllegalArgumentException("key " + kid + ": publicKey is not an Ed25519 key");
        }
        this.mac = null;
        break;
      default:
        throw new IllegalArgumentException("key " + kid + ": unsupported algorithm");
    }
  }

  /** An HMAC-SHA256 key; {@code secret} must be at least 32 bytes. */
  public static ActorKey hmac(
      String kid, Secret secret, List<String> actors, KeyStatus status,
      Instant notBefore, Instant notAfter) {
    return new ActorKey(kid, KeyAlgorithm.HMAC_SHA256, secret, null, actors, status,
        notBefore, notAfter);
  }

  /** An Ed25519 verification key from its raw 32-byte public key. */
  public static ActorKey ed25519(
      String kid, byte[] publicKey, List<String> actors, KeyStatus status,
      Instant notBefore, Instant notAfter) {
    return new ActorKey(kid, KeyAlgorithm.ED25519, null, publicKey, actors, status,
        notBefore, notAfter);
  }

  /** A new active HMAC key with 32 bytes from {@link java.security.SecureRandom}. */
  public static ActorKey generateHmac(String kid, List<String> actors) {
    return hmac(kid, Secret.random(MIN_HMAC_SECRET_BYTES), actors, KeyStatus.ACTIVE, null, null);
  }

  /** A new active Ed25519 key; the caller hands the private seed to the client once. */
  public static GeneratedEd25519 generateEd25519(String kid, List<String> actors) {
    Ed25519Keys.RawKeyPair pair = Ed25519Keys.generate();
    ActorKey key = ed25519(kid, pair.publicKey(), actors, KeyStatus.ACTIVE, null, null);
    return new GeneratedEd25519(key, pair.privateSeed());
  }

  /** The same key with another status (for {@code keys retire}). */
  public ActorKey withStatus(KeyStatus newStatus) {
    return new ActorKey(kid, algorithm, hmacSecret, ed25519PublicKey, actorTexts(), newStatus,
        notBefore, notAfter);
  }

  /** The same key with another validity window (for {@code keys rotate}). */
  public ActorKey withValidity(Instant newNotBefore, Instant newNotAfter) {
    return new ActorKey(kid, algorithm, hmacSecret, ed25519PublicKey, actorTexts(), status,
        newNotBefore, newNotAfter);
  }

  public String kid() {
    return kid;
  }

  public KeyAlgorithm algorithm() {
    return algorithm;
  }

  /** The HMAC secret, empty for Ed25519 keys. */
  public Optional<Secret> hmacSecret() {
    return Optional.ofNullable(hmacSecret);
  }

  /** A copy of the raw Ed25519 public key, empty for HMAC keys. */
  public Optional<byte[]> ed25519PublicKey() {
    return ed25519PublicKey == null ? Optional.empty() : Optional.of(ed25519PublicKey.clone());
  }

  public List<ActorPattern> actors() {
    return actors;
  }

  public List<String> actorTexts() {
    return actors.stream().map(ActorPattern::text).collect(java.util.stream.Collectors.toList());
  }

  public KeyStatus status() {
    return status;
  }

  public Optional<Instant> notBefore() {
    return Optional.ofNullable(notBefore);
  }

  public Optional<Instant> notAfter() {
    return Optional.ofNullable(notAfter);
  }

  /**
   * Status {@code active} and {@code notBefore <= now <= notAfter} (both bounds inclusive, as
   * for X.509 validity).
   */
  public boolean isActiveAt(Instant now) {
    return status == KeyStatus.ACTIVE
        && (notBefore == null || !now.isBefore(notBefore))
        && (notAfter == null || !now.isAfter(notAfter));
  }

  /** Why {@link #isActiveAt} is false, for the operator's log; empty when active. */
  public String inactiveReason(Instant now) {
    if (status != KeyStatus.ACTIVE) {
      return "key " + kid + " is " + status.wireName();
    }
    if (notBefore != null && now.isBefore(notBefore)) {
      return "key " + kid + " is not valid before " + notBefore;
    }
    if (notAfter != null && now.isAfter(notAfter)) {
      return "key " + kid + " expired at " + notAfter;
    }
    return "";
  }

  /** Whether one of the key's patterns grants {@code actorId} (see {@link ActorPattern}). */
  public boolean mayActFor(String actorId) {
    for (ActorPattern pattern : actors) {
      if (pattern.matches(actorId)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Verifies {@code signature} over {@code message} with this key's algorithm. The length is
   * checked first and exactly: the JDK's Ed25519 accepts a signature with bytes appended
   * (Wycheproof tcId 37), and a truncated HMAC tag is weaker than the contract's. HMAC tags
   * are compared with {@link MessageDigest#isEqual}, which is constant time.
   */
  public boolean verify(byte[] message, byte[] signature) {
    if (message == null || signature == null || signature.length != algorithm.signatureBytes()) {
      return false;
    }
    if (algorithm == KeyAlgorithm.HMAC_SHA256) {
      Mac m = mac.get();
      byte[] expected = m.doFinal(message); // doFinal also resets the Mac for the next call
      return MessageDigest.isEqual(expected, signature);
    }
    // RFC 8032 verification: S must be below the group order and R a valid encoding; a
    // malformed signature is simply invalid.
    return Ed25519.verify(signature, 0, ed25519Point, message, 0, message.length);
  }

  /** Signs with an HMAC key (tests and the demo; Ed25519 keys here cannot sign). */
  byte[] hmacSign(byte[] message) {
    if (algorithm != KeyAlgorithm.HMAC_SHA256) {
      throw new IllegalStateException("key " + kid + " holds no signing material");
    }
    return mac.get().doFinal(message);
  }

  private Mac newMac() {
    byte[] raw = hmacSecret.revealCopy();
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(raw, "HmacSHA256"));
      return m;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
    } finally {
      Secret.wipe(raw);
    }
  }


  /** Never the key material. */
  @Override
  public String toString() {
    return "ActorKey[kid=" + kid + ", alg=" + algorithm.wireName() + ", status="
        + status.wireName() + ", actors=" + actors + ", notBefore=" + notBefore
        + ", notAfter=" + notAfter + "]";
  }
}
