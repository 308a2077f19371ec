package io.zogate.proxy.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.auth.MemoryReplayStore;
import io.zogate.proxy.auth.RedisReplayStore;
import io.zogate.proxy.auth.ReplayStore;
import io.zogate.proxy.auth.SqliteReplayStore;
import io.zogate.proxy.testing.RedisServer;
import io.zogate.proxy.traffic.LimitRate;
import io.zogate.proxy.traffic.MemoryRateLimitStore;
import io.zogate.proxy.traffic.RateLimitStore;
import io.zogate.proxy.traffic.RedisRateLimitStore;
import io.zogate.proxy.traffic.SqliteRateLimitStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decisions per second and mean latency per decision for each store (memory, SQLite, Redis on
 * 127.0.0.1) measured in one run, 1 and 2 threads, printed, never asserted (the machine is
 * shared; docs/BENCHMARKS.md reports them). Every loop is bounded in count and time. Named
 * *Bench so the default test run leaves it out: on a loaded machine one Redis read can pass
 * the stores' 200 ms timeout, which is the store failing closed, not a regression.
 */
class RedisThroughputBench {
  private static final LimitRate RATE = LimitRate.of(600, Duration.ofSeconds(60));
  private static final long MILLIS = 1_500;

  @TempDir Path dir;

  private interface Op {
    void run(long i) throws Exception;
  }

  /** ops/s over at most MILLIS and maxOps, after a bounded warm-up. */
  static double measure(Op op, int threads, long maxOps) throws Exception {
    long warmEnd = System.nanoTime() + 300_000_000L;
    for (long i = 0; i < 20_000 && System.nanoTime() < warmEnd; i++) {
      op.run(-1 - i);
    }
    AtomicLong next = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long start = System.nanoTime();
      long deadline = start + TimeUnit.MILLISECONDS.toNanos(MILLIS);
      List<Future<Long>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        fs.add(pool.submit(() -> {
          long ops = 0;
          long i;
          while ((i = next.getAndIncrement()) < maxOps && System.nanoTime() < deadline) {
            op.run(i);
            ops++;
          }
          return ops;
        }));
      }
      long total = 0;
      for (Future<Long> f : fs) {
        total += f.get(MILLIS * 10, TimeUnit.MILLISECONDS);
      }
      return total / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  static String row(String store, double one, double two) {
    return String.format("%-22s 1 thread %,10.0f/s (%6.1f us each)   2 threads %,10.0f/s%n",
        store, one, 1e6 / one, two);
  }

  @Test
  void decisionsPerSecondPerStore() throws Exception {
    StringBuilder out = new StringBuilder("[store-throughput]\n");
    try (RedisServer redis = RedisServer.start(dir)) {
      List<RateLimitStore> limiters = List.of(new MemoryRateLimitStore(),
          new SqliteRateLimitStore(dir.resolve("rl.db")), new RedisRateLimitStore(redis.endpoint()));
      String[] names = {"rate limit memory", "rate limit sqlite", "rate limit redis"};
      for (int s = 0; s < limiters.size(); s++) {
        try (RateLimitStore store = limiters.get(s)) {
          Op op = i -> store.acquire("c:192.0.2." + Math.floorMod(i, 1_000), RATE, System.currentTimeMillis());
          long max = s == 0 ? 5_000_000 : 200_000;
          out.append(row(names[s], measure(op, 1, max), measure(op, 2, max)));
        }
      }
      Clock clock = Clock.systemUTC();
      List<ReplayStore> replays = List.of(new MemoryReplayStore(10_000_000, clock),
          new SqliteReplayStore(dir.resolve("replay.db"), 10_000_000, clock),
          new RedisReplayStore(redis.endpoint(), clock));
      String[] rnames = {"replay memory", "replay sqlite (fsync)", "replay redis"};
      for (int s = 0; s < replays.size(); s++) {
        try (ReplayStore store = replays.get(s)) {
          String run = "r" + s + "-";
          Op op = i -> store.claim("did:zo:agent:bench", run + i + "-nonce-padding", clock.millis() + 360_000);
          long max = s == 0 ? 2_000_000 : 200_000;
          double one = measure(op, 1, max);
          String run2 = "q" + s + "-";
          Op op2 = i -> store.claim("did:zo:agent:bench", run2 + i + "-nonce-padding", clock.millis() + 360_000);
          out.append(row(rnames[s], one, measure(op2, 2, max)));
        }
      }
    }
    System.out.print(out);
    assertThat(out.toString()).contains("redis");
  }
}
