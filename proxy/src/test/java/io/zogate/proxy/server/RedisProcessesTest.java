package io.zogate.proxy.server;

import static io.zogate.proxy.server.SharedRateLimitProcessesTest.N;
import static io.zogate.proxy.server.SharedRateLimitProcessesTest.PERIOD_MILLIS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zogate.proxy.server.SharedRateLimitProcessesTest.CountingUpstream;
import io.zogate.proxy.testing.Exposition;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import io.zogate.proxy.testing.RedisServer;
import io.zogate.proxy.testing.TestSigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAccumulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real zo-gate processes (separate JVMs through {@code Main serve}) on one real Redis, as
 * operators on several hosts deploy them: the rate limit is one budget across them, a nonce is
 * accepted once across them, a Redis outage refuses everything with -32050 (none let through),
 * and the processes resume when Redis is back, without a restart. Bounded load on 127.0.0.1.
 */
class RedisProcessesTest {
  static final String BODY = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
  static final String KID = "k-redis";
  static final String ALICE = ProxyFixture.ALICE;
  static final int PROCESSES = 3;
  static final long LOAD_MILLIS = 2_000;
  static final int MAX_REQUESTS = 2_000;
  /** The one authority all instances serve (as behind a load balancer); signed by clients. */
  static final String AUTHORITY = "gate.zo.test:8787";

