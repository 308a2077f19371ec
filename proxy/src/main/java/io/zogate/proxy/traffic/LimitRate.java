package io.zogate.proxy.traffic;

import java.time.Duration;
import java.util.Objects;

/**
 * A rate limit of {@code count} requests per {@code period}, as configured ({@code 600/60s}).
 *
 * <p>The limiter enforces it with GCRA (see {@link Gcra}): a burst of at most {@code count}
 * from an idle key, then one request per emission interval {@code T = period / count}. Time is
 * kept in nanoseconds; {@code T} is rounded <em>up</em> to a whole nanosecond, so rounding can
 * only make the limit stricter (by less than one request per {@code 10^9 * period / count}),
 * never looser. The configuration's {@code Units.rate} parses {@code 600/60s} into one.
 *
 * @param count requests allowed per period, 1 to 1,000,000,000 (and at most one per nanosecond)
 * @param period the period, from 1 ms to 366 days
 */
public record LimitRate(long count, Duration period) {

  static final Duration MIN_PERIOD = Duration.ofMillis(1);
  static final Duration MAX_PERIOD = Duration.ofDays(366);

  public LimitRate {
    Objects.requireNonNull(period, "period");
    if (count < 1 || count > 1_000_000_000L) {
      throw new IllegalArgumentException("rate count must be 1..1000000000, got " + count);
    }
    if (period.compareTo(MIN_PERIOD) < 0 || period.compareTo(MAX_PERIOD) > 0) {
      throw new IllegalArgumentException("rate period must be 1ms..366d, got " + period);
    }
    if (count > period.toNanos()) {
      throw new IllegalArgumentException("rate of more than one request per nanosecond");
    }
  }

  public static LimitRate of(long count, Duration period) {
    return new LimitRate(count, period);
  }

  /**
   * Parses {@code <count>/<number><unit>} with unit {@code ms}, {@code s}, {@code m}, {@code h}
   * or {@code d} (e.g. {@code 600/60s}). The config package has the authoritative parser; this
   * one exists for tests and tools.
   */
  public static LimitRate parse(String text) {
    Objects.requireNonNull(text, "text");
    var m = java.util.regex.Pattern.compile("([1-9][0-9]{0,9})/([1-9][0-9]{0,9})(ms|s|m|h|d)")
        .matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("rate must look like 600/60s, got '" + text + "'");
    }
    long n = Long.parseLong(m.group(2));
    Duration p = switch (m.group(3)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
    return new LimitRate(Long.parseLong(m.group(1)), p);
  }

  /** T: the emission interval, {@code ceil(period / count)} nanoseconds. */
  public long emissionIntervalNanos() {
    long p = period.toNanos();
    return p / count + (p % count == 0 ? 0 : 1);
  }

  /**
   * tau: how far ahead of now the theoretical arrival time may run, {@code (count - 1) * T}
   * ({@code period - T} when T divides the period exactly). It is what admits a burst of exactly
   * {@code count} from an idle key.
   */
  public long burstToleranceNanos() {
    return (count - 1) * emissionIntervalNanos();
  }

  @Override
  public String toString() {
    return count + "/" + period.toMillis() + "ms";
  }
}
