package io.zogate.proxy.traffic;

/**
 * The generic cell rate algorithm (GCRA, "virtual scheduling"), the one implementation of the
 * rate-limit rule that every store uses. A pure function: no clock, no state of its own.
 *
 * <p>State per key is one number, the theoretical arrival time (TAT). With emission interval
 * {@code T} and burst tolerance {@code tau = (count - 1) * T} (see {@link LimitRate}), a request
 * at {@code now} conforms iff {@code max(TAT, now) - now <= tau}; if it does, the new TAT is
 * {@code max(TAT, now) + T}; if not, nothing changes and the request may be retried at
 * {@code TAT - tau}.
 *
 * <p>What "at most {@code count} per {@code period}" means here, exactly:
 *
 * <ul>
 *   <li>from an idle key (TAT at or before now), a burst of exactly {@code count} requests is
 *       admitted at once, then one more every {@code T};
 *   <li>in <em>any</em> interval of length {@code W} (wherever it starts), at most {@code count
 *       + floor(W / T)} requests are admitted; over a long run the rate is at most {@code
 *       count / period};
 *   <li>so there is no fixed-window boundary: a fixed window admits {@code 2 * count} within a
 *       millisecond either side of a boundary, GCRA admits at most {@code count + 1} in any
 *       {@code T}. A full {@code period} right after an idle spell can still see up to {@code
 *       2 * count - 1} (the stored burst plus the {@code count - 1} that refill during it):
 *       GCRA bounds the burst and the sustained rate, it is not a sliding-window log.
 * </ul>
 *
 * <p>An expired TAT ({@code TAT <= now}) behaves exactly like no state at all, which is why
 * stores may forget it.
 */
public final class Gcra {

  /** The stored TAT of a key with no state. */
  public static final long NO_STATE = Long.MIN_VALUE;

  private static final long NANOS_PER_MILLI = 1_000_000L;

  private Gcra() {}

  /**
   * One decision.
   *
   * @param storedTatNanos the key's stored TAT, or {@link #NO_STATE}
   * @param nowNanos now, nanoseconds since the epoch
   * @param rate the limit
   */
  public static Decision decide(long storedTatNanos, long nowNanos, LimitRate rate) {
    long tat = Math.max(storedTatNanos, nowNanos);
    long tau = rate.burstToleranceNanos();
    long ahead = tat - nowNanos;
    if (ahead <= tau) {
      return new Decision(true, tat + rate.emissionIntervalNanos(), 0);
    }
    long waitNanos = ahead - tau;
    long waitMillis = waitNanos / NANOS_PER_MILLI + (waitNanos % NANOS_PER_MILLI == 0 ? 0 : 1);
    return new Decision(false, storedTatNanos, Math.max(1, waitMillis));
  }

  /** Milliseconds since the epoch as the nanoseconds GCRA state is kept in. */
  public static long toNanos(long epochMillis) {
    return Math.multiplyExact(epochMillis, NANOS_PER_MILLI);
  }

  /** Whether a stored TAT is expired at {@code nowNanos} (and so may be forgotten). */
  public static boolean expired(long storedTatNanos, long nowNanos) {
    return storedTatNanos <= nowNanos;
  }
}
