package io.zogate.proxy.auth;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Steps 2-5 of the actor proof (CONTRACT.md section 1), in contract order, stopping at the
 * first failure. Two calls because the body is read between them: the key and time checks are
 * cheap and refuse most junk before the proxy reads a byte of body.
 */
public final class ActorVerifier {
  private final Supplier<Keyring> keyring;
  private final Clock clock;
  private final long maxSkewMillis;
  private final long earliestAcceptableTsMillis;

  /**
   * @param keyring the keyring in force (read once per request)
   * @param maxSkew the largest accepted {@code |now - ts|}, inclusive
   * @param earliestAcceptableTsMillis older timestamps are refused as skew: a memory replay
   *     store passes its start time, since it cannot know which nonces it saw before;
   *     {@link Long#MIN_VALUE} for none
   */
  public ActorVerifier(
      Supplier<Keyring> keyring, Clock clock, Duration maxSkew, long earliestAcceptableTsMillis) {
    this.keyring = Objects.requireNonNull(keyring, "keyring");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxSkew.isNegative()) {
      throw new IllegalArgumentException("maxSkew must not be negative");
    }
    this.maxSkewMillis = maxSkew.toMillis();
    this.earliestAcceptableTsMillis = earliestAcceptableTsMillis;
  }

  public long maxSkewMillis() {
    return maxSkewMillis;
  }

  /**
   * Step 2 (the kid names an active key) and step 3 (the timestamp is fresh).
   *
   * @throws RefusalException {@code unknown_key} (unknown and inactive alike; the log detail
   *     says which) or {@code timestamp_skew}
   */
  public ActorKey checkKeyAndTime(ActorHeaders h) throws RefusalException {
    long nowMillis = clock.millis();
    Optional<ActorKey> found = keyring.get().find(h.kid());
    if (found.isEmpty()) {
      throw new RefusalException(Reason.UNKNOWN_KEY, "kid " + h.kid() + " is not in the keyring");
    }
    ActorKey key = found.get();
    Instant now = Instant.ofEpochMilli(nowMillis);
    if (!key.isActiveAt(now)) {
      throw new RefusalException(Reason.UNKNOWN_KEY, key.inactiveReason(now));
    }
    // Both values are below 10^13, so the difference cannot overflow.
    long skew = Math.abs(nowMillis - h.tsMillis());
    if (skew > maxSkewMillis) {
      throw new RefusalException(Reason.TIMESTAMP_SKEW,
          "ts " + h.tsText() + " is " + skew + " ms from now, max " + maxSkewMillis);
    }
    if (h.tsMillis() < earliestAcceptableTsMillis) {
      throw new RefusalException(Reason.TIMESTAMP_SKEW,
          "ts " + h.tsText() + " is before the replay store's start " + earliestAcceptableTsMillis);
    }
    return key;
  }

  /**
   * Step 4 (the signature verifies over the exact request) and step 5 (the key may sign for the
   * actor). The actor check comes after the signature so that only a holder of the key learns
   * which actors it lacks.
   *
   * @param key what {@link #checkKeyAndTime} returned for the same headers
   * @throws RefusalException {@code signature_invalid} or {@code key_not_permitted_for_actor}
   */
  public VerifiedActor verify(
      ActorKey key, ActorHeaders h, String method, String authority, String target,
      String bodySha256Hex) throws RefusalException {
    if (!key.kid().equals(h.kid())) {
      throw new IllegalArgumentException("key and headers name different kids");
    }
    int expectedHexLength = key.algorithm().signatureBytes() * 2;
    if (h.sigHex().length() != expectedHexLength) {
      throw new RefusalException(Reason.SIGNATURE_INVALID,
          "signature length does not fit " + key.algorithm().wireName() + " key " + key.kid());
    }
    byte[] message = StringToSign.of(h, method, authority, target, bodySha256Hex);
    if (!key.verify(message, Hex.decodeLower(h.sigHex()))) {
      throw new RefusalException(Reason.SIGNATURE_INVALID,
          "signature does not verify with key " + key.kid());
    }
    if (!key.mayActFor(h.actorId())) {
      throw new RefusalException(Reason.KEY_NOT_PERMITTED_FOR_ACTOR,
          "key " + key.kid() + " may not sign for actor " + h.actorId());
    }
    return new VerifiedActor(h.actorId(), h.kid(), h.tsMillis(), h.tsText(), h.nonce());
  }
}
