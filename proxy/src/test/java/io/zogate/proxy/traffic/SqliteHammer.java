package io.zogate.proxy.traffic;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A separate OS process for {@link SqliteRateLimitStoreTest}: hammers one key of a shared
 * SQLite store from {@code startAtMillis} for {@code durationMillis} (and at most
 * {@code maxAttempts} attempts per thread), from {@code threads} threads (optional, default 1)
 * on one store, then prints {@code admitted firstAdmitMillis lastAdmitMillis attempts errors}.
 */
public final class SqliteHammer {

  private SqliteHammer() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    String key = args[1];
    LimitRate rate =
        LimitRate.of(Long.parseLong(args[2]), Duration.ofMillis(Long.parseLong(args[3])));
    long startAt = Long.parseLong(args[4]);
    long duration = Long.parseLong(args[5]);
    long maxAttempts = Long.parseLong(args[6]);
    int threads = args.length > 7 ? Integer.parseInt(args[7]) : 1;
    AtomicLong admitted = new AtomicLong();
    AtomicLong first = new AtomicLong(Long.MAX_VALUE);
    AtomicLong last = new AtomicLong(Long.MIN_VALUE);
    AtomicLong attempts = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    try (var store = new SqliteRateLimitStore(file, Duration.ofSeconds(5))) {
      while (System.currentTimeMillis() < startAt) {
        Thread.sleep(1);
      }
      long end = startAt + duration;
      Runnable hammer = () -> {
        long now;
        for (long n = 0; (now = System.currentTimeMillis()) < end && n < maxAttempts; n++) {
          attempts.incrementAndGet();
          try {
            if (store.acquire(key, rate, now).allowed()) {
              admitted.incrementAndGet();
              first.accumulateAndGet(now, Math::min);
              last.accumulateAndGet(now, Math::max);
            }
          } catch (io.zogate.proxy.jsonrpc.StoreUnavailableException e) {
            errors.incrementAndGet();
          }
        }
      };
      var running = new ArrayList<Thread>();
      for (int t = 0; t < threads; t++) {
        Thread thread = new Thread(hammer, "hammer-" + t);
        thread.start();
        running.add(thread);
      }
      for (Thread thread : running) {
        thread.join();
      }
    }
    boolean none = admitted.get() == 0;
    System.out.println(admitted.get() + " " + (none ? -1 : first.get()) + " "
        + (none ? -1 : last.get()) + " " + attempts.get() + " " + errors.get());
  }
}
