package io.zogate.proxy.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import io.zogate.proxy.testing.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;

/** {@link RedisRateLimitStore} against a real redis-server on 127.0.0.1. */
class RedisRateLimitStoreTest {
  @TempDir Path dir;
  RedisServer redis;
  RedisClient admin;
  final List<RateLimitStore> opened = new ArrayList<>();

  @BeforeEach
  void startRedis() throws Exception {
    redis = RedisServer.start(dir);
    admin = redis.client();
  }

  @AfterEach
  void stop() throws Exception {
    opened.forEach(RateLimitStore::close);
    admin.close();
    redis.close();
  }

  RedisRateLimitStore store() throws Exception {
    RedisRateLimitStore s = new RedisRateLimitStore(redis.endpoint());
    opened.add(s);
    return s;
  }

  /**
   * The script's split seconds+nanoseconds arithmetic equals {@link Gcra#decide} to the
   * nanosecond: the same script, with Redis's TIME replaced by a time the test chooses, over
   * random stored states, instants and rates (including T and tau that are not whole seconds
   * and periods up to the 366-day maximum, where plain doubles would round).
   */
  @Test
  void theScriptIsGcraToTheNanosecond() throws Exception {
    String fixedTime = RedisRateLimitStore.SCRIPT.replace(
        "local t = redis.call('TIME')", "local t = {ARGV[#ARGV - 1], ARGV[#ARGV]}");
    assertThat(fixedTime).isNotEqualTo(RedisRateLimitStore.SCRIPT);
    Random random = new Random(8);
    long[] periods = {1, 7, 1_000, 60_000, 3_600_000, 86_400_000L * 366};
    for (int i = 0; i < 2_000; i++) {
      long count = 1 + random.nextInt(i % 3 == 0 ? 3 : 1_000);
      long periodMillis = periods[random.nextInt(periods.length)];
      LimitRate rate;
      try {
        rate = LimitRate.of(count, Duration.ofMillis(periodMillis));
      } catch (IllegalArgumentException tooFast) {
        continue;
      }
      long nowSeconds = 1_790_000_000L + random.nextInt(1_000_000);
      long nowMicros = random.nextInt(1_000_000);
      long now = nowSeconds * 1_000_000_000L + nowMicros * 1_000L;
      String key = "zo:rl:prop-" + i;
      long stored = Gcra.NO_STATE;
      if (random.nextInt(4) != 0) {
        long span = rate.burstToleranceNanos() + rate.emissionIntervalNanos();
        stored = now - span / 2 + (long) (random.nextDouble() * span * 1.5);
        if (random.nextInt(5) == 0) {
          stored = now + rate.burstToleranceNanos() + random.nextInt(3) - 1; // the boundary
        }
        admin.set(key, String.format("%d:%09d", stored / 1_000_000_000L, stored % 1_000_000_000L));
      }
      Decision expected = Gcra.decide(stored, now, rate);
      long t = rate.emissionIntervalNanos();
      long tau = rate.burstToleranceNanos();
      List<?> reply = (List<?>) admin.eval(fixedTime, List.of(key), List.of(
          Long.toString(t / 1_000_000_000L), Long.toString(t % 1_000_000_000L),
          Long.toString(tau / 1_000_000_000L), Long.toString(tau % 1_000_000_000L),
          Long.toString(nowSeconds), Long.toString(nowMicros)));
      boolean allowed = (Long) reply.get(0) == 1L;
      long s = (Long) reply.get(1);
      long tat = s < 0 ? Gcra.NO_STATE : s * 1_000_000_000L + (Long) reply.get(2);
      Decision actual = new Decision(allowed, tat, (Long) reply.get(3));
      assertThat(actual).as("case %d: rate %s, stored %d, now %d", i, rate, stored, now).isEqualTo(expected);
      if (allowed) {
        assertThat(admin.get(key)).isEqualTo(String.format("%d:%09d",
            expected.tatNanos() / 1_000_000_000L, expected.tatNanos() % 1_000_000_000L));
      }
    }
  }

