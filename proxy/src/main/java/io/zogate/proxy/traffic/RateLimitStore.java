package io.zogate.proxy.traffic;

import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.util.List;

/**
 * Where GCRA state lives. Every implementation decides with {@link Gcra}, so they differ only
 * in who shares the state (one process, or every process on the host) and how it is kept.
 * A store that cannot answer throws {@link StoreUnavailableException}; the caller fails closed.
 *
 * <p>{@code nowMillis} is the caller's clock (wall time, milliseconds since the epoch). Stores
 * shared between processes rely on every process reading the same clock, which holds on one
 * host.
 */
public interface RateLimitStore extends AutoCloseable {

  /** Decides one request for {@code key}, counting it if it is allowed. */
  default Decision acquire(String key, LimitRate rate, long nowMillis) throws StoreUnavailableException {
    return acquireAll(List.of(new Limit(key, rate)), nowMillis).get(0);
  }

  /**
   * Decides one request against several limits at once, all or nothing: it is counted against
   * every limit if every limit allows it, and against none otherwise (check, then commit,
   * atomically). Returns one decision per limit, in order; keys must be distinct.
   */
  List<Decision> acquireAll(List<Limit> limits, long nowMillis) throws StoreUnavailableException;

  @Override
  void close();
}
