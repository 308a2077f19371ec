package io.zogate.proxy.config;

import io.zogate.proxy.traffic.LimitRate;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsers for the configuration's unit-bearing values: durations, byte sizes, rates. */
public final class Units {
  private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m|h|d)");
  private static final Pattern SIZE = Pattern.compile("([0-9]{1,12})(B|KiB|MiB|GiB)?");
  private static final Pattern RATE = Pattern.compile("([0-9]{1,9})/([0-9]{1,9}(?:ms|s|m|h|d))");

  private Units() {}

  /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, {@code 1d}. */
  public static Duration duration(String text) throws IllegalArgumentException {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a duration like 500ms, 30s, 10m or 1h, got '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /** {@code 1048576}, {@code 512KiB}, {@code 4MiB}, {@code 1GiB}. */
  public static long bytes(String text) throws IllegalArgumentException {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a size like 1048576, 512KiB or 4MiB, got '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2);
    long factor = switch (unit) {
      case "KiB" -> 1L << 10;
      case "MiB" -> 1L << 20;
      case "GiB" -> 1L << 30;
      default -> 1L;
    };
    return Math.multiplyExact(n, factor);
  }

  /** {@code 600/60s}: at most 600 events per 60 seconds (enforced by GCRA, see LimitRate). */
  public static LimitRate rate(String text) throws IllegalArgumentException {
    Matcher m = RATE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a rate like 600/60s, got '" + text + "'");
    }
    return LimitRate.of(Long.parseLong(m.group(1)), duration(m.group(2)));
  }

  /** A budget of {@code count} events per {@code period}. */
  public record Rate(long count, Duration period) {
    public Rate {
      if (count <= 0 || period.isZero() || period.isNegative()) {
        throw new IllegalArgumentException("a rate needs a positive count and period");
      }
    }

    @Override
    public String toString() {
      return count + "/" + period.toMillis() + "ms";
    }
  }
}
