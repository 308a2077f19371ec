package io.zogate.load.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.responseTimeInMillis;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.stream.Collectors;

/**
 * One bounded run of signed MCP traffic against real zo-gate processes with a per-actor rate
 * limit, checked against what GCRA allows (docs/CONFIG.md, Rate limits): in any interval of
 * length W an actor admits at most {@code N + floor(W/T)}, {@code T = P/N}.
 *
 * <p>The simulation starts what it measures in {@link #before()}: a counting upstream in this
 * JVM, a keyring and one configuration per proxy under {@code target/load-runs/}, and the
 * proxies themselves ({@code java -jar zo-gate.jar serve --config}); {@link #after()} stops
 * them. The load is an open model, {@code constantUsersPerSec(rate).during(seconds)}, one
 * signed {@code tools/list} per virtual user (fresh nonce and timestamp from the feeder),
 * spread round-robin over the instances; {@code maxDuration} bounds it in time.
 *
 * <p>Two layers of checks. Gatling's, per response: 200 with the upstream's result, or 429
 * with {@code -32040 actor_limit}, {@code Retry-After} in {@code [1, ceil(T)]} seconds and the
 * same value in {@code data.retryAfterSeconds}; anything else is a KO and the global assertion
 * {@code failedRequests == 0} fails the run. The after-hook's, on the ground truth: per actor,
 * what the upstream received must equal the 200s the clients saw and must not exceed the GCRA
 * bound for the window in which its admissions fell ({@link Expect#ONE_BUDGET}); an actor sent
 * no more than N requests must have had all of them admitted (isolation); a violation throws,
 * which fails the Gatling run and so the build.
 */
abstract class RateLimitSimulation extends Simulation {

  /** What the run must show about the sum of admissions per actor across instances. */
  enum Expect {
    /** At most one budget per actor, whatever the number of instances (memory x1, SQLite xN). */
    ONE_BUDGET,
    /** Each instance its own budget: more than one budget, at most one per instance (memory xN). */
    BUDGET_PER_INSTANCE
  }

  /** Which actor the request with sequence number {@code seq} is sent for. */
  interface Schedule {
    String actorFor(long seq);

    /** Consecutive requests that go to one instance before moving to the next. */
    int stride();

    String describe();
  }

  record Spec(String name, int order, String store, int instances, int limitCount,
      long limitPeriodMillis, double ratePerSec, int seconds, Schedule schedule, Expect expect) {
    long offered() {
      return Math.round(ratePerSec * seconds);
    }

    long emissionNanos() {
      long p = TimeUnit.MILLISECONDS.toNanos(limitPeriodMillis);
      return (p + limitCount - 1) / limitCount; // rounded up, as the proxy does
    }

    String perActorYaml() {
      return limitCount + "/" + limitPeriodMillis + "ms";
    }
  }

  static final String KID = "k-load";
  static final String ACTOR_PREFIX = "did:zo:load:";
  static final String WARMUP_PREFIX = ACTOR_PREFIX + "warmup-";
  static final String BODY = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
  static final byte[] BODY_BYTES = BODY.getBytes(StandardCharsets.UTF_8);
  /** The proxies decide on whole wall-clock milliseconds; two truncated readings differ by < 1 ms more. */
  static final long CLOCK_ALLOWANCE_MILLIS = 2;

