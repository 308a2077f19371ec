package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import io.zogate.proxy.testing.RedisServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;

/** {@link RedisReplayStore} against a real redis-server on 127.0.0.1. */
class RedisReplayStoreTest {
  @TempDir Path dir;
  RedisServer redis;
  RedisClient admin;
  final List<ReplayStore> opened = new ArrayList<>();
  final Clock clock = Clock.systemUTC();

  @BeforeEach
  void startRedis() throws Exception {
    redis = RedisServer.start(dir);
    admin = redis.client();
  }

  @AfterEach
  void stop() throws Exception {
    opened.forEach(ReplayStore::close);
    admin.close();
    redis.close();
  }

  RedisReplayStore store() throws Exception {
    RedisReplayStore s = new RedisReplayStore(redis.endpoint(), clock);
    opened.add(s);
    return s;
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

  long inFiveMinutes() {
    return clock.millis() + 360_000;
  }

  @Test
  void reuseIsRefusedPerActorWithOneBoundedNamespacedKey() throws Exception {
    ReplayStore s = store();
    long expires = inFiveMinutes();
    assertThat(outcome(s, "alice", "nonce-aaaaaaaaaaaa", expires)).isNull();
    assertThat(outcome(s, "alice", "nonce-aaaaaaaaaaaa", expires)).isEqualTo(Reason.NONCE_REUSED);
    assertThat(outcome(s, "bob", "nonce-aaaaaaaaaaaa", expires)).isNull();
    assertThat(outcome(s, "alice", "nonce-bbbbbbbbbbbb", expires)).isNull();
    // A long actor and nonce still make a 48-character key under zo:n:.
    String longActor = "did:zo:agent:" + "x".repeat(240);
    assertThat(outcome(s, longActor, "n".repeat(128), expires)).isNull();
    String key = RedisReplayStore.key(longActor, "n".repeat(128));
    assertThat(key).startsWith("zo:n:").hasSize(48);
    assertThat(admin.exists(key)).isTrue();
    // The expiry is the caller's, to the millisecond (PXAT).
    long pttl = admin.pttl(key);
    // Redis answers PTTL from the time it cached for its event loop, which can trail this
    // process's clock by a few milliseconds: hence the small allowance above.
    long now = clock.millis();
    assertThat(pttl).isBetween(expires - now - 2_000, expires - now + 10);
    // "alice\nnonce" and "alice" + "\nnonce" style splits cannot collide: ids hold no line break.
    assertThat(RedisReplayStore.key("a", "bc")).isNotEqualTo(RedisReplayStore.key("ab", "c"));
  }

  @Test
  void aPairIsForgottenAtItsExpiryAndNotBefore() throws Exception {
    ReplayStore s = store();
    long expires = clock.millis() + 400;
    assertThat(outcome(s, "alice", "short-lived-nonce-1", expires)).isNull();
    assertThat(outcome(s, "alice", "short-lived-nonce-1", expires)).isEqualTo(Reason.NONCE_REUSED);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (admin.exists(RedisReplayStore.key("alice", "short-lived-nonce-1"))
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(clock.millis()).as("Redis kept it until its expiry").isGreaterThanOrEqualTo(expires - 5);
    assertThat(outcome(s, "alice", "short-lived-nonce-1", clock.millis() + 60_000)).isNull();
  }

  @Test
  void concurrentClaimsFromTwoInstancesHaveExactlyOneWinner() throws Exception {
    ReplayStore hostA = store();
    ReplayStore hostB = store();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 50; round++) {
        String nonce = "concurrent-nonce-" + round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Reason>> results = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          ReplayStore s = t % 2 == 0 ? hostA : hostB;
          Callable<Reason> claim = () -> {
            go.await();
            return outcome(s, "alice", nonce, inFiveMinutes());
          };
          results.add(pool.submit(claim));
        }
        go.countDown();
        int winners = 0;
        for (Future<Reason> f : results) {
          Reason r = f.get(10, TimeUnit.SECONDS);
          if (r == null) {
            winners++;
          } else {
            assertThat(r).isEqualTo(Reason.NONCE_REUSED);
          }
        }
        assertThat(winners).as("round %d", round).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theStoreStartIsRedissNotTheProcesss() throws Exception {
    long first = store().earliestAcceptableTsMillis();
    assertThat(first).isBetween(clock.millis() - 5_000, clock.millis() + 5_000);
    Thread.sleep(20);
    // A restarted proxy on the same Redis keeps the old start: it refuses nothing fresh.
    assertThat(store().earliestAcceptableTsMillis()).isEqualTo(first);
    // A flushed Redis forgot every nonce: a proxy started after that refuses older timestamps.
    admin.flushAll();
    Thread.sleep(20);
    assertThat(store().earliestAcceptableTsMillis()).isGreaterThan(first);
  }

  @Test
  void anEvictingRedisIsRefusedAtStartUp() throws Exception {
    admin.configSet("maxmemory-policy", "allkeys-lru");
    assertThatThrownBy(this::store).isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("maxmemory-policy is allkeys-lru").hasMessageContaining("noeviction");
    admin.configSet("maxmemory-policy", "volatile-ttl");
    assertThatThrownBy(this::store).isInstanceOf(StoreUnavailableException.class);
    admin.configSet("maxmemory-policy", "noeviction");
    store();
  }

  @Test
  void aClockFarFromRedissIsRefusedAtStartUp() {
    Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(5));
    assertThatThrownBy(() -> new RedisReplayStore(redis.endpoint(), ahead).close())
        .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("clock");
  }

  @Test
  void aFullRedisRefusesInsteadOfForgetting() throws Exception {
    ReplayStore s = store();
    assertThat(outcome(s, "alice", "kept-before-full-1", inFiveMinutes())).isNull();
    admin.configSet("maxmemory", "1"); // anything at all is over the limit now
    assertThatThrownBy(() -> s.claim("alice", "a-new-nonce-000001", inFiveMinutes()))
        .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("OOM");
    // Nothing was evicted: the old nonce is still a replay once there is room again.
    admin.configSet("maxmemory", "0");
    assertThat(outcome(s, "alice", "kept-before-full-1", inFiveMinutes())).isEqualTo(Reason.NONCE_REUSED);
  }

  @Test
  void aSlowRedisFailsWithinTheTimeout() throws Exception {
    ReplayStore s = store();
    admin.sendCommand(Protocol.Command.CLIENT, "PAUSE", "1500", "ALL");
    long start = System.nanoTime();
    assertThatThrownBy(() -> s.claim("alice", "during-the-pause-1", inFiveMinutes()))
        .isInstanceOf(StoreUnavailableException.class);
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(tookMillis).as("bounded by the 200 ms timeout").isLessThan(1_000);
  }

  @Test
  void redisDownFailsClosedAndComesBackWithoutANewStore() throws Exception {
    ReplayStore s = store();
    assertThat(outcome(s, "alice", "before-the-outage-1", inFiveMinutes())).isNull();
    redis.kill();
    for (int i = 0; i < 20; i++) {
      long start = System.nanoTime();
      int n = i;
      assertThatThrownBy(() -> s.claim("alice", "during-the-outage-" + n, inFiveMinutes()))
          .isInstanceOf(StoreUnavailableException.class);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_000);
    }
    redis.startAgain();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    Reason r;
    while (true) {
      try {
        r = outcome(s, "alice", "after-the-outage-1", inFiveMinutes());
        break;
      } catch (StoreUnavailableException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
    assertThat(r).isNull();
    assertThat(outcome(s, "alice", "after-the-outage-1", inFiveMinutes())).isEqualTo(Reason.NONCE_REUSED);
  }
}
