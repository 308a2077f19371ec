package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayStoreTest {
  static final long START = 1_790_000_000_000L;

  /** The behaviour every store shares, run against each implementation. */
  abstract static class Contract {
    @TempDir Path dir;
    final MutableClock clock = new MutableClock(START);
    final List<ReplayStore> opened = new ArrayList<>();

    abstract ReplayStore open(long capacity) throws Exception;

    ReplayStore store(long capacity) throws Exception {
      ReplayStore s = open(capacity);
      opened.add(s);
      return s;
    }

    @AfterEach
    void closeStores() {
      opened.forEach(ReplayStore::close);
    }

    static Reason outcome(ReplayStore s, String actor, String nonce, long expires)
        throws StoreUnavailableException {
      try {
        s.claim(actor, nonce, expires);
        return null;
      } catch (RefusalException e) {
        return e.refusal().reason();
      }
    }

    @Test
    void reuseIsRefusedPerActor() throws Exception {
      ReplayStore s = store(100);
      long expires = START + 360_000;
      assertThat(outcome(s, "alice", "nonce-aaaaaaaaaaaa", expires)).isNull();
      assertThat(outcome(s, "alice", "nonce-aaaaaaaaaaaa", expires)).isEqualTo(Reason.NONCE_REUSED);
      assertThat(outcome(s, "bob", "nonce-aaaaaaaaaaaa", expires)).isNull();
      assertThat(outcome(s, "alice", "nonce-bbbbbbbbbbbb", expires)).isNull();
    }

    @Test
    void concurrentClaimsOfOnePairHaveExactlyOneWinner() throws Exception {
      ReplayStore s = store(10_000);
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        for (int round = 0; round < 20; round++) {
          String nonce = "concurrent-nonce-" + round;
          CountDownLatch go = new CountDownLatch(1);
          List<Future<Reason>> results = new ArrayList<>();
          for (int t = 0; t < 8; t++) {
            Callable<Reason> claim = () -> {
              go.await();
              return outcome(s, "alice", nonce, START + 360_000);
            };
            results.add(pool.submit(claim));
          }
          go.countDown();
          int winners = 0;
          for (Future<Reason> r : results) {
            Reason reason = r.get();
            if (reason == null) {
              winners++;
            } else {
              assertThat(reason).isEqualTo(Reason.NONCE_REUSED);
            }
          }
          assertThat(winners).as("round %d", round).isEqualTo(1);
        }
      } finally {
        pool.shutdownNow();
      }
    }

    @Test
    void anExpiredPairCanBeClaimedAgainAndIsPurged() throws Exception {
      ReplayStore s = store(2);
      assertThat(outcome(s, "alice", "n1-xxxxxxxxxxxxxx", START + 1000)).isNull();
      clock.advance(1000);
      // At the expiry instant the pair is still held.
      assertThat(outcome(s, "alice", "n1-xxxxxxxxxxxxxx", START + 5000)).isEqualTo(Reason.NONCE_REUSED);
      clock.advance(1);
      assertThat(outcome(s, "alice", "n1-xxxxxxxxxxxxxx", START + 5000)).isNull();
      assertThat(outcome(s, "alice", "n2-xxxxxxxxxxxxxx", START + 2000)).isNull();
      clock.advance(1000);
      s.purgeExpired();
      // n2 expired and was purged: room for two new pairs; n1 (held until START+5000) stays.
      assertThat(outcome(s, "alice", "n3-xxxxxxxxxxxxxx", START + 9000)).isNull();
      assertThat(outcome(s, "alice", "n1-xxxxxxxxxxxxxx", START + 9000)).isEqualTo(Reason.NONCE_REUSED);
    }

    @Test
    void fullOfUnexpiredPairsRefusesAndNeverEvicts() throws Exception {
      ReplayStore s = store(3);
      for (int i = 0; i < 3; i++) {
        s.claim("alice", "full-nonce-" + i + "-xxxxx", START + 10_000);
      }
      assertThatThrownBy(() -> s.claim("alice", "full-nonce-3-xxxxx", START + 10_000))
          .isInstanceOf(StoreUnavailableException.class);
      for (int i = 0; i < 3; i++) {
        assertThat(outcome(s, "alice", "full-nonce-" + i + "-xxxxx", START + 10_000))
            .isEqualTo(Reason.NONCE_REUSED);
      }
      // Once one expires, the claim that finds the store full purges it and succeeds.
      clock.advance(10_001);
      assertThat(outcome(s, "alice", "full-nonce-3-xxxxx", START + 30_000)).isNull();
    }

    @Test
    void measureClaimsPerSecond() throws Exception {
      ReplayStore s = store(1_000_000);
      int rounds = this instanceof Memory ? 200_000 : 3_000;
      long start = System.nanoTime();
      for (int i = 0; i < rounds; i++) {
        s.claim("did:zo:agent:alice", "measure-nonce-" + i, START + 360_000);
      }
      double perSecond = rounds / ((System.nanoTime() - start) / 1e9);
      System.out.printf("[measure] %s: %.0f claims/s on one thread%n",
          getClass().getSimpleName(), perSecond);
      int threads = 4;
      int perThread = rounds / threads;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> futures = new ArrayList<>();
        long startParallel = System.nanoTime();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          futures.add(pool.submit(() -> {
            for (int i = 0; i < perThread; i++) {
              s.claim("did:zo:agent:bob", "parallel-" + thread + "-" + i + "-xxxx", START + 360_000);
            }
            return null;
          }));
        }
        for (Future<?> f : futures) {
          f.get();
        }
        double parallel = threads * perThread / ((System.nanoTime() - startParallel) / 1e9);
        System.out.printf("[measure] %s: %.0f claims/s on %d threads%n",
            getClass().getSimpleName(), parallel, threads);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Nested
  class Memory extends Contract {
    @Override
    ReplayStore open(long capacity) {
      return new MemoryReplayStore((int) capacity, clock);
    }

    @Test
    void refusesTimestampsFromBeforeItStarted() throws Exception {
      assertThat(store(10).earliestAcceptableTsMillis()).isEqualTo(START);
    }
  }

  @Nested
  class SqliteCrashDurability extends Contract {
    @Override
    ReplayStore open(long capacity) throws Exception {
      return new SqliteReplayStore(dir.resolve("replay.db"), capacity, clock,
          SqliteReplayStore.Durability.PROCESS_CRASH_ONLY);
    }
  }

  @Nested
  class Sqlite extends Contract {
    @Override
    ReplayStore open(long capacity) throws Exception {
      return new SqliteReplayStore(dir.resolve("replay.db"), capacity, clock);
    }

    @Test
    void aReplayAfterRestartIsStillRefused() throws Exception {
      ReplayStore first = store(100);
      first.claim("alice", "restart-nonce-xxxxx", START + 360_000);
      long created = first.earliestAcceptableTsMillis();
      first.close();
      clock.advance(60_000);
      ReplayStore second = store(100);
      assertThat(outcome(second, "alice", "restart-nonce-xxxxx", START + 360_000))
          .isEqualTo(Reason.NONCE_REUSED);
      // It remembers, so a restart does not move the earliest acceptable time forward.
      assertThat(second.earliestAcceptableTsMillis()).isEqualTo(created).isEqualTo(START);
    }

    @Test
    void twoStoresOnOneFileAgree() throws Exception {
      ReplayStore a = store(10_000);
      ReplayStore b = store(10_000);
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        for (int round = 0; round < 10; round++) {
          String nonce = "shared-nonce-" + round + "-xxxx";
          CountDownLatch go = new CountDownLatch(1);
          List<Future<Reason>> results = new ArrayList<>();
          for (int t = 0; t < 8; t++) {
            ReplayStore s = t % 2 == 0 ? a : b;
            results.add(pool.submit(() -> {
              go.await();
              return outcome(s, "alice", nonce, START + 360_000);
            }));
          }
          go.countDown();
          long winners = 0;
          for (Future<Reason> r : results) {
            if (r.get() == null) {
              winners++;
            }
          }
          assertThat(winners).isEqualTo(1);
        }
      } finally {
        pool.shutdownNow();
      }
      // Capacity is shared too: the counter lives in the file.
      ReplayStore small = store(12);
      small.claim("alice", "one-more-nonce-xxx", START + 360_000);
      small.claim("alice", "two-more-nonce-xxx", START + 360_000);
      assertThatThrownBy(() -> small.claim("alice", "three-more-nonce-x", START + 360_000))
          .isInstanceOf(StoreUnavailableException.class);
    }

    /** Bounded wait for a state of the store another thread reaches (no latch can observe it). */
    void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!condition.getAsBoolean()) {
        assertThat(System.nanoTime() - deadline).as("condition within 10 s").isNegative();
        Thread.sleep(1);
      }
    }

    /** A connection holding the file's write lock, so the store's next batch waits for it. */
    java.sql.Connection holdWriteLock() throws Exception {
      java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("replay.db"));
      try (var st = c.createStatement()) {
        st.execute("BEGIN IMMEDIATE");
      }
      return c;
    }

    long held() throws Exception {
      try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("replay.db"));
          var st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM replay_nonce")) {
        rs.next();
        return rs.getLong(1);
      }
    }

    /**
     * Claims {@code nonces} behind a held write lock: the first is being written (waiting for
     * the lock), the rest queued one by one in this order, so they form the next batch.
     */
    List<Future<Reason>> claimInOneBatch(SqliteReplayStore s, ExecutorService pool, java.sql.Connection blocker,
        String first, List<String> nonces) throws Exception {
      List<Future<Reason>> results = new ArrayList<>();
      results.add(pool.submit(() -> outcome(s, "alice", first, START + 360_000)));
      await(s::writingClaims);
      for (String n : nonces) {
        results.add(pool.submit(() -> outcome(s, "alice", n, START + 360_000)));
        int queued = results.size() - 1;
        await(() -> s.queuedClaims() == queued);
      }
      return results;
    }

    @Test
    void claimsInOneBatchAreDecidedEachOnItsOwnInQueueOrder() throws Exception {
      SqliteReplayStore s = (SqliteReplayStore) store(4);
      s.claim("alice", "pre-held-nonce-xxx", START + 360_000);
      ExecutorService pool = Executors.newCachedThreadPool();
      try {
        List<Future<Reason>> r;
        try (java.sql.Connection blocker = holdWriteLock(); var st = blocker.createStatement()) {
          r = claimInOneBatch(s, pool, blocker, "first-nonce-xxxxxx", List.of("dup-nonce-xxxxxxxx",
              "dup-nonce-xxxxxxxx", "pre-held-nonce-xxx", "fourth-nonce-xxxxx", "over-capacity-xxxx"));
          st.execute("COMMIT");
        }
        assertThat(r.get(0).get(10, TimeUnit.SECONDS)).isNull();
        assertThat(r.get(1).get(10, TimeUnit.SECONDS)).as("first of the pair wins").isNull();
        assertThat(r.get(2).get(10, TimeUnit.SECONDS)).as("second of the pair").isEqualTo(Reason.NONCE_REUSED);
        assertThat(r.get(3).get(10, TimeUnit.SECONDS)).isEqualTo(Reason.NONCE_REUSED);
        assertThat(r.get(4).get(10, TimeUnit.SECONDS)).isNull();
        assertThatThrownBy(() -> r.get(5).get(10, TimeUnit.SECONDS))
            .hasCauseInstanceOf(StoreUnavailableException.class).hasMessageContaining("full");
        assertThat(s.claimTransactions()).as("pre, first, then one batch").isEqualTo(3);
        assertThat(held()).isEqualTo(4);
        // The refused claim left nothing: once a pair expires, it is claimed like any new one.
        clock.advance(360_001);
        assertThat(outcome(s, "alice", "over-capacity-xxxx", START + 720_000)).isNull();
      } finally {
        pool.shutdownNow();
      }
    }

    @Test
    void aFailedBatchFailsEveryClaimInItAndStoresNoneOfThem() throws Exception {
      SqliteReplayStore s = (SqliteReplayStore) store(100);
      ExecutorService pool = Executors.newCachedThreadPool();
      try {
        List<Future<Reason>> r;
        try (java.sql.Connection blocker = holdWriteLock(); var st = blocker.createStatement()) {
          r = claimInOneBatch(s, pool, blocker, "first-nonce-xxxxxx",
              List.of("x-nonce-xxxxxxxxxx", "poison-nonce-xxxxx", "y-nonce-xxxxxxxxxx"));
          st.execute("CREATE TRIGGER poison BEFORE INSERT ON replay_nonce WHEN NEW.nonce = 'poison-nonce-xxxxx'"
              + " BEGIN SELECT RAISE(ABORT, 'poisoned claim'); END");
          st.execute("COMMIT");
        }
        assertThat(r.get(0).get(10, TimeUnit.SECONDS)).isNull();
        for (Future<Reason> f : r.subList(1, 4)) {
          assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
              .hasCauseInstanceOf(StoreUnavailableException.class).hasMessageContaining("poisoned claim");
        }
        assertThat(held()).isEqualTo(1);
        assertThat(outcome(s, "alice", "x-nonce-xxxxxxxxxx", START + 360_000)).isNull();
        assertThat(outcome(s, "alice", "y-nonce-xxxxxxxxxx", START + 360_000)).isNull();
        assertThat(outcome(s, "alice", "first-nonce-xxxxxx", START + 360_000)).isEqualTo(Reason.NONCE_REUSED);
      } finally {
        pool.shutdownNow();
      }
    }

    @Test
    void sixteenThreadsAreGroupCommittedWithFewerTransactionsThanClaims() throws Exception {
      SqliteReplayStore s = (SqliteReplayStore) store(100_000);
      int threads = 16;
      int each = 50;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int tn = t;
          done.add(pool.submit(() -> {
            go.await();
            for (int i = 0; i < each; i++) {
              s.claim("alice", "many-" + tn + "-" + i + "-xxxxxxxx", START + 360_000);
              // Each accepted claim is committed by the time it returns: a second claim is a replay.
              assertThat(outcome(s, "alice", "many-" + tn + "-" + i + "-xxxxxxxx", START + 360_000))
                  .isEqualTo(Reason.NONCE_REUSED);
            }
            return null;
          }));
        }
        go.countDown();
        for (Future<?> f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(held()).isEqualTo((long) threads * each);
      System.out.printf("[measure] SqliteReplayStore: %d claims from %d threads in %d transactions%n",
          2 * threads * each, threads, s.claimTransactions());
      assertThat(s.claimTransactions()).isLessThan(2L * threads * each);
    }

    @Test
    void aCorruptFileIsStoreUnavailable() throws Exception {
      Path corrupt = dir.resolve("corrupt.db");
      Files.write(corrupt, "this is not a sqlite database, just text padding it out.".repeat(200).getBytes());
      assertThatThrownBy(() -> new SqliteReplayStore(corrupt, 10, clock))
          .isInstanceOf(StoreUnavailableException.class);
    }

    @Test
    void anUnwritableLocationIsStoreUnavailable() throws Exception {
      Path notADirectory = dir.resolve("plain-file");
      Files.write(notADirectory, new byte[] {1});
      assertThatThrownBy(() -> new SqliteReplayStore(notADirectory.resolve("replay.db"), 10, clock))
          .isInstanceOf(StoreUnavailableException.class);
    }

    @Test
    void aFileBrokenAfterOpeningFailsClosed() throws Exception {
      Path path = dir.resolve("broken.db");
      ReplayStore s = store(100);
      ReplayStore broken = new SqliteReplayStore(path, 100, clock);
      opened.add(broken);
      broken.claim("alice", "before-break-xxxxxx", START + 360_000);
      try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + path);
          var st = c.createStatement()) {
        st.execute("DROP TABLE replay_nonce");
      }
      assertThatThrownBy(() -> broken.claim("alice", "after-break-xxxxxxx", START + 360_000))
          .isInstanceOf(StoreUnavailableException.class);
      assertThat(outcome(s, "alice", "unaffected-store-xx", START + 360_000)).isNull();
    }

    @Test
    void aClosedStoreFailsClosed() throws Exception {
      ReplayStore s = store(100);
      s.close();
      assertThatThrownBy(() -> s.claim("alice", "after-close-xxxxxxx", START + 360_000))
          .isInstanceOf(StoreUnavailableException.class);
    }
  }
}
