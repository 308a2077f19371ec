package io.zogate.proxy.auth;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import io.zogate.proxy.redis.RedisConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.time.Clock;
import java.util.Objects;
import redis.clients.jedis.params.SetParams;

/**
 * A replay store in Redis, shared by every zo-gate instance that serves the same authority, on
 * any number of hosts (CONTRACT.md section 1, step 8).
 *
 * <p>Each claim is one atomic command, {@code SET zo:n:<h> 1 NX PXAT <expiresAtMillis>}: Redis
 * sets the key only if it is absent, so of two concurrent claims of one pair, on any hosts,
 * exactly one gets {@code OK}; the other gets nil and is {@code nonce_reused}. There is no read
 * before the write, so no race. The key is {@code "zo:n:" + base64url(SHA-256(actor "\n"
 * nonce))}: namespaced, 48 characters whatever the actor and nonce (neither contains a line
 * break, so the pair is unambiguous). Redis itself forgets the key at {@code ts + maxSkew + 60 s}
 * by its own clock; proxies whose clocks are within 60 s of Redis's never accept a request whose
 * nonce Redis has already forgotten (see docs/OPERATIONS.md).
 *
 * <p>Capacity: Redis's {@code maxmemory} with policy {@code noeviction} (checked when the store
 * opens). When it is full, {@code SET} answers {@code OOM} and the claim is refused with
 * -32050 {@code replay_store}; nothing unexpired is ever evicted to make room. The configured
 * {@code replay.capacity} does not apply.
 *
 * <p>What Redis forgot: on open the store writes {@code zo:n:since} (Redis's time, set only if
 * absent, never expiring) and refuses timestamps before it, as the memory store does with its
 * start: against a new or flushed Redis a proxy cannot tell a replay of an older request.
 * Against a Redis that kept its data this is far in the past, so restarting zo-gate refuses
 * nothing. A Redis that loses its data <em>while</em> proxies run (restarted without
 * persistence, flushed, failed over to a lagging replica) forgets nonces that are still inside
 * the window; persistence and no flushing are the operator's part (docs/OPERATIONS.md).
 */
public final class RedisReplayStore implements ReplayStore {
  static final String KEY_PREFIX = "zo:n:";
  static final String SINCE_KEY = "zo:n:since";
  /** The most this host's clock may differ from Redis's at start-up. */
  public static final long MAX_CLOCK_OFFSET_MILLIS = 30_000;

  private final RedisConnection redis;
  private final long sinceMillis;

  /**
   * Connects, checks the eviction policy and the clocks, and records or reads the store's start.
   *
   * @param clock the clock the proxy checks {@code ts} against; it must agree with Redis's to
   *     within {@link #MAX_CLOCK_OFFSET_MILLIS}, half the 60 s of grace each nonce is kept
   *
   * @throws StoreUnavailableException if Redis is unreachable or may evict keys
   */
  public RedisReplayStore(RedisConnection.Endpoint endpoint, Clock clock)
      throws StoreUnavailableException {
    this.redis = new RedisConnection("redis replay store", endpoint);
    try {
      long now = redis.timeMillis();
      long offset = now - clock.millis();
      if (Math.abs(offset) > MAX_CLOCK_OFFSET_MILLIS) {
        throw new StoreUnavailableException(redis.name() + ": Redis's clock is " + offset
            + " ms from this host's; nonces expire by Redis's clock, so the clocks must agree"
            + " within " + MAX_CLOCK_OFFSET_MILLIS / 1000 + " s (run NTP on both)");
      }
      this.sinceMillis = redis.call(c -> {
        c.set(SINCE_KEY, Long.toString(now), SetParams.setParams().nx());
        return Long.parseLong(c.get(SINCE_KEY));
      });
    } catch (StoreUnavailableException | RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  @Override
  public void claim(String actorId, String nonce, long expiresAtMillis)
      throws RefusalException, StoreUnavailableException {
    String key = key(Objects.requireNonNull(actorId, "actorId"), Objects.requireNonNull(nonce, "nonce"));
    String reply = redis.call(c -> c.set(key, "1", SetParams.setParams().nx().pxAt(expiresAtMillis)));
    if (reply == null) {
      throw new RefusalException(Reason.NONCE_REUSED, "nonce reused by actor " + actorId);
    }
    if (!"OK".equals(reply)) {
      throw new StoreUnavailableException(redis.name() + ": unexpected SET reply " + reply);
    }
  }

  /** {@code zo:n:} and the base64url SHA-256 of {@code actor "\n" nonce}. */
  static String key(String actorId, String nonce) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256")
          .digest((actorId + "\n" + nonce).getBytes(StandardCharsets.UTF_8));
      return KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(h);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-256 is mandatory in every JDK", e);
    }
  }

  /** When this Redis started keeping nonces for zo-gate, by Redis's clock. */
  @Override
  public long earliestAcceptableTsMillis() {
    return sinceMillis;
  }

  /** Redis expires keys itself ({@code PXAT}); nothing to do. */
  @Override
  public void purgeExpired() {}

  @Override
  public void close() {
    redis.close();
  }
}
