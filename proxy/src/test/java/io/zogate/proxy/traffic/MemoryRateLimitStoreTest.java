package io.zogate.proxy.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MemoryRateLimitStoreTest {

  private static final long NOW = 1_700_000_000_000L;

  private static MemoryRateLimitStore store(int maxKeys) {
    return new MemoryRateLimitStore(maxKeys, Duration.ZERO, () -> NOW);
  }

  @Test
  void eightThreadsOnOneKeyAdmitExactlyTheBudget() throws Exception {
    LimitRate rate = LimitRate.of(1_000, Duration.ofHours(1));
    try (var store = store(100)) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        var admitted = new AtomicInteger();
        var attempts = new AtomicInteger();
        var start = new CountDownLatch(1);
        var futures = new java.util.ArrayList<Future<?>>();
        for (int t = 0; t < 8; t++) {
          futures.add(pool.submit(() -> {
            start.await();
            // 10,000 attempts in all, within a few milliseconds of each other
            while (attempts.getAndIncrement() < 10_000) {
              long now = NOW + (attempts.get() % 3); // a clock that barely moves
              if (store.acquire("k:hot", rate, now).allowed()) {
                admitted.incrementAndGet();
              }
            }
            return null;
          }));
        }
        start.countDown();
        for (Future<?> f : futures) {
          f.get(30, TimeUnit.SECONDS);
        }
        // T = 3.6 s, so 2 ms of clock movement adds nothing: exactly the burst
        assertThat(admitted.get()).isEqualTo(1_000);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void acquireAllIsAllOrNothing() throws Exception {
    LimitRate roomy = LimitRate.of(5, Duration.ofMinutes(1));
    LimitRate tight = LimitRate.of(2, Duration.ofMinutes(1));
    try (var store = store(100)) {
      var both = List.of(new Limit("k:1", roomy), new Limit("a:x", tight));
      assertThat(store.acquireAll(both, NOW)).allMatch(Decision::allowed);
      assertThat(store.acquireAll(both, NOW)).allMatch(Decision::allowed);
      List<Decision> third = store.acquireAll(both, NOW);
      assertThat(third.get(0).allowed()).isTrue();
      assertThat(third.get(1).allowed()).isFalse();
      // the refused request spent nothing on k:1: 3 left of 5
      for (int i = 0; i < 3; i++) {
        assertThat(store.acquire("k:1", roomy, NOW).allowed()).isTrue();
      }
      assertThat(store.acquire("k:1", roomy, NOW).allowed()).isFalse();
      assertThatThrownBy(() -> store.acquireAll(
          List.of(new Limit("x", roomy), new Limit("x", roomy)), NOW))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void concurrentAcquireAllStaysExactOnBothKeys() throws Exception {
    LimitRate rate = LimitRate.of(500, Duration.ofHours(1));
    try (var store = store(100)) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        var admitted = new AtomicInteger();
        var futures = new java.util.ArrayList<Future<?>>();
        for (int t = 0; t < 4; t++) {
          boolean flip = t % 2 == 0; // opposite orders: must not deadlock
          futures.add(pool.submit(() -> {
            for (int i = 0; i < 1_000; i++) {
              var limits = flip
                  ? List.of(new Limit("k:a", rate), new Limit("a:b", rate))
                  : List.of(new Limit("a:b", rate), new Limit("k:a", rate));
              if (store.acquireAll(limits, NOW).stream().allMatch(Decision::allowed)) {
                admitted.incrementAndGet();
              }
            }
            return null;
          }));
        }
        for (Future<?> f : futures) {
          f.get(30, TimeUnit.SECONDS);
        }
        assertThat(admitted.get()).isEqualTo(500);
        assertThat(store.acquire("k:a", rate, NOW).allowed()).isFalse();
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void sweepRemovesOnlyExpiredKeys() throws Exception {
    LimitRate rate = LimitRate.of(2, Duration.ofSeconds(10)); // T = 5 s
    try (var store = store(100)) {
      store.acquire("short", rate, NOW); // TAT = NOW + 5 s
      store.acquire("long", rate, NOW);
      store.acquire("long", rate, NOW); // TAT = NOW + 10 s
      assertThat(store.sweep(NOW + 4_999)).isZero();
      assertThat(store.sweep(NOW + 5_000)).isEqualTo(1);
      assertThat(store.keys()).containsExactly("long");
      // forgetting expired state changed nothing: "short" behaves as fresh
      assertThat(store.acquire("short", rate, NOW + 5_000).allowed()).isTrue();
    }
  }

  @Test
  void fullOfLiveKeysFailsClosedInsteadOfForgetting() throws Exception {
    LimitRate rate = LimitRate.of(1, Duration.ofMinutes(1));
    try (var store = store(3)) {
      for (String k : List.of("a", "b", "c")) {
        assertThat(store.acquire(k, rate, NOW).allowed()).isTrue();
      }
      assertThatThrownBy(() -> store.acquire("d", rate, NOW))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("full");
      // existing keys still decide, with their state intact
      assertThat(store.acquire("a", rate, NOW).allowed()).isFalse();
      // once their TATs expire, the inline sweep makes room
      assertThat(store.acquire("d", rate, NOW + 60_000).allowed()).isTrue();
      assertThat(store.size()).isEqualTo(1);
    }
  }

  @Test
  void backgroundSweepRuns() throws Exception {
    var clock = new java.util.concurrent.atomic.AtomicLong(NOW);
    try (var store = new MemoryRateLimitStore(10, Duration.ofMillis(20), clock::get)) {
      store.acquire("x", LimitRate.of(1, Duration.ofSeconds(1)), NOW);
      clock.set(NOW + 1_000);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> store.size() == 0);
    }
  }
}