  @Test
  void aBurstOfExactlyNThenRefusedWithTheRetryGcraGives() throws Exception {
    RateLimitStore s = store();
    LimitRate rate = LimitRate.of(3, Duration.ofSeconds(1)); // T = 333,333,334 ns
    List<Decision> ds = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ds.add(s.acquire("a:alice", rate, 0));
    }
    assertThat(ds).allMatch(Decision::allowed);
    assertThat(ds.get(1).tatNanos() - ds.get(0).tatNanos()).isEqualTo(rate.emissionIntervalNanos());
    assertThat(ds.get(2).tatNanos() - ds.get(1).tatNanos()).isEqualTo(rate.emissionIntervalNanos());
    long before = System.currentTimeMillis() * 1_000_000L;
    Decision refused = s.acquire("a:alice", rate, 0);
    long after = (System.currentTimeMillis() + 1) * 1_000_000L;
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.tatNanos()).isEqualTo(ds.get(2).tatNanos());
    long tat = ds.get(2).tatNanos();
    assertThat(refused.retryAfterMillis())
        .isBetween(Gcra.decide(tat, after, rate).retryAfterMillis(), Gcra.decide(tat, before, rate).retryAfterMillis());
    // Redis forgets the key once its TAT is past (by its own clock), never before.
    long pttl = admin.pttl("zo:rl:a:alice");
    assertThat(pttl).isPositive().isLessThanOrEqualTo(1_001);
  }

  @Test
  void acquireAllIsAllOrNothing() throws Exception {
    RateLimitStore s = store();
    Limit key = new Limit("k:kid", LimitRate.of(100, Duration.ofHours(1)));
    Limit actor = new Limit("a:alice", LimitRate.of(1, Duration.ofHours(1)));
    List<Decision> first = s.acquireAll(List.of(key, actor), 0);
    assertThat(first).allMatch(Decision::allowed);
    List<Decision> second = s.acquireAll(List.of(key, actor), 0);
    assertThat(second.get(0).allowed()).isTrue();
    assertThat(second.get(1).allowed()).isFalse();
    // The key was not charged for the refused request.
    Decision next = s.acquire("k:kid", key.rate(), 0);
    assertThat(next.tatNanos() - first.get(0).tatNanos()).isEqualTo(key.rate().emissionIntervalNanos());
  }

  @Test
  void concurrentAcquiresFromTwoInstancesAdmitExactlyTheBurst() throws Exception {
    RateLimitStore hostA = store();
    RateLimitStore hostB = store();
    LimitRate rate = LimitRate.of(50, Duration.ofHours(1));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> futures = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        RateLimitStore s = t % 2 == 0 ? hostA : hostB;
        futures.add(pool.submit(() -> {
          go.await();
          int admitted = 0;
          for (int i = 0; i < 40; i++) {
            if (s.acquireAll(List.of(new Limit("k:k1", rate), new Limit("a:shared", rate)), 0)
                .get(1).allowed()) {
              admitted++;
            }
          }
          return admitted;
        }));
      }
      go.countDown();
      int total = 0;
      for (Future<Integer> f : futures) {
        total += f.get(30, TimeUnit.SECONDS);
      }
      assertThat(total).isEqualTo(50);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theScriptIsLoadedAgainAfterScriptFlush() throws Exception {
    RateLimitStore s = store();
    LimitRate rate = LimitRate.of(2, Duration.ofHours(1));
    assertThat(s.acquire("a:x", rate, 0).allowed()).isTrue();
    admin.scriptFlush();
    assertThat(s.acquire("a:x", rate, 0).allowed()).isTrue();
    assertThat(s.acquire("a:x", rate, 0).allowed()).isFalse();
  }

  @Test
  void anEvictingRedisIsRefusedAtStartUp() {
    admin.configSet("maxmemory-policy", "volatile-lru");
    assertThatThrownBy(this::store).isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("noeviction");
  }

  @Test
  void redisDownFailsClosedAndComesBackWithoutANewStore() throws Exception {
    RateLimitStore s = store();
    LimitRate rate = LimitRate.of(1_000, Duration.ofHours(1));
    assertThat(s.acquire("a:y", rate, 0).allowed()).isTrue();
    redis.kill();
    for (int i = 0; i < 10; i++) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> s.acquire("a:y", rate, 0)).isInstanceOf(StoreUnavailableException.class);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_000);
    }
    redis.startAgain(); // empty, and without the script: NOSCRIPT is handled too
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      try {
        assertThat(s.acquire("a:y", rate, 0).allowed()).isTrue();
        break;
      } catch (StoreUnavailableException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }
}
