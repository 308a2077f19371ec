package io.zogate.proxy.traffic;

/**
 * The outcome of one GCRA decision for one key.
 *
 * @param allowed whether the request conforms (and, from a store, was counted)
 * @param tatNanos the key's theoretical arrival time after the decision, in nanoseconds since
 *     the epoch: the new TAT when allowed, the unchanged stored TAT when refused
 * @param retryAfterMillis 0 when allowed; otherwise how long until one request would conform,
 *     rounded up to a whole millisecond, at least 1
 */
public record Decision(boolean allowed, long tatNanos, long retryAfterMillis) {

  public Decision {
    if (allowed ? retryAfterMillis != 0 : retryAfterMillis < 1) {
      throw new IllegalArgumentException("retryAfterMillis " + retryAfterMillis);
    }
  }

  /** Retry-After in whole seconds as the contract sends it: rounded up, at least 1. */
  public long retryAfterSeconds() {
    return Math.max(1, (retryAfterMillis + 999) / 1000);
  }
}
