package io.zogate.proxy.server;

import static io.zogate.proxy.testing.ProxyFixture.ALICE;
import static io.zogate.proxy.testing.ProxyFixture.BOB;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import io.zogate.proxy.testing.TestSigner;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAccumulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rate limits as an operator deploys them: several real zo-gate processes (separate JVMs,
 * started through {@code Main serve --config}) sharing one SQLite rate-limit file, driven by
 * signed requests from an independent signer, with a counting upstream in this JVM as the
 * ground truth of what was admitted.
 *
 * <p>What GCRA promises (docs/CONFIG.md, Rate limits): in any interval of length {@code W} a
 * key admits at most {@code N + floor(W / T)}, {@code T = P / N}. Each admitted request was
 * decided after this JVM sent it and before the upstream received it, so every admission
 * decision lies in {@code [first admitted send, last upstream arrival]}: that span, measured
 * on this JVM's monotonic clock, is the {@code W} the bound is computed for. The only
 * allowance is {@link #CLOCK_ALLOWANCE_MILLIS}: the processes decide on their wall clock
 * truncated to whole milliseconds (two truncated readings can be up to 1 ms further apart than
 * the instants they stand for), and the wall clock may be slewed against the monotonic one by
 * NTP (at most 500 ppm, well under 1 ms over these few seconds).
 *
 * <p>The contrast, the same load on three processes with {@code store: memory}, admits about
 * three times as much: each process keeps its own budget. That is why the SQLite store exists.
 *
 * <p>Load is bounded in count and time and stays on 127.0.0.1.
 */
class SharedRateLimitProcessesTest {

  static final String BODY = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
  static final String KID = "k-shared";
  static final int PROCESSES = 3;
  /** perActor N/P: a burst of 10, then one every T = 100 ms. */
  static final int N = 10;
  static final long PERIOD_MILLIS = 1_000;
  static final long T_NANOS = TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS) / N;
  static final long CLOCK_ALLOWANCE_MILLIS = 2;
  static final long LOAD_MILLIS = 3_000;
  static final int MAX_REQUESTS = 3_000;
  static final int CLIENTS_PER_PROCESS = 2;

  @TempDir Path dir;
  CountingUpstream upstream;

  @BeforeEach
  void startUpstream() throws IOException {
    upstream = new CountingUpstream();
  }

  @AfterEach
  void stopUpstream() {
    upstream.close();
  }

  @Test
  void threeProcessesSharingOneSqliteFileAdmitNoMoreThanOneProcessMay() throws Exception {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    TestSigner signer = TestSigner.hmac(KID, secret);
    Path keyring = writeKeyring(secret);

    Run shared = runAgainstProcesses("sqlite", "sqlite:" + dir.resolve("ratelimit.db"), keyring, signer);
    System.out.println("[shared-rate-limit] sqlite: " + shared);

    assertThat(shared.outcomes.keySet()).as("only admissions and actor_limit refusals")
        .isSubsetOf("200", "429 -32040 actor_limit");
    assertThat(shared.admitted).as("upstream is the ground truth; every 200 reached it")
        .isEqualTo((long) shared.outcomes.getOrDefault("200", 0));
    assertThat(shared.badRefusals).as("refusals without the contract's Retry-After/data").isEmpty();
    assertThat(shared.outcomes.getOrDefault("429 -32040 actor_limit", 0))
        .as("the load exceeded the limit").isGreaterThan(0);
    assertThat(shared.perProcessRefused).as("every process saw the shared budget run out")
        .allSatisfy(n -> assertThat(n).isPositive());
    assertThat(shared.admitted).as("the burst, and some refill").isGreaterThan(N);
    assertThat(shared.admitted).as("GCRA over %d ms: N + floor(W/T)", shared.windowMillis())
        .isLessThanOrEqualTo(shared.gcraBound());

    // The contrast: per-process memory stores each hand out the whole budget.
    upstream.reset();
    Run separate = runAgainstProcesses("memory", "memory", keyring, signer);
    System.out.println("[shared-rate-limit] memory: " + separate);
    assertThat(separate.outcomes.keySet()).isSubsetOf("200", "429 -32040 actor_limit");
    assertThat(separate.admitted).isEqualTo((long) separate.outcomes.getOrDefault("200", 0));
    assertThat(separate.admitted)
        .as("three memory stores admit about 3x; more than one shared budget allows")
        .isGreaterThan(separate.gcraBound())
        .isGreaterThan(shared.gcraBound());
    // Each memory process is held to the bound on its own, so the total to PROCESSES times it.
    assertThat(separate.admitted).isLessThanOrEqualTo(PROCESSES * separate.gcraBound());
  }

  /** One bounded run: PROCESSES real proxies on one store location, all clients as ALICE. */
  Run runAgainstProcesses(String label, String store, Path keyring, TestSigner signer) throws Exception {
    List<Process> procs = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    try {
      for (int i = 0; i < PROCESSES; i++) {
        int port = ProxyFixture.freePort();
        Path config = dir.resolve(label + "-" + i + ".yaml");
        Files.writeString(config, """
            listen: 127.0.0.1:%d
            upstream:
              url: %s
            auth:
              keyring: %s
            rateLimit: { store: "%s", perActor: %d/%dms }
            """.formatted(port, upstream.url(), keyring, store, N, PERIOD_MILLIS));
        procs.add(startProxy(config, dir.resolve(label + "-" + i + ".log")));
        ports.add(port);
      }
      for (int i = 0; i < PROCESSES; i++) {
        awaitListening(procs.get(i), ports.get(i), dir.resolve(label + "-" + i + ".log"));
      }
      return load(ports, signer, ALICE);
    } finally {
      for (Process p : procs) {
        p.destroy();
      }
      for (Process p : procs) {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  static Process startProxy(Path config, Path log) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), "io.zogate.proxy.cli.Main", "serve",
        "--config", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  static void awaitListening(Process p, int port, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new AssertionError("proxy exited " + p.exitValue() + ": " + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new AssertionError("proxy on " + port + " not listening after 60 s: " + Files.readString(log));
  }

  /** CLIENTS_PER_PROCESS client threads per port, for LOAD_MILLIS and at most MAX_REQUESTS. */
  Run load(List<Integer> ports, TestSigner signer, String actor) throws Exception {
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    Map<String, Integer> outcomes = new ConcurrentHashMap<>();
    List<String> badRefusals = new ArrayList<>();
    AtomicInteger sent = new AtomicInteger();
    AtomicInteger[] refusedAt = new AtomicInteger[ports.size()];
    for (int i = 0; i < refusedAt.length; i++) {
      refusedAt[i] = new AtomicInteger();
    }
    LongAccumulator firstAdmittedSend = new LongAccumulator(Math::min, Long.MAX_VALUE);
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LOAD_MILLIS);
    ExecutorService pool = Executors.newFixedThreadPool(ports.size() * CLIENTS_PER_PROCESS);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int c = 0; c < ports.size() * CLIENTS_PER_PROCESS; c++) {
        int which = c % ports.size();
        int port = ports.get(which);
        String authority = "127.0.0.1:" + port;
        futures.add(pool.submit(() -> {
          while (System.nanoTime() < end && sent.incrementAndGet() <= MAX_REQUESTS) {
            Map<String, String> h = new LinkedHashMap<>();
            h.put("Content-Type", "application/json");
            h.put("Accept", "application/json, text/event-stream");
            h.putAll(signer.headers(actor, "POST", authority, "/mcp", body));
            long sentAt = System.nanoTime();
            RawHttp.Response r = RawHttp.request(port, "POST", "/mcp", h, body);
            String outcome = r.outcome();
            outcomes.merge(outcome, 1, Integer::sum);
            if (r.status() == 200) {
              firstAdmittedSend.accumulate(sentAt);
            } else if (r.status() == 429) {
              refusedAt[which].incrementAndGet();
              String problem = retryAfterProblem(r);
              if (problem != null) {
                synchronized (badRefusals) {
                  badRefusals.add(problem);
                }
              }
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
    List<Integer> perProcessRefused = new ArrayList<>();
    for (AtomicInteger a : refusedAt) {
      perProcessRefused.add(a.get());
    }
    List<Long> arrivals = upstream.arrivals();
    long span = arrivals.isEmpty() ? 0 : arrivals.stream().mapToLong(Long::longValue).max().getAsLong()
        - firstAdmittedSend.get();
    return new Run(arrivals.size(), new TreeMap<>(outcomes), badRefusals, perProcessRefused, span);
  }

  /** Null when a 429 carries what CONTRACT.md section 4 says; else what is wrong with it. */
  static String retryAfterProblem(RawHttp.Response r) {
    JsonNode j = r.json();
    JsonNode data = j.path("error").path("data");
    String header = r.header("Retry-After");
    // A refused request waits at most T for the next emission: 100 ms, rounded up to 1 s.
    long expected = Math.max(1, (T_NANOS + 999_999_999L) / 1_000_000_000L);
    if (header == null || !header.equals(Long.toString(expected))
        || !data.path("retryAfterSeconds").isIntegralNumber()
        || data.path("retryAfterSeconds").asLong() != expected
        || !j.get("id").isNull()
        || !data.path("traceId").isTextual()) {
      return "Retry-After " + header + ", body " + r.bodyText();
    }
    return null;
  }

  record Run(long admitted, Map<String, Integer> outcomes, List<String> badRefusals,
      List<Integer> perProcessRefused, long spanNanos) {
    long windowMillis() {
      return TimeUnit.NANOSECONDS.toMillis(spanNanos) + 1;
    }

    /** N + floor(W / T), W = the measured span (rounded up to a ms) plus the clock allowance. */
    long gcraBound() {
      long w = TimeUnit.MILLISECONDS.toNanos(windowMillis() + CLOCK_ALLOWANCE_MILLIS);
      return N + w / T_NANOS;
    }

    @Override
    public String toString() {
      return "upstream received " + admitted + ", outcomes " + outcomes + ", 429s per process "
          + perProcessRefused + ", admissions within " + windowMillis() + " ms, GCRA bound "
          + gcraBound();
    }
  }

  Path writeKeyring(byte[] secret) throws IOException {
    Path keyring = dir.resolve("keyring.json");
    Files.writeString(keyring, """
        { "keys": [ { "kid": "%s", "alg": "HMAC-SHA256", "secret": "%s",
          "actors": ["%s", "did:zo:svc:*"], "status": "active" } ] }
        """.formatted(KID, Base64.getEncoder().encodeToString(secret), ALICE));
    return keyring;
  }

  /**
   * Who can spend whose budget, against one in-process proxy: the limits sit after the
   * signature (CONTRACT.md section 1 step 7), so only a verified actor spends its own budget,
   * and a key's budget covers every actor id it may speak for.
   */
  @Nested
  class WhoSpendsWhichBudget {
    ProxyFixture proxy;

    @AfterEach
    void stopProxy() {
      if (proxy != null) {
        proxy.close();
      }
    }

    ProxyFixture start(String rateLimitYaml) throws Exception {
      proxy = new ProxyFixture(dir, upstream.url(), rateLimitYaml, Optional.empty(), Map.of());
      return proxy;
    }

    @Test
    void anExhaustedActorDoesNotRefuseAnother() throws Exception {
      start("rateLimit: { store: memory, perActor: 3/60s }\n");
      for (int i = 0; i < 3; i++) {
        assertThat(proxy.post(BODY).outcome()).isEqualTo("200");
      }
      RawHttp.Response refused = proxy.post(BODY);
      assertThat(refused.outcome()).isEqualTo("429 -32040 actor_limit");
      assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 20L)
          .isEqualTo(refused.json().path("error").path("data").path("retryAfterSeconds").asLong());
      // Another actor on the same key, and another actor on another key, still pass.
      assertThat(proxy.post(proxy.hmac, "did:zo:svc:indexer", BODY, Map.of()).outcome()).isEqualTo("200");
      assertThat(proxy.post(proxy.ed25519, BOB, BODY, Map.of()).outcome()).isEqualTo("200");
      assertThat(proxy.post(BODY).outcome()).isEqualTo("429 -32040 actor_limit");
      assertThat(upstream.arrivals()).hasSize(5);
    }

    @Test
    void nobodyExhaustsAnActorsBudgetByNamingItUnsigned() throws Exception {
      start("rateLimit: { store: memory, perActor: 3/60s }\n");
      byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 20; i++) {
        // Only the actor id: refused at the headers, before any limit that could count it.
        Map<String, String> bare = new LinkedHashMap<>();
        bare.put("Content-Type", "application/json");
        bare.put("x-actor-id", ALICE);
        assertThat(RawHttp.request(proxy.port, "POST", "/mcp", bare, body).outcome())
            .isEqualTo("401 -32030 missing_header");
        // Every header, a forged signature of the right length.
        Map<String, String> forged = new LinkedHashMap<>();
        forged.put("Content-Type", "application/json");
        forged.putAll(proxy.hmac.headers(ALICE, "POST", proxy.authority(), "/mcp", body));
        forged.put("x-actor-sig", "0".repeat(64));
        assertThat(RawHttp.request(proxy.port, "POST", "/mcp", forged, body).outcome())
            .isEqualTo("401 -32030 signature_invalid");
        // A real signature by a key that may not speak for alice.
        assertThat(proxy.post(proxy.ed25519, ALICE, BODY, Map.of()).outcome())
            .isEqualTo("401 -32030 key_not_permitted_for_actor");
      }
      assertThat(upstream.arrivals()).isEmpty();
      // Alice's whole budget is still hers.
      for (int i = 0; i < 3; i++) {
        assertThat(proxy.post(BODY).outcome()).isEqualTo("200");
      }
      assertThat(proxy.post(BODY).outcome()).isEqualTo("429 -32040 actor_limit");
      assertThat(upstream.arrivals()).hasSize(3);
    }

    @Test
    void aPrefixKeyCannotEscapeItsBudgetByMintingActorIds() throws Exception {
      start("rateLimit: { store: memory, perKey: 5/60s, perActor: 2/60s }\n");
      Map<String, Integer> outcomes = new TreeMap<>();
      for (int i = 0; i < 40; i++) {
        String minted = "did:zo:svc:minted-" + UUID.randomUUID();
        RawHttp.Response r = proxy.post(proxy.hmac, minted, BODY, Map.of());
        outcomes.merge(r.outcome(), 1, Integer::sum);
        if (r.status() == 429) {
          assertThat(r.header("Retry-After"))
              .isEqualTo(r.json().path("error").path("data").path("retryAfterSeconds").asText());
        }
      }
      assertThat(outcomes).containsExactlyInAnyOrderEntriesOf(
          Map.of("200", 5, "429 -32040 key_limit", 35));
      assertThat(upstream.arrivals()).hasSize(5);
      // The key's budget is the key's: another key's actor is untouched.
      assertThat(proxy.post(proxy.ed25519, BOB, BODY, Map.of()).outcome()).isEqualTo("200");
    }
  }

  /** A JDK HttpServer MCP upstream that answers every POST and records when each arrived. */
  static final class CountingUpstream implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final ConcurrentLinkedQueue<Long> arrivals = new ConcurrentLinkedQueue<>();

    CountingUpstream() throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
      server.createContext("/mcp", ex -> {
        long at = System.nanoTime();
        try (ex; InputStream in = ex.getRequestBody()) {
          in.readAllBytes();
          arrivals.add(at);
          byte[] reply = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[]}}"
              .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().set("Content-Type", "application/json");
          ex.sendResponseHeaders(200, reply.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(reply);
          }
        }
      });
      server.setExecutor(pool);
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
    }

    List<Long> arrivals() {
      return List.copyOf(arrivals);
    }

    void reset() {
      arrivals.clear();
    }

    @Override
    public void close() {
      server.stop(0);
      pool.shutdownNow();
    }
  }
}
