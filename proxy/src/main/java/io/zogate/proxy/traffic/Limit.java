package io.zogate.proxy.traffic;

import java.util.Objects;

/** One key and the rate it is held to, for {@link RateLimitStore#acquireAll}. */
public record Limit(String key, LimitRate rate) {
  public Limit {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(rate, "rate");
  }
}
