package io.zogate.proxy.upstream;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The live upstream calls and the one thread that checks their deadlines every tick. Adding and
 * removing a call is a concurrent-set operation: no task, no lock shared by all workers, no
 * thread woken per request.
 */
final class Watchdogs implements AutoCloseable {
  static final long TICK_MILLIS = 20;
  private static final Logger LOG = Logger.getLogger(Watchdogs.class.getName());

  private final Set<ReplyWatchdog> live = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService sweeper;

  Watchdogs() {
    sweeper = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "zo-gate-upstream-watchdog");
      thread.setDaemon(true);
      return thread;
    });
    sweeper.scheduleAtFixedRate(this::sweep, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  void register(ReplyWatchdog watchdog) {
    live.add(watchdog);
  }

  void unregister(ReplyWatchdog watchdog) {
    live.remove(watchdog);
  }

  int size() {
    return live.size();
  }

  private void sweep() {
    long now = System.nanoTime();
    for (ReplyWatchdog w : live) {
      try {
        w.check(now);
      } catch (RuntimeException e) {
        // A failing abort must not stop the sweeper, or no deadline would be enforced again.
        LOG.log(Level.WARNING, "aborting an upstream call failed", e);
      }
    }
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
  }
}
