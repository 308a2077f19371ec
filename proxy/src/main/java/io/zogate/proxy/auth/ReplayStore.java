package io.zogate.proxy.auth;

import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;

/**
 * Remembers each (actor, nonce) until its expiry, so a second use is a replay (CONTRACT.md
 * section 1, step 8). Fails closed: a store that is full or broken refuses, it never forgets an
 * unexpired nonce to make room.
 */
public interface ReplayStore extends AutoCloseable {

  /**
   * Records the pair atomically: of two concurrent claims of one pair (in this process or, for
   * shared stores, any process), exactly one returns normally.
   *
   * @param expiresAtMillis when the pair may be forgotten ({@code ts + maxSkew + 60 s})
   * @throws RefusalException {@code nonce_reused} if the pair is held and unexpired
   * @throws StoreUnavailableException when the store is full of unexpired pairs or fails
   */
  void claim(String actorId, String nonce, long expiresAtMillis)
      throws RefusalException, StoreUnavailableException;

  /**
   * Requests signed before this instant are refused as skew ({@link ActorVerifier}): a store
   * that may have forgotten earlier nonces cannot tell their replays. {@link Long#MIN_VALUE}
   * when the store remembers everything still unexpired.
   */
  long earliestAcceptableTsMillis();

  /** Forgets expired pairs now (stores also do this on their own). */
  void purgeExpired() throws StoreUnavailableException;

  @Override
  void close();

  /** The expiry CONTRACT.md section 1 step 8 prescribes: {@code ts + maxSkew + 60 s}. */
  static long expiryFor(long tsMillis, long maxSkewMillis) {
    return tsMillis + maxSkewMillis + 60_000L;
  }
}
