package io.zogate.load;

import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import io.zogate.proxy.traffic.LimitRate;
import io.zogate.proxy.traffic.MemoryRateLimitStore;
import io.zogate.proxy.traffic.RateLimitStore;
import io.zogate.proxy.traffic.RateLimiter;
import io.zogate.proxy.traffic.SqliteRateLimitStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH: rate-limit decisions per second through {@link RateLimiter#checkKeyAndActor}, the call
 * the pipeline makes after the signature (one key limit and one actor limit, decided together,
 * all or nothing), on each store. Run by {@link RateLimitDecisionsBenchmark} under -Pbench.
 *
 * <p>Every decision is admitted and so writes new state (the costlier path for SQLite: a
 * refusal commits nothing). Limits are set so high (10^9/s) that nothing is ever refused.
 * Each benchmark thread is its own key, cycling over 1,024 actor ids, so threads do not
 * contend on one cell in the memory store; the SQLite store serialises threads on its one
 * connection and its file's write lock anyway.
 */
@State(Scope.Benchmark)
public class RateLimitDecisions {

  static final LimitRate HUGE = LimitRate.of(1_000_000_000L, Duration.ofSeconds(1));

  @Param({"memory", "sqlite"})
  public String store;

  private Path dir;
  private RateLimiter limiter;

  @Setup(Level.Trial)
  public void open() throws IOException, StoreUnavailableException {
    RateLimitStore s;
    if (store.equals("memory")) {
      s = new MemoryRateLimitStore();
    } else {
      dir = Files.createTempDirectory("zo-gate-jmh");
      s = new SqliteRateLimitStore(dir.resolve("ratelimit.db"));
    }
    limiter = new RateLimiter(s, null, HUGE, HUGE, List.of());
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    limiter.close();
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** One signing key per benchmark thread, speaking for 1,024 actors in turn. */
  @State(Scope.Thread)
  public static class Caller {
    private static final AtomicInteger THREADS = new AtomicInteger();
    String kid;
    String[] actors;
    int next;

    @Setup(Level.Trial)
    public void setup() {
      int t = THREADS.getAndIncrement();
      kid = "bench-key-" + t;
      actors = new String[1024];
      for (int i = 0; i < actors.length; i++) {
        actors[i] = "did:zo:agent:bench-" + t + "-" + i;
      }
    }
  }

  @Benchmark
  public void checkKeyAndActor(Caller c) throws RefusalException {
    String actor = c.actors[c.next++ & 1023];
    limiter.checkKeyAndActor(c.kid, actor);
  }
}
