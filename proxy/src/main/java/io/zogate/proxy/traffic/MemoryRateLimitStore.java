package io.zogate.proxy.traffic;

import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * GCRA state for one process, in memory.
 *
 * <p>One small mutable cell per key in a {@link ConcurrentHashMap}; a decision locks only its
 * own cell (uncontended monitors are cheap, and a hot key is serialised whatever we do), and
 * {@link #acquireAll} locks its cells in key order, so it is atomic and cannot deadlock.
 *
 * <p>Memory is bounded. A cell whose TAT is at or before now carries no information (GCRA
 * treats it exactly like no state), so a sweep removes it: in the background every {@code
 * sweepInterval}, and inline (at most every 100 ms, one thread at a time) when the store is
 * full. A store that is full of live keys refuses new keys with {@link
 * StoreUnavailableException} rather than forget live state, which would hand out budget twice.
 * The cap may be overshot by at most the number of threads adding keys at the same instant.
 */
public final class MemoryRateLimitStore implements RateLimitStore {

  /** Default cap on live keys: about 100 bytes each, so roughly 100 MB at the cap. */
  public static final int DEFAULT_MAX_KEYS = 1_000_000;

  private static final long INLINE_SWEEP_GAP_NANOS = 100_000_000L;

  private static final class Cell {
    long tatNanos = Gcra.NO_STATE; // guarded by this
    boolean removed; // guarded by this; a removed cell is never used again
  }

  private final ConcurrentHashMap<String, Cell> cells = new ConcurrentHashMap<>();
  private final int maxKeys;
  private final ReentrantLock sweeping = new ReentrantLock();
  private final AtomicLong lastInlineSweepNanos = new AtomicLong(Long.MIN_VALUE);
  private final ScheduledExecutorService sweeper;

  /** A store with {@link #DEFAULT_MAX_KEYS}, swept every 10 s by the system clock. */
  public MemoryRateLimitStore() {
    this(DEFAULT_MAX_KEYS, Duration.ofSeconds(10), System::currentTimeMillis);
  }

  /**
   * @param maxKeys the most live keys held; beyond it new keys are refused (fail closed)
   * @param sweepInterval how often a background thread removes expired keys; zero for none
   * @param clockMillis the clock the background sweep reads: it must be the clock callers pass
   *     to {@link #acquire}, or the sweep could remove state that is live by the callers' clock
   */
  public MemoryRateLimitStore(int maxKeys, Duration sweepInterval, LongSupplier clockMillis) {
    if (maxKeys < 1) {
      throw new IllegalArgumentException("maxKeys must be positive");
    }
    if (sweepInterval.isNegative()) {
      throw new IllegalArgumentException("sweepInterval must not be negative");
    }
    this.maxKeys = maxKeys;
    if (sweepInterval.isZero()) {
      this.sweeper = null;
    } else {
      this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "zo-gate-ratelimit-sweep");
        t.setDaemon(true);
        return t;
      });
      long ms = Math.max(1, sweepInterval.toMillis());
      sweeper.scheduleWithFixedDelay(
          () -> sweep(clockMillis.getAsLong()), ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public Decision acquire(String key, LimitRate rate, long nowMillis)
      throws StoreUnavailableException {
    long now = Gcra.toNanos(nowMillis);
    while (true) {
      Cell cell = cellFor(key, now);
      synchronized (cell) {
        if (cell.removed) {
          continue; // swept between lookup and lock: look it up again
        }
        Decision d = Gcra.decide(cell.tatNanos, now, rate);
        if (d.allowed()) {
          cell.tatNanos = d.tatNanos();
        }
        return d;
      }
    }
  }

  @Override
  public List<Decision> acquireAll(List<Limit> limits, long nowMillis)
      throws StoreUnavailableException {
    if (limits.size() == 1) {
      Limit l = limits.get(0);
      return List.of(acquire(l.key(), l.rate(), nowMillis));
    }
    requireDistinct(limits);
    long now = Gcra.toNanos(nowMillis);
    Integer[] order = new Integer[limits.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> limits.get(a).key().compareTo(limits.get(b).key()));
    while (true) {
      Cell[] locked = new Cell[order.length];
      for (int i = 0; i < order.length; i++) {
        locked[i] = cellFor(limits.get(order[i]).key(), now);
      }
      List<Decision> result = decideLocked(limits, order, locked, 0, now);
      if (result != null) {
        return result;
      }
    }
  }

  /** Locks {@code locked[depth..]} in key order, then decides; null if a cell was swept. */
  private static List<Decision> decideLocked(
      List<Limit> limits, Integer[] order, Cell[] locked, int depth, long now) {
    if (depth < locked.length) {
      synchronized (locked[depth]) {
        return decideLocked(limits, order, locked, depth + 1, now);
      }
    }
    Decision[] out = new Decision[limits.size()];
    boolean all = true;
    for (int i = 0; i < locked.length; i++) {
      if (locked[i].removed) {
        return null;
      }
      int at = order[i];
      out[at] = Gcra.decide(locked[i].tatNanos, now, limits.get(at).rate());
      all &= out[at].allowed();
    }
    if (all) {
      for (int i = 0; i < locked.length; i++) {
        locked[i].tatNanos = out[order[i]].tatNanos();
      }
    }
    return List.of(out);
  }

  private Cell cellFor(String key, long nowNanos) throws StoreUnavailableException {
    Cell cell = cells.get(key);
    if (cell != null) {
      return cell;
    }
    if (cells.size() >= maxKeys) {
      sweepInline(nowNanos);
      if (cells.size() >= maxKeys) {
        throw new StoreUnavailableException(
            "memory rate-limit store full: " + maxKeys + " live keys");
      }
    }
    return cells.computeIfAbsent(key, k -> new Cell());
  }

  private void sweepInline(long nowNanos) {
    long last = lastInlineSweepNanos.get();
    if (last != Long.MIN_VALUE && nowNanos - last < INLINE_SWEEP_GAP_NANOS) {
      return; // a full store of live keys must not turn every request into a full scan
    }
    if (lastInlineSweepNanos.compareAndSet(last, nowNanos)) {
      sweepNanos(nowNanos);
    }
  }

  /** Removes every expired key (TAT at or before now); returns how many it removed. */
  public int sweep(long nowMillis) {
    return sweepNanos(Gcra.toNanos(nowMillis));
  }

  private int sweepNanos(long nowNanos) {
    if (!sweeping.tryLock()) {
      return 0; // another sweep is running
    }
    try {
      int removed = 0;
      for (var e : cells.entrySet()) {
        Cell cell = e.getValue();
        synchronized (cell) {
          if (!cell.removed && Gcra.expired(cell.tatNanos, nowNanos)) {
            cell.removed = true;
            cells.remove(e.getKey(), cell);
            removed++;
          }
        }
      }
      return removed;
    } finally {
      sweeping.unlock();
    }
  }

  /** Keys currently held (live or not yet swept). */
  public int size() {
    return cells.size();
  }

  static void requireDistinct(List<Limit> limits) {
    var seen = new HashSet<String>();
    for (Limit l : limits) {
      if (!seen.add(l.key())) {
        throw new IllegalArgumentException("duplicate rate-limit key " + l.key());
      }
    }
  }

  @Override
  public void close() {
    if (sweeper != null) {
      sweeper.shutdownNow();
    }
  }

  /** The keys held, for tests. */
  List<String> keys() {
    return new ArrayList<>(cells.keySet());
  }
}