  @TempDir Path dir;
  RedisServer redis;
  CountingUpstream upstream;
  final List<Process> procs = new ArrayList<>();
  final List<Integer> ports = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start(dir);
    upstream = new CountingUpstream();
  }

  @AfterEach
  void stop() throws Exception {
    for (Process p : procs) {
      p.destroy();
    }
    for (Process p : procs) {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    upstream.close();
    redis.close();
  }

  @Test
  void threeProcessesOnOneRedisShareOneBudgetAndOneNonceSpaceAndFailClosed() throws Exception {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    TestSigner signer = TestSigner.hmac(KID, secret);
    Path keyring = dir.resolve("keyring.json");
    Files.writeString(keyring, """
        { "keys": [ { "kid": "%s", "alg": "HMAC-SHA256", "secret": "%s",
          "actors": ["%s", "did:zo:svc:*"], "status": "active" } ] }
        """.formatted(KID, Base64.getEncoder().encodeToString(secret), ALICE));
    for (int i = 0; i < PROCESSES; i++) {
      int port = ProxyFixture.freePort();
      Path config = dir.resolve("redis-" + i + ".yaml");
      Files.writeString(config, """
          listen: 127.0.0.1:%d
          upstream:
            url: %s
          auth:
            keyring: %s
            authorities: ["%s"]
          replay: { store: "%s" }
          rateLimit: { store: "%s", perActor: %d/%dms }
          """.formatted(port, upstream.url(), keyring, AUTHORITY, redis.url(), redis.url(), N, PERIOD_MILLIS));
      procs.add(SharedRateLimitProcessesTest.startProxy(config, dir.resolve("redis-" + i + ".log")));
      ports.add(port);
    }
    for (int i = 0; i < PROCESSES; i++) {
      SharedRateLimitProcessesTest.awaitListening(procs.get(i), ports.get(i), dir.resolve("redis-" + i + ".log"));
    }

    // 1. One budget: the GCRA bound of a single limiter holds for all three together.
    SharedRateLimitProcessesTest.Run run = rateLoad(signer);
    System.out.println("[redis-processes] rate limit: " + run);
    assertThat(run.outcomes().keySet()).isSubsetOf("200", "429 -32040 actor_limit");
    assertThat(run.admitted()).isEqualTo((long) run.outcomes().getOrDefault("200", 0));
    assertThat(run.perProcessRefused()).allSatisfy(n -> assertThat(n).isPositive());
    assertThat(run.admitted()).isGreaterThan(N).isLessThanOrEqualTo(run.gcraBound());

    // 2. One nonce space: the same signed request sent to all three at once passes once.
    upstream.reset();
    Map<String, Integer> replayOutcomes = replayRounds(signer, 60);
    System.out.println("[redis-processes] replays: " + replayOutcomes);
    assertThat(replayOutcomes).containsExactlyInAnyOrderEntriesOf(
        Map.of("200", 60, "409 -32032 nonce_reused", 60 * (PROCESSES - 1)));
    assertThat(upstream.arrivals()).hasSize(60);

    // 3. Redis killed: every request refused with -32050, none reaches the upstream.
    upstream.reset();
    redis.kill();
    Map<String, Integer> down = new TreeMap<>();
    for (int i = 0; i < 30; i++) {
      down.merge(send(signer, "did:zo:svc:down-" + i, ports.get(i % PROCESSES)).outcome(), 1, Integer::sum);
    }
    System.out.println("[redis-processes] redis down: " + down);
    assertThat(down).containsExactly(Map.entry("503 -32050 rate_limit_store", 30));
    assertThat(upstream.arrivals()).isEmpty();

    // 4. Redis back (empty, on the same port): every process serves again, no restart.
    redis.startAgain();
    for (int port : ports) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      String outcome;
      int n = 0;
      do {
        outcome = send(signer, "did:zo:svc:back-" + port + "-" + n++, port).outcome();
      } while (!outcome.equals("200") && System.nanoTime() < deadline && sleep(50));
      assertThat(outcome).as("process on %d after Redis came back", port).isEqualTo("200");
    }
    assertThat(replayRounds(signer, 5)).containsExactlyInAnyOrderEntriesOf(
        Map.of("200", 5, "409 -32032 nonce_reused", 5 * (PROCESSES - 1)));
  }

  @Test
  void aReplayStoreOutageIsReplayStoreAndCounted() throws Exception {
    try (ProxyFixture proxy = new ProxyFixture(dir, upstream.url(),
        "replay: { store: \"" + redis.url() + "\" }\n", Optional.empty(), Map.of())) {
      assertThat(proxy.post(BODY).outcome()).isEqualTo("200");
      redis.kill();
      for (int i = 0; i < 5; i++) {
        assertThat(proxy.post(BODY).outcome()).isEqualTo("503 -32050 replay_store");
      }
      assertThat(upstream.arrivals()).hasSize(1);
      // A request is counted once its answer is written, so the last count may trail the answer.
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
          assertThat(Exposition.parse(new String(proxy.server().metrics().scrape(), StandardCharsets.UTF_8))
              .value("zogate_store_failures_total", "store", "replay")).isEqualTo(5.0));
      redis.startAgain();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      String outcome;
      do {
        outcome = proxy.post(BODY).outcome();
      } while (!outcome.equals("200") && System.nanoTime() < deadline && sleep(50));
      assertThat(outcome).isEqualTo("200");
    }
  }

  static boolean sleep(long millis) throws InterruptedException {
    Thread.sleep(millis);
    return true;
  }

  RawHttp.Response send(TestSigner signer, String actor, int port) throws Exception {
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    return RawHttp.request(port, "POST", "/mcp", headers(signer, actor, port, body), body);
  }

  static Map<String, String> headers(TestSigner signer, String actor, int port, byte[] body) throws Exception {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.put("Accept", "application/json, text/event-stream");
    h.put("Host", AUTHORITY);
    h.putAll(signer.headers(actor, "POST", AUTHORITY, "/mcp", body));
    return h;
  }

  /** Rounds of one signed request sent at once to every process (all serve AUTHORITY). */
  Map<String, Integer> replayRounds(TestSigner signer, int rounds) throws Exception {
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    Map<String, Integer> outcomes = new TreeMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(PROCESSES);
    try {
      for (int r = 0; r < rounds; r++) {
        Map<String, String> h = headers(signer, "did:zo:svc:replay-" + r + "-" + System.nanoTime(),
            ports.get(0), body);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> fs = new ArrayList<>();
        for (int port : ports) {
          fs.add(pool.submit(() -> {
            go.await();
            return RawHttp.request(port, "POST", "/mcp", h, body).outcome();
          }));
        }
        go.countDown();
        for (Future<String> f : fs) {
          outcomes.merge(f.get(30, TimeUnit.SECONDS), 1, Integer::sum);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return outcomes;
  }

  SharedRateLimitProcessesTest.Run rateLoad(TestSigner signer) throws Exception {
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    Map<String, Integer> outcomes = new ConcurrentHashMap<>();
    AtomicInteger sent = new AtomicInteger();
    AtomicInteger[] refusedAt = new AtomicInteger[PROCESSES];
    for (int i = 0; i < PROCESSES; i++) {
      refusedAt[i] = new AtomicInteger();
    }
    LongAccumulator firstAdmittedSend = new LongAccumulator(Math::min, Long.MAX_VALUE);
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LOAD_MILLIS);
    ExecutorService pool = Executors.newFixedThreadPool(PROCESSES * 2);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int c = 0; c < PROCESSES * 2; c++) {
        int which = c % PROCESSES;
        int port = ports.get(which);
        futures.add(pool.submit(() -> {
          while (System.nanoTime() < end && sent.incrementAndGet() <= MAX_REQUESTS) {
            Map<String, String> h = headers(signer, ALICE, port, body);
            long sentAt = System.nanoTime();
            RawHttp.Response r = RawHttp.request(port, "POST", "/mcp", h, body);
            outcomes.merge(r.outcome(), 1, Integer::sum);
            if (r.status() == 200) {
              firstAdmittedSend.accumulate(sentAt);
            } else if (r.status() == 429) {
              refusedAt[which].incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(LOAD_MILLIS + 60_000, TimeUnit.MILLISECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<Integer> perProcess = new ArrayList<>();
    for (AtomicInteger a : refusedAt) {
      perProcess.add(a.get());
    }
    List<Long> arrivals = upstream.arrivals();
    long span = arrivals.isEmpty() ? 0
        : arrivals.stream().mapToLong(Long::longValue).max().getAsLong() - firstAdmittedSend.get();
    return new SharedRateLimitProcessesTest.Run(arrivals.size(), new TreeMap<>(outcomes), List.of(),
        perProcess, span);
  }
}
