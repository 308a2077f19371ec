package io.zogate.adversarial.harness;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The proxy's clock in the suite: the system clock plus an offset, or frozen at one instant, so
 * that timestamp boundaries can be tested to the millisecond over a real socket.
 */
public final class MutableClock extends Clock {
  private volatile long offsetMillis;
  private volatile Long frozenMillis;

  public void offset(long millis) {
    this.frozenMillis = null;
    this.offsetMillis = millis;
  }

  public void freeze(long millis) {
    this.frozenMillis = millis;
  }

  public void unfreeze() {
    this.frozenMillis = null;
  }

  @Override
  public long millis() {
    Long f = frozenMillis;
    return f != null ? f : System.currentTimeMillis() + offsetMillis;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
