package io.zogate.proxy.upstream;

import io.zogate.proxy.jsonrpc.Reason;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Enforces the reply's time limits for one upstream call by aborting it from the shared
 * scheduler thread: the first-byte deadline until the reply's headers arrive, then the idle
 * limit between body bytes and the total body duration.
 *
 * <p>Why a watchdog and not socket timeouts: a blocking client has one socket timeout, but the
 * contract has three different limits, and the total duration cannot be a socket timeout at
 * all. One task per call, re-armed only when it fires (not on every byte), keeps the hot path
 * to a volatile write per read.
 */
final class ReplyWatchdog implements Runnable {

  private final ScheduledExecutorService scheduler;
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
  private ScheduledFuture<?> pending;

  ReplyWatchdog(ScheduledExecutorService scheduler, UpstreamSettings settings, Runnable abort) {
    this.scheduler = scheduler;
    this.abort = abort;
    this.idleNanos = settings.idleTimeout().toNanos();
    this.maxBodyNanos = settings.maxStreamDuration().toNanos();
    long now = System.nanoTime();
    this.firstByteDeadline = now + settings.firstByteTimeout().toNanos();
    this.lastActivity = now;
  }

  synchronized void start() {
    arm(firstByteDeadline - System.nanoTime());
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
    if (pending != null) {
      pending.cancel(false);
    }
    arm(Math.min(idleNanos, maxBodyNanos));
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

  synchronized void stop() {
    stopped = true;
    if (pending != null) {
      pending.cancel(false);
      pending = null;
    }
  }

  @Override
  public void run() {
    Reason reason;
    synchronized (this) {
      if (stopped || fired != null) {
        return;
      }
      long now = System.nanoTime();
      if (!inBody) {
        reason = now - firstByteDeadline >= 0 ? Reason.UPSTREAM_TIMEOUT : null;
        if (reason == null) {
          arm(firstByteDeadline - now);
        }
      } else {
        long idleDeadline = lastActivity + idleNanos;
        if (now - bodyDeadline >= 0) {
          reason = Reason.STREAM_TOO_LONG;
        } else if (now - idleDeadline >= 0) {
          reason = Reason.STREAM_IDLE;
        } else {
          reason = null;
          arm(Math.min(idleDeadline, bodyDeadline) - now);
        }
      }
      fired = reason;
    }
    if (reason != null) {
      // Outside the lock: aborting closes the socket, and the worker may be inside fired().
      abort.run();
    }
  }

  private void arm(long delayNanos) {
    try {
      pending = scheduler.schedule(this, Math.max(delayNanos, 0), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException shuttingDown) {
      // The forwarder is closing; its client close aborts every call anyway.
      pending = null;
    }
  }
}
