package io.zogate.proxy.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteRateLimitStoreTest {

  private static final long NOW = 1_700_000_000_000L;

  @TempDir Path dir;

  @Test
  void decidesWithGcraAndKeepsStateAcrossReopen() throws Exception {
    LimitRate rate = LimitRate.of(3, Duration.ofSeconds(3)); // T = 1 s
    Path file = dir.resolve("rl.db");
    try (var store = new SqliteRateLimitStore(file)) {
      for (int i = 0; i < 3; i++) {
        assertThat(store.acquire("k", rate, NOW).allowed()).isTrue();
      }
      Decision refused = store.acquire("k", rate, NOW + 250);
      assertThat(refused.allowed()).isFalse();
      assertThat(refused.retryAfterMillis()).isEqualTo(750);
    }
    try (var store = new SqliteRateLimitStore(file)) {
      assertThat(store.acquire("k", rate, NOW + 250).allowed()).isFalse();
      assertThat(store.acquire("k", rate, NOW + 1_000).allowed()).isTrue();
      assertThat(store.acquire("other", rate, NOW).allowed()).isTrue();
      assertThat(store.sweep(NOW + 1_000)).isEqualTo(1); // "other": TAT NOW + 1 s
      assertThat(store.sweep(NOW + 5_000)).isEqualTo(1);
    }
  }

  @Test
  void acquireAllIsAllOrNothing() throws Exception {
    LimitRate roomy = LimitRate.of(5, Duration.ofMinutes(1));
    LimitRate tight = LimitRate.of(1, Duration.ofMinutes(1));
    try (var store = new SqliteRateLimitStore(dir.resolve("rl.db"))) {
      var both = List.of(new Limit("k:1", roomy), new Limit("a:x", tight));
      assertThat(store.acquireAll(both, NOW)).allMatch(Decision::allowed);
      List<Decision> second = store.acquireAll(both, NOW);
      assertThat(second.get(0).allowed()).isTrue();
      assertThat(second.get(1).allowed()).isFalse();
      for (int i = 0; i < 4; i++) { // 4 of 5 left: the refused request spent nothing
        assertThat(store.acquire("k:1", roomy, NOW).allowed()).isTrue();
      }
      assertThat(store.acquire("k:1", roomy, NOW).allowed()).isFalse();
    }
  }

  @Test
  void aDamagedFileIsUnavailable() throws Exception {
    Path junk = dir.resolve("junk.db");
    Files.writeString(junk, "this is not a SQLite database\n".repeat(200));
    assertThatThrownBy(() -> new SqliteRateLimitStore(junk))
        .isInstanceOf(StoreUnavailableException.class);
    // a directory cannot be opened as a database (the test runs as root, so mode bits would not
    // make a file unwritable)
    assertThatThrownBy(() -> new SqliteRateLimitStore(dir))
        .isInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(() -> new SqliteRateLimitStore(dir.resolve("no/such/dir/rl.db")))
        .isInstanceOf(StoreUnavailableException.class);
  }

  @Test
  void aDamagedFileAtRunTimeRefusesWithRateLimitStoreAndRecovers() throws Exception {
    Path file = dir.resolve("rl.db");
    LimitRate rate = LimitRate.of(100, Duration.ofMinutes(1));
    try (var store = new SqliteRateLimitStore(file, Duration.ofMillis(100))) {
      var clock = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
      var limiter = new RateLimiter(store, null, rate, rate, List.of(), clock);
      limiter.checkKeyAndActor("kid", "did:zo:agent:alice");

      // another process holds the write lock past the busy timeout
      try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
          Statement st = other.createStatement()) {
        st.execute("BEGIN IMMEDIATE");
        assertThatThrownBy(() -> limiter.checkKeyAndActor("kid", "did:zo:agent:alice"))
            .isInstanceOfSatisfying(RefusalException.class,
                e -> assertThat(e.refusal().reason()).isEqualTo(Reason.RATE_LIMIT_STORE));
        st.execute("ROLLBACK");
        limiter.checkKeyAndActor("kid", "did:zo:agent:alice"); // the store reconnects

        // the table is gone (a damaged file, an operator's mistake)
        st.execute("DROP TABLE rate_limit");
      }
      assertThatThrownBy(() -> store.acquire("k", rate, NOW))
          .isInstanceOf(StoreUnavailableException.class);
    }
  }

  @Test
  void exactAcrossThreeProcessesSharingOneFile() throws Exception {
    long count = 50;
    long periodMillis = 1_000; // T = 20 ms
    long durationMillis = 2_000;
    Hammered h = hammer(count, periodMillis, durationMillis, 1);
    long allowedByGcra = count + (h.last - h.first) / (periodMillis / count);
    System.out.printf("3 processes: %s -> admitted %d, GCRA allows %d over %d ms, %d attempts,"
        + " %d store errors%n", h.lines, h.admitted, allowedByGcra, h.last - h.first, h.attempts,
        h.errors);
    assertThat(h.errors).isZero();
    assertThat(h.attempts).isGreaterThan(3 * count);
    assertThat(h.admitted).isLessThanOrEqualTo(allowedByGcra); // zero over
    // continuous hammering leaves little budget unused (an admission can only be late when no
    // process tried within its millisecond, which shifts the later ones)
    assertThat(h.admitted).isGreaterThanOrEqualTo(allowedByGcra * 9 / 10);
    // and the elapsed window was really most of the run
    assertThat(h.last - h.first).isGreaterThan(durationMillis / 2);
  }

  @Test
  void exactAcrossThreeProcessesOfFourThreadsEach() throws Exception {
    // Threads of one process share batches; the processes share the file. A budget far from
    // refilling (T = 48 min) must be spent exactly, never more.
    long count = 30;
    Hammered h = hammer(count, Duration.ofDays(1).toMillis(), 1_500, 4);
    System.out.printf("3 processes x 4 threads: %s -> admitted %d of %d attempts%n", h.lines,
        h.admitted, h.attempts);
    assertThat(h.errors).isZero();
    assertThat(h.attempts).isGreaterThan(3 * count);
    assertThat(h.admitted).isEqualTo(count);
  }

  private record Hammered(long admitted, long first, long last, long attempts, long errors,
      List<String> lines) {}

  /** Three {@link SqliteHammer} processes on one file and one key, started at one instant. */
  private Hammered hammer(long count, long periodMillis, long durationMillis, int threads)
      throws Exception {
    Path file = dir.resolve("shared.db");
    try (var ignored = new SqliteRateLimitStore(file)) {
      // create the file and schema before the children race to do it
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = System.getProperty("java.class.path");
    long startAt = System.currentTimeMillis() + 3_000; // JVM start-up on a busy machine
    var procs = new ArrayList<Process>();
    for (int i = 0; i < 3; i++) {
      procs.add(new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", cp,
              SqliteHammer.class.getName(), file.toString(), "k:shared",
              Long.toString(count), Long.toString(periodMillis), Long.toString(startAt),
              Long.toString(durationMillis), "200000", Integer.toString(threads))
          .redirectError(dir.resolve("child-" + i + ".err").toFile())
          .start());
    }
    long admitted = 0;
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    long attempts = 0;
    long errors = 0;
    var lines = new ArrayList<String>();
    for (Process p : procs) {
      try {
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child finished").isTrue();
        String[] outLines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
            .strip().split("\n");
        String out = outLines[outLines.length - 1].strip();
        lines.add(out);
        Path err = dir.resolve("child-" + procs.indexOf(p) + ".err");
        assertThat(p.exitValue()).as(out + Files.readString(err)).isZero();
        String[] f = out.split("\\s+");
        long a = Long.parseLong(f[0]);
        admitted += a;
        if (a > 0) {
          first = Math.min(first, Long.parseLong(f[1]));
          last = Math.max(last, Long.parseLong(f[2]));
        }
        attempts += Long.parseLong(f[3]);
        errors += Long.parseLong(f[4]);
      } finally {
        p.destroyForcibly();
      }
    }
    return new Hammered(admitted, first, last, attempts, errors, lines);
  }

  // --- concurrent decisions on one store, and on two stores of one file: exact budgets ---

  @Test
  void concurrentDecisionsAdmitExactlyTheBudgetOfEachKey() throws Exception {
    LimitRate rate = LimitRate.of(25, Duration.ofDays(1)); // T = 58 min: nothing refills
    int threads = 8;
    int each = 100;
    int keys = 4;
    try (var store = new SqliteRateLimitStore(dir.resolve("rl.db"))) {
      long[] admitted = race(threads, keys, (t, i) -> {
        int k = (t + i) % keys; // keys interleaved in every thread
        return store.acquire("k:" + k, rate, NOW + i).allowed() ? k : -1;
      }, each);
      assertThat(admitted).containsOnly(25);
    }
  }

  @Test
  void concurrentDecisionsOnTwoLimitsStayAllOrNothing() throws Exception {
    LimitRate keyRate = LimitRate.of(30, Duration.ofDays(1));
    LimitRate actorRate = LimitRate.of(20, Duration.ofDays(1));
    var pair = List.of(new Limit("k:1", keyRate), new Limit("a:x", actorRate));
    try (var store = new SqliteRateLimitStore(dir.resolve("rl.db"))) {
      // even threads ask for key and actor together, odd ones for the key alone
      long[] admitted = race(8, 2, (t, i) -> t % 2 == 0
          ? (store.acquireAll(pair, NOW).stream().allMatch(Decision::allowed) ? 0 : -1)
          : (store.acquire("k:1", keyRate, NOW).allowed() ? 1 : -1), 60);
      assertThat(admitted[0]).isLessThanOrEqualTo(20);
      assertThat(admitted[0] + admitted[1]).isEqualTo(30); // the key's budget, spent exactly
      // a pair refused by the actor limit spent nothing of the key, and vice versa: the actor
      // has exactly what the admitted pairs left
      assertThat(store.acquire("k:1", keyRate, NOW).allowed()).isFalse();
      long actorLeft = 0;
      for (int i = 0; i < 25 && store.acquire("a:x", actorRate, NOW).allowed(); i++) {
        actorLeft++;
      }
      assertThat(actorLeft).isEqualTo(20 - admitted[0]);
    }
  }

  @Test
  void twoStoreObjectsOnOneFileStayExact() throws Exception {
    LimitRate rate = LimitRate.of(40, Duration.ofDays(1));
    Path file = dir.resolve("rl.db");
    try (var a = new SqliteRateLimitStore(file); var b = new SqliteRateLimitStore(file)) {
      long[] admitted = race(8, 1, (t, i) ->
          (t % 2 == 0 ? a : b).acquire("k:shared", rate, NOW + i).allowed() ? 0 : -1, 50);
      assertThat(admitted[0]).isEqualTo(40);
    }
  }

  private interface Attempt {
    /** Returns the index of the counter to bump for an admission, or -1. */
    int run(int thread, int i) throws Exception;
  }

  /** {@code threads} threads, released together, each making {@code each} attempts. */
  private static long[] race(int threads, int counters, Attempt attempt, int each)
      throws Exception {
    var admitted = new java.util.concurrent.atomic.AtomicLongArray(counters);
    var ready = new CountDownLatch(threads);
    var go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      var futures = new ArrayList<Future<?>>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          ready.countDown();
          go.await();
          for (int i = 0; i < each; i++) {
            int c = attempt.run(thread, i);
            if (c >= 0) {
              admitted.incrementAndGet(c);
            }
          }
          return null;
        }));
      }
      assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
      go.countDown();
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    long[] out = new long[counters];
    for (int i = 0; i < counters; i++) {
      out[i] = admitted.get(i);
    }
    return out;
  }
}
