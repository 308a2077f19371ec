package io.zogate.proxy.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rough decisions-per-second figure for each store, printed, never asserted (the machine is
 * shared; docs/BENCHMARKS.md reports ratios). Every loop is bounded in count and time.
 */
class ThroughputTest {

  private static final LimitRate RATE = LimitRate.of(600, Duration.ofSeconds(60));

  @TempDir Path dir;

  private interface Acquirer {
    boolean run(String key, long now) throws Exception;
  }

  /** Runs up to maxOps decisions over 1,000 keys for at most maxMillis; returns ops/s. */
  private static double measure(Acquirer a, int threads, long maxOps, long maxMillis)
      throws Exception {
    String[] keys = new String[1_000];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = "c:192.0." + (i / 256) + "." + (i % 256);
    }
    // warm-up, bounded
    long warmEnd = System.nanoTime() + 300_000_000L;
    for (int i = 0; i < 200_000 && System.nanoTime() < warmEnd; i++) {
      a.run(keys[i % keys.length], System.currentTimeMillis());
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long start = System.nanoTime();
      long deadline = start + maxMillis * 1_000_000L;
      var futures = new java.util.ArrayList<Future<Long>>();
      for (int t = 0; t < threads; t++) {
        int offset = t * 7;
        Callable<Long> job = () -> {
          long ops = 0;
          while (ops < maxOps / threads) {
            for (int i = 0; i < 64; i++, ops++) {
              a.run(keys[(int) ((ops + offset) % keys.length)], System.currentTimeMillis());
            }
            if (System.nanoTime() > deadline) {
              break;
            }
          }
          return ops;
        };
        futures.add(pool.submit(job));
      }
      long total = 0;
      for (Future<Long> f : futures) {
        total += f.get(maxMillis * 3, TimeUnit.MILLISECONDS);
      }
      double secs = (System.nanoTime() - start) / 1e9;
      return total / secs;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void decisionsPerSecond() throws Exception {
    double memory1;
    double memory2;
    try (var store = new MemoryRateLimitStore()) {
      memory1 = measure((k, now) -> store.acquire(k, RATE, now).allowed(), 1, 5_000_000, 1_500);
      memory2 = measure((k, now) -> store.acquire(k, RATE, now).allowed(), 2, 5_000_000, 1_500);
    }
    double sqlite;
    double sqlite16;
    try (var store = new SqliteRateLimitStore(dir.resolve("bench.db"))) {
      sqlite = measure((k, now) -> store.acquire(k, RATE, now).allowed(), 1, 50_000, 2_000);
      // as in the proxy: 16 request threads share the process's one store
      sqlite16 = measure((k, now) -> store.acquire(k, RATE, now).allowed(), 16, 200_000, 2_000);
    }
    System.out.printf("decisions/s: memory 1 thread %.0f, memory 2 threads %.0f, "
        + "SQLite 1 process 1 thread %.0f (ratio memory/SQLite %.0f), "
        + "SQLite 1 process 16 threads %.0f%n",
        memory1, memory2, sqlite, memory1 / sqlite, sqlite16);
    assertThat(sqlite).isPositive();
  }
}
