package io.zogate.proxy.upstream;

import io.zogate.proxy.jsonrpc.Reason;

/**
 * Enforces the reply's time limits for one upstream call: the first-byte deadline until the
 * reply's headers arrive, then the idle limit between body bytes and the total body duration.
 * When a limit passes, the call is aborted (its socket closed) from the sweeper thread.
 *
 * <p>Why a watchdog and not socket timeouts: a blocking client has one socket timeout, but the
 * contract has three different limits, and the total duration cannot be a socket timeout at
 * all. Why a sweep and not a scheduled task per call: scheduling and cancelling two tasks per
 * request on a shared delay queue cost about 15% of the proxy's throughput (measured); a call
 * registers in a concurrent set instead, and one thread checks the few live calls every tick
 * ({@link Watchdogs#TICK_MILLIS}). Limits are therefore enforced within one tick.
 */
final class ReplyWatchdog {
  private final Watchdogs registry;
  private final Runnable abort;
  private final long idleNanos;
  private final long maxBodyNanos;
  private final long firstByteDeadline;

  private volatile long lastActivity;

  // Guarded by this.
  private boolean inBody;
  private long bodyDeadline;
  private boolean stopped;
  private Reason fired;

  ReplyWatchdog(Watchdogs registry, UpstreamSettings settings, Runnable abort) {
    this.registry = registry;
    this.abort = abort;
    this.idleNanos = settings.idleTimeout().toNanos();
    this.maxBodyNanos = settings.maxStreamDuration().toNanos();
    long now = System.nanoTime();
    this.firstByteDeadline = now + settings.firstByteTimeout().toNanos();
    this.lastActivity = now;
  }

  void start() {
    registry.register(this);
  }

  /**
   * The reply's headers arrived: from now on the body limits apply. Returns false when the
   * first-byte deadline already fired (the call is being aborted and must be treated as timed
   * out, even though a reply raced in).
   */
  synchronized boolean headersReceived() {
    if (fired != null) {
      return false;
    }
    long now = System.nanoTime();
    inBody = true;
    lastActivity = now;
    bodyDeadline = now + maxBodyNanos;
    return true;
  }

  /** A body read returned bytes. Hot path: no lock. */
  void touch() {
    lastActivity = System.nanoTime();
  }

  /** The limit that aborted the call, or null. */
  synchronized Reason fired() {
    return fired;
  }

  void stop() {
    synchronized (this) {
      stopped = true;
    }
    registry.unregister(this);
  }

  /** Called by the sweeper: aborts the call if a limit has passed. */
  void check(long now) {
    Reason reason;
    synchronized (this) {
      if (stopped || fired != null) {
        return;
      }
      if (!inBody) {
        reason = now - firstByteDeadline >= 0 ? Reason.UPSTREAM_TIMEOUT : null;
      } else if (now - bodyDeadline >= 0) {
        reason = Reason.STREAM_TOO_LONG;
      } else if (now - (lastActivity + idleNanos) >= 0) {
        reason = Reason.STREAM_IDLE;
      } else {
        reason = null;
      }
      fired = reason;
    }
    if (reason != null) {
      // Outside the lock: aborting closes the socket, and the worker may be inside fired().
      abort.run();
    }
  }
}