  static String prop(String name, String dflt) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() || v.startsWith("${") ? dflt : v.trim();
  }

  static int intProp(String name, int dflt) {
    return Integer.parseInt(prop(name, Integer.toString(dflt)));
  }

  static double doubleProp(String name, double dflt) {
    return Double.parseDouble(prop(name, Double.toString(dflt)));
  }

  /** Per actor, what the clients sent and saw. */
  static final class Tally {
    final AtomicLong sent = new AtomicLong();
    final AtomicLong ok = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong other = new AtomicLong();
    final LongAccumulator firstSendNanos = new LongAccumulator(Math::min, Long.MAX_VALUE);
  }

  final Spec spec;
  final Path target = Path.of(prop("load.target", "target")).toAbsolutePath();
  final Path jar = Path.of(prop("zogate.jar", "../proxy/target/zo-gate.jar")).toAbsolutePath();
  final String profile = prop("load.profile", "quick");
  final int warmupPerInstance = intProp("load.warmup", 100);
  /** Latency percentiles leave out requests sent in the first seconds (client and proxy JIT). */
  final int latencySkipSeconds = intProp("load.latency.skip", 2);

  private final ConcurrentHashMap<String, Tally> tallies = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Integer> latency200 = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Integer> latency429 = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> otherSamples = new ConcurrentLinkedQueue<>();
  private final AtomicLong sequence = new AtomicLong();
  private final LongAccumulator loadStartNanos = new LongAccumulator(Math::min, Long.MAX_VALUE);
  private final ConcurrentHashMap<Integer, AtomicLong> refusedPerInstance = new ConcurrentHashMap<>();

  private ContractSigner signer;
  private CountingUpstream upstream;
  private ProxyFleet fleet;
  private LocalRedis redis;
  private Path runDir;
  private List<long[]> rssBefore = List.of();
  private String loadBefore = "?";

  RateLimitSimulation(Spec spec) {
    this.spec = spec;
    List<String> retryAfter = new ArrayList<>();
    List<Integer> retryAfterInts = new ArrayList<>();
    long maxWaitSeconds = Math.max(1, (spec.emissionNanos() + 999_999_999L) / 1_000_000_000L);
    for (int s = 1; s <= maxWaitSeconds; s++) {
      retryAfter.add(Integer.toString(s));
      retryAfterInts.add(s);
    }

    HttpProtocolBuilder protocol = http
        .disableWarmUp() // its default warm-up calls a public web site; this run stays on loopback
        .disableAutoOrigin() // an Origin the proxy has not allowed would be 403
        .disableAutoReferer()
        .disableCaching()
        .shareConnections(); // a pool of keep-alive connections, as a real client would use

    ScenarioBuilder scn = scenario(spec.name())
        .feed(new SignedFeeder())
        .exec(http("signed tools/list")
            .post("#{url}")
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header("x-actor-id", "#{actorId}")
            .header("x-actor-kid", "#{actorKid}")
            .header("x-actor-ts", "#{actorTs}")
            .header("x-actor-nonce", "#{actorNonce}")
            .header("x-actor-sig", "#{actorSig}")
            .body(StringBody(BODY))
            // Saved first, so they are there for the after-hook even when a later check fails.
            .check(status().saveAs("status"))
            .check(responseTimeInMillis().saveAs("rt"))
            .check(bodyString().saveAs("body"))
            .check(header("Retry-After").optional().saveAs("retryAfter"))
            .check(status().in(200, 429))
            .checkIf((response, session) -> response.status().code() == 200).then(
                jsonPath("$.result.tools[0].name").is("echo"))
            .checkIf((response, session) -> response.status().code() == 429).then(
                jsonPath("$.error.code").ofInt().is(-32040),
                jsonPath("$.error.data.reason").is("actor_limit"),
                jsonPath("$.error.data.traceId").exists(),
                header("Retry-After").in(retryAfter),
                jsonPath("$.error.data.retryAfterSeconds").ofInt().in(retryAfterInts).saveAs("retryAfterData")))
        .exec(session -> {
          record(session);
          return session;
        });

    setUp(scn.injectOpen(constantUsersPerSec(spec.ratePerSec()).during(spec.seconds())))
        .protocols(protocol)
        .maxDuration(spec.seconds() + 60L)
        .assertions(
            global().failedRequests().count().is(0L),
            global().allRequests().count().gt(0L));
  }

  /** Each call: the next actor per the schedule, the next instance, a fresh signature. */
  private final class SignedFeeder implements Iterator<Map<String, Object>> {
    @Override
    public boolean hasNext() {
      return true;
    }

    @Override
    public Map<String, Object> next() {
      long seq = sequence.getAndIncrement();
      String actor = spec.schedule().actorFor(seq);
      List<ProxyFleet.Instance> all = fleet.instances();
      ProxyFleet.Instance in = all.get((int) ((seq / spec.schedule().stride()) % all.size()));
      Tally t = tallies.computeIfAbsent(actor, k -> new Tally());
      t.sent.incrementAndGet();
      long now = System.nanoTime();
      t.firstSendNanos.accumulate(now); // before the send, so before any decision
      loadStartNanos.accumulate(now);
      Map<String, String> h = signer.headers(actor, "POST", in.authority(), "/mcp", BODY_BYTES);
      Map<String, Object> m = new HashMap<>();
      m.put("url", in.url());
      m.put("instance", in.index());
      m.put("fedAt", now);
      m.put("actorId", h.get("x-actor-id"));
      m.put("actorKid", h.get("x-actor-kid"));
      m.put("actorTs", h.get("x-actor-ts"));
      m.put("actorNonce", h.get("x-actor-nonce"));
      m.put("actorSig", h.get("x-actor-sig"));
      return m;
    }
  }

  private void record(Session s) {
    Tally t = tallies.get(s.getString("actorId"));
    Integer status = s.contains("status") ? s.getInt("status") : null;
    int rt = s.contains("rt") ? s.getInt("rt") : -1;
    boolean ok = !s.isFailed();
    boolean steady = s.getLong("fedAt") - loadStartNanos.get() >= TimeUnit.SECONDS.toNanos(latencySkipSeconds);
    if (ok && status != null && status == 429) {
      String header = s.getString("retryAfter");
      Object data = s.contains("retryAfterData") ? s.get("retryAfterData") : null;
      if (header == null || data == null || !header.equals(String.valueOf(data))) {
        ok = false; // Retry-After and data.retryAfterSeconds disagree
      }
    }
    if (ok && status != null && status == 200) {
      t.ok.incrementAndGet();
      if (steady) {
        latency200.add(rt);
      }
    } else if (ok && status != null && status == 429) {
      t.refused.incrementAndGet();
      if (steady) {
        latency429.add(rt);
      }
      refusedPerInstance.computeIfAbsent(s.getInt("instance"), k -> new AtomicLong()).incrementAndGet();
    } else {
      t.other.incrementAndGet();
      if (otherSamples.size() < 10) {
        otherSamples.add("status " + status + ", Retry-After " + s.getString("retryAfter")
            + ", body " + s.getString("body"));
      }
    }
  }

  @Override
  public void before() {
    try {
      String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
      runDir = target.resolve("load-runs").resolve(getClass().getSimpleName() + "-" + stamp);
      Files.createDirectories(runDir);
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      signer = new ContractSigner(KID, secret);
      Path keyring = runDir.resolve("keyring.json");
      Files.writeString(keyring, """
          { "keys": [ { "kid": "%s", "alg": "HMAC-SHA256", "secret": "%s",
            "actors": ["%s*"], "status": "active" } ] }
          """.formatted(KID, Base64.getEncoder().encodeToString(secret), ACTOR_PREFIX));
      upstream = new CountingUpstream();
      String store = switch (spec.store()) {
        case "sqlite" -> "sqlite:" + runDir.resolve("ratelimit.db");
        case "redis" -> {
          redis = LocalRedis.start(runDir);
          yield redis.url();
        }
        default -> spec.store();
      };
      fleet = ProxyFleet.start(jar, runDir, spec.instances(), store, spec.perActorYaml(), upstream.url(), keyring);
      fleet.warmUp(signer, WARMUP_PREFIX, BODY_BYTES, warmupPerInstance);
      rssBefore = fleet.rssKib();
      loadBefore = loadAverage();
      System.out.printf(Locale.ROOT, "[load] %s: %d zo-gate process(es), store %s, perActor %s, offering %.0f req/s for %d s (%s); run files in %s%n",
          spec.name(), spec.instances(), spec.store(), spec.perActorYaml(), spec.ratePerSec(), spec.seconds(),
          spec.schedule().describe(), runDir);
    } catch (Exception e) {
      stopAll();
      throw new IllegalStateException("could not start the system under test: " + e.getMessage(), e);
    }
  }

  @Override
  public void after() {
    List<String> violations = new ArrayList<>();
    try {
      List<long[]> rssAfter = fleet.rssKib();
      violations.addAll(fleet.deadInstances());
      Properties row = verify(violations);
      row.setProperty("rssBefore", mib(rssBefore, 0));
      row.setProperty("rssAfter", mib(rssAfter, 0));
      row.setProperty("rssPeak", mib(rssAfter, 1));
      row.setProperty("loadavg", loadBefore + " / " + loadAverage());
      row.setProperty("violations", Integer.toString(violations.size()));
      LoadSummary.record(target, String.format(Locale.ROOT, "%02d-%s", spec.order(), getClass().getSimpleName()), row);
      System.out.println("[load] " + spec.name() + ": " + row.getProperty("admitted") + " admitted of "
          + row.getProperty("offered") + " offered, bound " + row.getProperty("bound") + ", refused "
          + row.getProperty("refused") + ", other " + row.getProperty("other") + "; RSS MiB before "
          + row.getProperty("rssBefore") + ", after " + row.getProperty("rssAfter") + "; summary in "
          + target.resolve("load-summary.md"));
    } catch (Exception e) {
      violations.add("the after-hook failed: " + e);
    } finally {
      stopAll();
    }
    if (!violations.isEmpty()) {
      String msg = "[load] " + spec.name() + ": " + violations.size() + " violation(s):\n  "
          + violations.stream().limit(20).collect(Collectors.joining("\n  "));
      System.err.println(msg);
      throw new AssertionError(msg);
    }
  }

  private void stopAll() {
    if (fleet != null) {
      fleet.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** Checks the ground truth against GCRA; adds what is wrong to {@code violations}; returns the summary row. */
  private Properties verify(List<String> violations) {
    long n = spec.limitCount();
    long tNanos = spec.emissionNanos();
    long offered = 0;
    long admitted = 0;
    long bound = 0;
    long refused = 0;
    long other = 0;
    long clientOk = 0;
    long hotActors = 0, hotSent = 0, hotAdmitted = 0, hotBound = 0;
    long coldActors = 0, coldSent = 0, coldAdmitted = 0;
    for (Map.Entry<String, Tally> e : new java.util.TreeMap<>(tallies).entrySet()) {
      String actor = e.getKey();
      Tally t = e.getValue();
      CountingUpstream.Arrivals arrivals = upstream.byActor().get(actor);
      long got = arrivals == null ? 0 : arrivals.count.get();
      long actorBound = n;
      if (arrivals != null && got > 0) {
        long spanNanos = Math.max(0, arrivals.lastNanos.get() - t.firstSendNanos.get());
        long windowMillis = TimeUnit.NANOSECONDS.toMillis(spanNanos) + 1 + CLOCK_ALLOWANCE_MILLIS;
        actorBound = n + TimeUnit.MILLISECONDS.toNanos(windowMillis) / tNanos;
      }
      offered += t.sent.get();
      admitted += got;
      bound += actorBound;
      refused += t.refused.get();
      other += t.other.get();
      clientOk += t.ok.get();
      if (t.sent.get() > n) {
        hotActors++;
        hotSent += t.sent.get();
        hotAdmitted += got;
        hotBound += actorBound;
      } else {
        coldActors++;
        coldSent += t.sent.get();
        coldAdmitted += got;
      }
      if (got != t.ok.get()) {
        violations.add(actor + ": the upstream received " + got + " but the clients saw " + t.ok.get() + " 200s");
      }
      if (spec.expect() == Expect.ONE_BUDGET && got > actorBound) {
        violations.add(actor + ": LIMIT LEAKED: admitted " + got + " > GCRA bound " + actorBound);
      }
      if (spec.expect() == Expect.BUDGET_PER_INSTANCE && got > (long) spec.instances() * actorBound) {
        violations.add(actor + ": admitted " + got + " > " + spec.instances() + " instances x bound " + actorBound);
      }
      if (t.sent.get() <= n && got < t.sent.get()) {
        violations.add(actor + ": sent " + t.sent.get() + " (within its burst of " + n + ") but only "
            + got + " admitted: one actor's load refused another's");
      }
    }
    for (String actor : upstream.byActor().keySet()) {
      if (!tallies.containsKey(actor) && !actor.startsWith(WARMUP_PREFIX)) {
        violations.add("the upstream received requests for an actor nobody sent: " + actor);
      }
    }
    if (upstream.withoutActor() > 0) {
      violations.add("the upstream received " + upstream.withoutActor() + " requests without x-zo-actor");
    }
    if (other > 0) {
      violations.add(other + " responses were neither 200 nor a well-formed 429 actor_limit; e.g. " + otherSamples);
    }
    if (refused == 0) {
      violations.add("nothing was refused: the offered load never exceeded the limit, so the run shows nothing");
    }
    if (spec.expect() == Expect.BUDGET_PER_INSTANCE && admitted <= bound) {
      violations.add("memory stores on " + spec.instances() + " instances admitted " + admitted
          + ", no more than one budget (" + bound + "): the contrast did not show");
    }
    long expectedOffered = spec.offered();
    if (offered < expectedOffered * 95 / 100) {
      violations.add("only " + offered + " of " + expectedOffered + " requests were offered");
    }

    Properties row = new Properties();
    row.setProperty("simulation", getClass().getSimpleName());
    row.setProperty("profile", profile);
    row.setProperty("store", spec.store());
    row.setProperty("instances", Integer.toString(spec.instances()));
    row.setProperty("actors", String.format(Locale.ROOT, "%,d", tallies.size()));
    row.setProperty("stateActors", String.format(Locale.ROOT, "%,d", tallies.size() + (long) warmupPerInstance * spec.instances()));
    row.setProperty("limit", spec.limitCount() + "/" + human(spec.limitPeriodMillis()));
    row.setProperty("offered", String.format(Locale.ROOT, "%,d (%,.0f/s x %d s)", offered, spec.ratePerSec(), spec.seconds()));
    row.setProperty("admitted", String.format(Locale.ROOT, "%,d", admitted));
    row.setProperty("admittedRaw", Long.toString(admitted));
    row.setProperty("clientOk", Long.toString(clientOk));
    row.setProperty("bound", String.format(Locale.ROOT, "%,d", bound));
    row.setProperty("ratio", bound == 0 ? "-" : String.format(Locale.ROOT, "%.2f", admitted / (double) bound));
    row.setProperty("refused", String.format(Locale.ROOT, "%,d", refused));
    row.setProperty("other", String.format(Locale.ROOT, "%,d", other));
    row.setProperty("lat200", quantiles(latency200));
    row.setProperty("lat429", quantiles(latency429));
    row.setProperty("latencySkip", Integer.toString(latencySkipSeconds));
    row.setProperty("heap", ProxyFleet.PROXY_HEAP.substring(4));
    row.setProperty("run", DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC).format(Instant.now()));
    StringBuilder note = new StringBuilder();
    if (hotActors > 0) {
      note.append(String.format(Locale.ROOT, "%,d actor(s) offered more than their burst of %d: %,d sent, %,d admitted, bound %,d",
          hotActors, n, hotSent, hotAdmitted, hotBound));
    }
    if (coldActors > 0) {
      note.append(note.length() > 0 ? "; " : "").append(String.format(Locale.ROOT,
          "%,d actor(s) offered at most their burst: %,d sent, %,d admitted", coldActors, coldSent, coldAdmitted));
    }
    if (spec.instances() > 1) {
      List<String> per = new ArrayList<>();
      for (int i = 0; i < spec.instances(); i++) {
        AtomicLong r = refusedPerInstance.get(i);
        per.add(String.format(Locale.ROOT, "%,d", r == null ? 0 : r.get()));
      }
      note.append("; 429s per instance: ").append(String.join(", ", per));
      if (spec.expect() == Expect.ONE_BUDGET && per.contains("0")) {
        violations.add("an instance refused nothing: the load did not exercise the shared budget on every instance");
      }
    }
    row.setProperty("note", note.toString());
    return row;
  }

  /** The machine's 1-minute load average (other builds share these cores), from /proc/loadavg. */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "?";
    }
  }

  static String human(long millis) {
    return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
  }

  static String quantiles(ConcurrentLinkedQueue<Integer> samples) {
    List<Integer> l = new ArrayList<>(samples);
    if (l.isEmpty()) {
      return "-";
    }
    Collections.sort(l);
    return at(l, 0.50) + " / " + at(l, 0.99);
  }

  private static int at(List<Integer> sorted, double q) {
    int i = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  static String mib(List<long[]> rss, int which) {
    return rss.stream()
        .map(r -> r[which] < 0 ? "?" : String.format(Locale.ROOT, "%.0f", r[which] / 1024.0))
        .collect(Collectors.joining(", "));
  }

  /** {@code count} actors, each taking every {@code count}-th request. */
  static Schedule roundRobin(int count) {
    List<String> actors = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      actors.add(String.format(Locale.ROOT, "%sactor-%d", ACTOR_PREFIX, i));
    }
    return new Schedule() {
      @Override
      public String actorFor(long seq) {
        return actors.get((int) (seq % count));
      }

      @Override
      public int stride() {
        return count;
      }

      @Override
      public String describe() {
        return count + " actor(s) round-robin";
      }
    };
  }
}
