package io.zogate.proxy.auth;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A replay store in this process's memory, for a single instance. It forgets everything on
 * restart, so it refuses timestamps from before it started ({@link #earliestAcceptableTsMillis}).
 *
 * <p>Claims are lock-free ({@link ConcurrentHashMap#putIfAbsent}); the capacity is a reserved
 * slot counter, so it is never exceeded even under contention. Expired pairs are purged by a
 * daemon thread every second and, when the store is full, by the claim that found it full
 * (one at a time, never blocking other claims).
 */
public final class MemoryReplayStore implements ReplayStore {
  private final int capacity;
  private final Clock clock;
  private final long startedAtMillis;
  private final ConcurrentHashMap<Pair, Long> expiryByPair = new ConcurrentHashMap<>();
  /** Slots taken: entries in the map plus claims in flight that reserved one. */
  private final AtomicInteger slotsTaken = new AtomicInteger();
  private final ReentrantLock purging = new ReentrantLock();
  private final ScheduledExecutorService purger;

  private record Pair(String actorId, String nonce) {}

  public MemoryReplayStore(int capacity, Clock clock) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.capacity = capacity;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.startedAtMillis = clock.millis();
    this.purger = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "zo-gate-replay-purge");
      thread.setDaemon(true);
      return thread;
    });
    purger.scheduleWithFixedDelay(this::purgeIfIdle, 1, 1, TimeUnit.SECONDS);
  }

  @Override
  public void claim(String actorId, String nonce, long expiresAtMillis)
      throws RefusalException, StoreUnavailableException {
    Pair pair = new Pair(Objects.requireNonNull(actorId), Objects.requireNonNull(nonce));
    // Fast refusal of a replay without touching the counter.
    Long held = expiryByPair.get(pair);
    long now = clock.millis();
    if (held != null && held >= now) {
      throw new RefusalException(Reason.NONCE_REUSED, "nonce reused by actor " + actorId);
    }
    reserveSlot(now);
    boolean slotUsed = false;
    try {
      while (true) {
        Long previous = expiryByPair.putIfAbsent(pair, expiresAtMillis);
        if (previous == null) {
          slotUsed = true;
          return;
        }
        if (previous >= now) {
          throw new RefusalException(Reason.NONCE_REUSED, "nonce reused by actor " + actorId);
        }
        // Expired but not yet purged: take it over in place (it already holds a slot).
        if (expiryByPair.replace(pair, previous, expiresAtMillis)) {
          return;
        }
      }
    } finally {
      if (!slotUsed) {
        slotsTaken.decrementAndGet();
      }
    }
  }

  private void reserveSlot(long now) throws StoreUnavailableException {
    if (slotsTaken.incrementAndGet() <= capacity) {
      return;
    }
    slotsTaken.decrementAndGet();
    purge(now, true);
    if (slotsTaken.incrementAndGet() <= capacity) {
      return;
    }
    slotsTaken.decrementAndGet();
    throw new StoreUnavailableException(
        "memory replay store is full (" + capacity + " unexpired nonces)");
  }

  @Override
  public long earliestAcceptableTsMillis() {
    return startedAtMillis;
  }

  @Override
  public void purgeExpired() {
    purge(clock.millis(), false);
  }

  private void purgeIfIdle() {
    purge(clock.millis(), true);
  }

  /** Removes pairs whose expiry is before {@code now}; with {@code tryOnly}, skips if busy. */
  private void purge(long now, boolean tryOnly) {
    if (tryOnly) {
      if (!purging.tryLock()) {
        return;
      }
    } else {
      purging.lock();
    }
    try {
      for (Map.Entry<Pair, Long> entry : expiryByPair.entrySet()) {
        Long expiry = entry.getValue();
        if (expiry < now && expiryByPair.remove(entry.getKey(), expiry)) {
          slotsTaken.decrementAndGet();
        }
      }
    } finally {
      purging.unlock();
    }
  }

  /** Unexpired-or-unpurged pairs held (for tests and metrics). */
  public int size() {
    return expiryByPair.size();
  }

  @Override
  public void close() {
    purger.shutdownNow();
  }
}
