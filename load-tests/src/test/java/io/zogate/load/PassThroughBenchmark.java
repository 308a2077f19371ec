package io.zogate.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The pass-through benchmark of issue 2: zo-gate's throughput and latency against the same
 * upstream called directly, against the plainest pass-through on the same JDK stack, and
 * against nginx, with each governance stage switched on in turn. docs/BENCHMARKS.md, "Pass-
 * through cost", says how to run it and how to read it.
 *
 * <p>Every row runs in OS processes of its own, started fresh for each round and stopped after
 * it: the upstream ({@link BenchUpstream}), and the system under test ({@link PlainPassThrough},
 * nginx, or {@code java -jar proxy/target/zo-gate.jar serve --config <generated>}). This JVM
 * only generates load and checks. Rows run {@code bench.rounds} times, in a shuffled order
 * each round (seed printed). Per row and round: a closed-loop throughput measurement after a
 * warm-up, then a latency measurement at a fixed offered rate (open model); then what the row
 * did is checked (every answer a 200 with the upstream's result, the upstream's own count, and
 * for zo-gate its metrics, its SQLite files and {@code ledger verify}), and the benchmark fails
 * if anything does not add up. Writes target/bench/passthrough.md and passthrough.json.
 */
class PassThroughBenchmark {
  static final String ACTOR = "did:zo:agent:bench";
  static final String KID = "bench";
  static final byte[] BODY = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}"
      .getBytes(StandardCharsets.UTF_8);
  /**
   * Every rate limit of the rate-limit rows (client, key and actor): GCRA with a burst of two
   * million and an emission interval T of 15.8112 s, so it never refuses in a run, and each key's
   * stored TAT runs ahead of the clock by exactly (decisions x T), which lets the check count the
   * SQLite store's decisions. A decision costs the same whatever the rate.
   */
  static final String LIMIT = "2000000/366d";
  static final long LIMIT_INTERVAL_NANOS = 366L * 86_400 * 1_000_000_000 / 2_000_000;

  /** The most requests per second any closed loop may send before it counts as exhausted. */
  static final int UNSIGNED_MAX_RATE = 250_000;

  enum Kind { DIRECT, PLAIN, NGINX, ZOGATE }

  /** One row of the table: a system under test and, for zo-gate, its stages. */
  record Row(String id, String label, Kind kind, boolean replaySqlite, String limits, boolean ledger, String base) {
    boolean zoGate() {
      return kind == Kind.ZOGATE;
    }
  }

  static final List<Row> ROWS = List.of(
      new Row("direct", "upstream direct", Kind.DIRECT, false, null, false, null),
      new Row("plain", "plain JDK pass-through", Kind.PLAIN, false, null, false, null),
      new Row("nginx", "nginx pass-through", Kind.NGINX, false, null, false, null),
      new Row("zg-minimal", "zo-gate minimal (replay memory)", Kind.ZOGATE, false, null, false, null),
      new Row("zg-replay-sqlite", "zo-gate, replay SQLite instead", Kind.ZOGATE, true, null, false, "zg-minimal"),
      new Row("zg-limits-memory", "zo-gate + rate limits (memory)", Kind.ZOGATE, false, "memory", false, "zg-minimal"),
      new Row("zg-limits-sqlite", "zo-gate + rate limits (SQLite)", Kind.ZOGATE, false, "sqlite", false, "zg-minimal"),
      new Row("zg-ledger", "zo-gate + ledger (SQLite)", Kind.ZOGATE, false, null, true, "zg-minimal"),
      new Row("zg-all", "zo-gate, all stages (replay, limits, ledger: SQLite)", Kind.ZOGATE, true, "sqlite", true,
          "zg-minimal"));

  /** The knobs, all system properties; docs/BENCHMARKS.md lists them. */
  record Settings(int rounds, long seed, int connections, double warmupSeconds, double seconds, double rate,
      double rateWarmupSeconds, double rateSeconds, int rateConnections, int maxRate, List<String> jvm,
      int nginxWorkers, List<String> only, Path jar, Path out) {
    static Settings fromProperties() {
      String seed = System.getProperty("bench.seed", "");
      String only = System.getProperty("bench.only", "");
      Path base = Path.of(System.getProperty("basedir", "."));
      return new Settings(
          Integer.parseInt(System.getProperty("bench.rounds", "3")),
          seed.isBlank() ? new SecureRandom().nextLong() : Long.parseLong(seed),
          Integer.parseInt(System.getProperty("bench.connections", "16")),
          Double.parseDouble(System.getProperty("bench.warmup", "4")),
          Double.parseDouble(System.getProperty("bench.seconds", "5")),
          Double.parseDouble(System.getProperty("bench.rate", "500")),
          Double.parseDouble(System.getProperty("bench.rate.warmup", "1")),
          Double.parseDouble(System.getProperty("bench.rate.seconds", "5")),
          Integer.parseInt(System.getProperty("bench.rate.connections", "16")),
          Integer.parseInt(System.getProperty("bench.maxRate", "40000")),
          splitFlags(System.getProperty("bench.jvm", "-Xms256m -Xmx256m -XX:+UseSerialGC")),
          Integer.parseInt(System.getProperty("bench.nginx.workers", "1")),
          only.isBlank() ? List.of() : List.of(only.split(",")),
          Path.of(System.getProperty("zogate.jar", base.resolve("../proxy/target/zo-gate.jar").toString()))
              .toAbsolutePath().normalize(),
          base.resolve("target/bench").toAbsolutePath().normalize());
    }

    static List<String> splitFlags(String flags) {
      return flags.isBlank() ? List.of() : List.of(flags.trim().split("\\s+"));
    }

    List<String> javaFlags() {
      List<String> f = new ArrayList<>(jvm);
      f.add("-Dsun.net.httpserver.nodelay=true");
      return f;
    }
  }

  /** What one row did in one round. */
  record Run(String row, int round, int position, double loadBefore, double loadAfter,
      double rps, double p50, double p99, long measuredRequests,
      double rateP50, double rateP99, long rateUnsent, long rateRequests, double rateSendLagP99,
      long answered, List<String> checks, List<String> failures) {}

  @Test
  void measure() throws Exception {
    Settings s = Settings.fromProperties();
    if (!Files.isRegularFile(s.jar())) {
      throw new IllegalStateException("no proxy jar at " + s.jar()
          + ": build it first (mvn -B -o -q package -DskipTests -pl proxy), or pass -Dzogate.jar=...");
    }
    List<Row> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (Row r : ROWS) {
      if (!s.only().isEmpty() && !s.only().contains(r.id())) {
        continue;
      }
      if (r.kind() == Kind.NGINX && !NginxPassThrough.installed()) {
        notes.add("nginx row left out: no " + NginxPassThrough.NGINX);
        continue;
      }
      rows.add(r);
    }
    Path runDir = s.out().resolve("passthrough-runs")
        .resolve(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now()));
    Files.createDirectories(runDir);
    System.out.printf(Locale.ROOT, "pass-through benchmark: seed %d, %d rounds, %d rows, jar %s, logs under %s%n",
        s.seed(), s.rounds(), rows.size(), s.jar(), runDir);
    long started = System.nanoTime();
    warmGenerator(s, Files.createDirectories(runDir.resolve("generator-warm-up")));
    Random random = new Random(s.seed());
    List<Run> runs = new ArrayList<>();
    List<List<String>> orders = new ArrayList<>();
    for (int round = 1; round <= s.rounds(); round++) {
      List<Row> order = new ArrayList<>(rows);
      Collections.shuffle(order, random);
      orders.add(order.stream().map(Row::id).toList());
      for (int pos = 0; pos < order.size(); pos++) {
        Row row = order.get(pos);
        Path dir = Files.createDirectories(runDir.resolve("r" + round + "-" + (pos + 1) + "-" + row.id()));
        Run run;
        long rowStarted = System.nanoTime();
        try {
          run = runRow(s, row, round, pos + 1, dir);
        } catch (Exception | AssertionError e) {
          run = new Run(row.id(), round, pos + 1, loadAverage(), loadAverage(), Double.NaN, Double.NaN, Double.NaN, 0,
              Double.NaN, Double.NaN, 0, 0, Double.NaN, 0, List.of(),
              List.of("run aborted: " + e + " (logs in " + dir + ")"));
        }
        runs.add(run);
        System.out.printf(Locale.ROOT, "round %d/%d #%d %-18s %9.0f req/s p50 %.3f p99 %.3f | @%.0f/s p50 %.3f p99 %.3f"
                + " | load %.1f-%.1f | %.1f s %s%n", round, s.rounds(), pos + 1, row.id(), run.rps(), run.p50(), run.p99(),
            s.rate(), run.rateP50(), run.rateP99(), run.loadBefore(), run.loadAfter(),
            (System.nanoTime() - rowStarted) / 1e9, run.failures().isEmpty() ? "ok" : "FAILED " + run.failures());
        if (run.failures().isEmpty()) {
          deleteStores(dir);
        }
      }
    }
    double minutes = (System.nanoTime() - started) / 60e9;
    String table = Report.markdown(s, rows, runs, orders, notes, minutes);
    System.out.println(table);
    Files.createDirectories(s.out());
    Files.writeString(s.out().resolve("passthrough.md"), table);
    Files.writeString(s.out().resolve("passthrough.json"), Report.json(s, rows, runs, orders, notes, minutes));
    List<String> failures = runs.stream()
        .flatMap(r -> r.failures().stream().map(f -> "round " + r.round() + " " + r.row() + ": " + f)).toList();
    assertThat(failures).as("checks of what each row did (details in target/bench/passthrough.md)").isEmpty();
  }

  // ---------------------------------------------------------------- one row, one round

  private Run runRow(Settings s, Row row, int round, int position, Path dir) throws Exception {
    List<String> checks = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    double loadBefore = loadAverage();
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    int upstreamPort = BenchProcess.freePort();
    int port = row.kind() == Kind.DIRECT ? upstreamPort : BenchProcess.freePort();
    int metricsPort = BenchProcess.freePort();
    Path config = dir.resolve("zo-gate.yaml");
    BenchProcess upstream = null;
    BenchProcess sut = null;
    try {
      String testClasses = testClasses();
      List<String> up = new ArrayList<>(List.of(BenchProcess.java()));
      up.addAll(s.javaFlags());
      up.addAll(List.of("-cp", testClasses, BenchUpstream.class.getName(), Integer.toString(upstreamPort)));
      upstream = BenchProcess.start("upstream", up, upstreamPort, dir.resolve("upstream.log"));
      switch (row.kind()) {
        case DIRECT -> { }
        case PLAIN -> {
          List<String> cmd = new ArrayList<>(List.of(BenchProcess.java()));
          cmd.addAll(s.javaFlags());
          cmd.addAll(List.of("-cp", testClasses, PlainPassThrough.class.getName(), Integer.toString(upstreamPort),
              Integer.toString(port), "64"));
          sut = BenchProcess.start("plain pass-through", cmd, port, dir.resolve("plain.log"));
        }
        case NGINX -> sut = NginxPassThrough.start(dir, upstreamPort, port, s.nginxWorkers());
        case ZOGATE -> {
          writeZoGateConfig(dir, config, row, port, upstreamPort, metricsPort, secret);
          List<String> cmd = new ArrayList<>(List.of(BenchProcess.java()));
          cmd.addAll(s.javaFlags());
          cmd.addAll(List.of("-jar", s.jar().toString(), "serve", "--config", config.toString()));
          sut = BenchProcess.start("zo-gate", cmd, port, dir.resolve("zo-gate.log"));
        }
      }
      upstream.awaitListening(60);
      if (sut != null) {
        sut.awaitListening(60);
      }
      long wallStart = System.currentTimeMillis();

      // Requests. zo-gate's are signed as CONTRACT section 1 says, each with a fresh nonce, after
      // the process started (its memory replay store refuses older timestamps). The measured ones
      // are prepared before the clock starts, so the load generator does the same work per row.
      IntFunction<byte[]> source = row.zoGate() ? signer(port, secret) : plainRequest(port);
      long answered = 0;

      // Probe: one request answered with the upstream's result; for zo-gate, the same request
      // again must be refused as a replay (the nonce check is on).
      byte[] first = source.apply(-1);
      KeepAliveLoad.Exchange probe = KeepAliveLoad.once(port, first);
      if (probe.status() != 200 || !Arrays.equals(probe.body(), BenchUpstream.REPLY)) {
        failures.add("probe answered " + probe.status() + " " + new String(probe.body(), StandardCharsets.UTF_8));
      } else {
        answered++;
      }
      if (row.zoGate()) {
        KeepAliveLoad.Exchange again = KeepAliveLoad.once(port, first);
        String b = new String(again.body(), StandardCharsets.UTF_8);
        if (again.status() == 409 && b.contains("-32032") && b.contains("nonce_reused")) {
          checks.add("a replayed request was refused 409 -32032 nonce_reused");
        } else {
          failures.add("replayed probe answered " + again.status() + " " + b);
        }
      }

      // Warm-up (closed loop, not measured); zo-gate's requests are signed on the fly here, while
      // the measured ones are prepared beside it. Count bounds of the closed loops: the prepared
      // requests for zo-gate; for constant requests a bound no row reaches on a small machine (a
      // loop that reaches either is marked exhausted, and the run fails).
      int budget = (int) Math.ceil((row.zoGate() ? s.maxRate() : UNSIGNED_MAX_RATE) * s.seconds());
      CompletableFuture<Prepared> preparing = prepare(source, row.zoGate(), budget,
          (int) Math.round(s.rate() * s.rateWarmupSeconds()), (int) Math.round(s.rate() * s.rateSeconds()));
      KeepAliveLoad.Result warm = KeepAliveLoad.closed(port, s.connections(), s.warmupSeconds(), source,
          (int) Math.ceil(UNSIGNED_MAX_RATE * s.warmupSeconds()), BenchUpstream.REPLY);
      answered += warm.ok();
      expectClean("warm-up", warm, failures);
      Prepared ready = preparing.get(120, TimeUnit.SECONDS);
      System.gc(); // this JVM's (the load generator's) garbage, collected before the clock starts

      KeepAliveLoad.Result tput = KeepAliveLoad.closed(port, s.connections(), s.seconds(), ready.throughput(), budget,
          BenchUpstream.REPLY);
      answered += tput.ok();
      expectClean("throughput", tput, failures);
      KeepAliveLoad.Result rateWarmRun = KeepAliveLoad.fixedRate(port, s.rateConnections(), s.rate(),
          s.rateWarmupSeconds(), ready.rateWarmup(), BenchUpstream.REPLY);
      answered += rateWarmRun.ok();
      expectClean("fixed-rate warm-up", rateWarmRun.withoutUnsent(), failures);
      KeepAliveLoad.Result lat = KeepAliveLoad.fixedRate(port, s.rateConnections(), s.rate(), s.rateSeconds(),
          ready.rate(), BenchUpstream.REPLY);
      answered += lat.ok();
      expectClean("fixed rate", lat.withoutUnsent(), failures);
      long due = Math.round(s.rate() * s.rateSeconds());
      if (lat.ok() + lat.unsent() != due) {
        failures.add("fixed rate: " + lat.ok() + " good answers and " + lat.unsent() + " unsent of " + due + " due");
      }
      if (lat.unsent() > 0) {
        checks.add(String.format(Locale.ROOT, "OVERLOAD: %,d of %,d requests due at %.0f/s not sent within %.0f s"
            + " (their latency counts as infinite)", lat.unsent(), due, s.rate(), s.rateSeconds() + 10));
      }
      checks.add(String.format(Locale.ROOT, "%,d answers, every one a 200 with the upstream's result", answered));

      // What the upstream saw, and (zo-gate) what the proxy says it did.
      if (sut != null && !sut.alive()) {
        failures.add(sut.name() + " died during the run: " + sut.tail());
      }
      long[] counted = upstreamCount(upstreamPort);
      expectEqual("upstream received", counted[0], answered, checks, failures);
      expectEqual("upstream received with x-zo-actor", counted[1], row.zoGate() ? answered : 0, checks, failures);
      if (row.zoGate()) {
        checkMetrics(metricsPort, answered, checks, failures);
      }
      long wallEnd = System.currentTimeMillis();
      double loadAfter = loadAverage();
      if (sut != null) {
        sut.stop();
      }
      upstream.stop();
      if (row.zoGate()) {
        checkStores(s, row, dir, config, answered, wallStart, wallEnd, checks, failures);
      }
      return new Run(row.id(), round, position, loadBefore, loadAfter,
          tput.rps(), tput.percentileMillis(0.50), tput.percentileMillis(0.99), tput.ok(),
          lat.percentileWithUnsentMillis(0.50), lat.percentileWithUnsentMillis(0.99), lat.unsent(), lat.ok(),
          KeepAliveLoad.percentile(lat.sendLagNanos(), 0.99) / 1e6, answered, checks, failures);
    } finally {
      if (sut != null) {
        sut.close();
      }
      if (upstream != null) {
        upstream.close();
      }
    }
  }

  /**
   * Runs this JVM's load and signing code for a few seconds against a throw-away upstream before
   * the first row, so no row is measured with a cold load generator. Nothing is reported.
   */
  private static void warmGenerator(Settings s, Path dir) throws Exception {
    int port = BenchProcess.freePort();
    List<String> cmd = new ArrayList<>(List.of(BenchProcess.java()));
    cmd.addAll(s.javaFlags());
    cmd.addAll(List.of("-cp", testClasses(), BenchUpstream.class.getName(), Integer.toString(port)));
    try (BenchProcess up = BenchProcess.start("upstream", cmd, port, dir.resolve("upstream.log"))) {
      up.awaitListening(60);
      fill(signer(port, new byte[32]), 50_000);
      KeepAliveLoad.closed(port, s.connections(), 2, plainRequest(port), 2 * UNSIGNED_MAX_RATE, BenchUpstream.REPLY);
      KeepAliveLoad.fixedRate(port, s.rateConnections(), s.rate(), 1, plainRequest(port), BenchUpstream.REPLY);
    }
  }

  private static String testClasses() throws Exception {
    return Path.of(BenchUpstream.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }

  private static void writeZoGateConfig(Path dir, Path config, Row row, int port, int upstreamPort, int metricsPort,
      byte[] secret) throws IOException {
    Files.writeString(dir.resolve("keyring.json"), """
        {"keys":[{"kid":"%s","alg":"HMAC-SHA256","secret":"%s","actors":["%s"],"status":"active"}]}
        """.formatted(KID, Base64.getEncoder().encodeToString(secret), ACTOR));
    StringBuilder y = new StringBuilder();
    y.append("listen: 127.0.0.1:").append(port).append('\n');
    y.append("upstream: { url: \"http://127.0.0.1:").append(upstreamPort).append("/mcp\" }\n");
    y.append("auth: { keyring: keyring.json }\n");
    y.append("replay: { store: ").append(row.replaySqlite() ? "\"sqlite:replay.db\"" : "memory").append(" }\n");
    if (row.limits() != null) {
      y.append("rateLimit: { store: ").append(row.limits().equals("sqlite") ? "\"sqlite:ratelimit.db\"" : "memory")
          .append(", perClient: ").append(LIMIT).append(", perKey: ").append(LIMIT).append(", perActor: ")
          .append(LIMIT).append(" }\n");
    }
    if (row.ledger()) {
      y.append("ledger: \"sqlite:ledger.db\"\n");
    }
    // Metrics are counted whatever the configuration; this only serves them, on a listener and
    // thread of their own, so the checks can read them after the load.
    y.append("metrics: { listen: 127.0.0.1:").append(metricsPort).append(" }\n");
    Files.writeString(config, y.toString());
  }

  /** The requests of the measured phases: throughput, fixed-rate warm-up, fixed rate. */
  record Prepared(IntFunction<byte[]> throughput, IntFunction<byte[]> rateWarmup, IntFunction<byte[]> rate) {}

  /**
   * Unsigned requests are one constant; signed ones are made on a thread of their own (while the
   * warm-up runs), {@code budget} for the throughput phase and one per due request for the others.
   */
  private static CompletableFuture<Prepared> prepare(IntFunction<byte[]> source, boolean signed, int budget,
      int rateWarmup, int rate) {
    if (!signed) {
      return CompletableFuture.completedFuture(new Prepared(source, source, source));
    }
    CompletableFuture<Prepared> f = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        f.complete(new Prepared(fill(source, budget), fill(source, rateWarmup), fill(source, rate)));
      } catch (RuntimeException | Error e) {
        f.completeExceptionally(e);
      }
    }, "bench-prepare");
    t.setDaemon(true);
    t.start();
    return f;
  }

  private static IntFunction<byte[]> fill(IntFunction<byte[]> source, int count) {
    byte[][] all = new byte[count][];
    for (int i = 0; i < count; i++) {
      all[i] = source.apply(i);
    }
    return i -> all[i];
  }

  private static void expectClean(String phase, KeepAliveLoad.Result r, List<String> failures) {
    if (!r.clean()) {
      failures.add(String.format(Locale.ROOT, "%s: %d good, %d bad, %d I/O errors, %d unsent%s%s",
          phase, r.ok(), r.bad(), r.ioErrors(), r.unsent(),
          r.exhausted() ? ", ran out of prepared requests (raise -Dbench.maxRate)" : "",
          r.firstProblem() == null ? "" : "; first problem: " + r.firstProblem()));
    }
  }

  private static void expectEqual(String what, long actual, long expected, List<String> checks,
      List<String> failures) {
    if (actual == expected) {
      checks.add(String.format(Locale.ROOT, "%s %,d = expected", what, actual));
    } else {
      failures.add(String.format(Locale.ROOT, "%s %,d, expected %,d", what, actual, expected));
    }
  }

  // ---------------------------------------------------------------- checks

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private static String get(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() != 200) {
      throw new IOException(url + " answered " + r.statusCode());
    }
    return r.body();
  }

  private static long[] upstreamCount(int port) throws IOException, InterruptedException {
    String[] parts = get("http://127.0.0.1:" + port + "/count").trim().split(" ");
    return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
  }

  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})?\\s+(\\S+)");

  /** Sum of the samples of {@code name} whose labels contain every one of {@code labels}. */
  static double metric(String exposition, String name, String... labels) {
    double sum = 0;
    for (String line : exposition.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (line.startsWith("#") || !m.find() || !m.group(1).equals(name)) {
        continue;
      }
      String l = m.group(3) == null ? "" : m.group(3);
      if (Stream.of(labels).allMatch(l::contains)) {
        sum += Double.parseDouble(m.group(4));
      }
    }
    return sum;
  }

  private static void checkMetrics(int metricsPort, long answered, List<String> checks, List<String> failures)
      throws IOException, InterruptedException {
    // An exchange is counted once its answer is written and closed, a moment after the client
    // has read it: wait (bounded) for the last ones.
    String text = "";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    do {
      text = get("http://127.0.0.1:" + metricsPort + "/metrics");
      if ((long) metric(text, "zogate_requests_total", "outcome=\"relayed\"") >= answered) {
        break;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    expectEqual("zo-gate relayed (metrics)",
        (long) metric(text, "zogate_requests_total", "outcome=\"relayed\"", "code=\"\""), answered, checks, failures);
    expectEqual("zo-gate allow decisions (metrics)",
        (long) metric(text, "zogate_governance_decisions_total", "verdict=\"allow\""), answered, checks, failures);
    expectEqual("zo-gate refusals (metrics, the replayed probe)",
        (long) metric(text, "zogate_requests_total", "outcome=\"refused\""), 1, checks, failures);
    expectEqual("zo-gate replays refused (metrics)", (long) metric(text, "zogate_replays_total"), 1, checks, failures);
    expectEqual("zo-gate rate-limit refusals (metrics)", (long) metric(text, "zogate_rate_limited_total"), 0, checks,
        failures);
    expectEqual("zo-gate store failures (metrics)", (long) metric(text, "zogate_store_failures_total"), 0, checks,
        failures);
    expectEqual("zo-gate upstream failures (metrics)", (long) metric(text, "zogate_upstream_failures_total"), 0,
        checks, failures);
  }

  /** After the proxy stopped: what its SQLite files hold, and {@code ledger verify}. */
  private static void checkStores(Settings s, Row row, Path dir, Path config, long answered, long wallStart,
      long wallEnd, List<String> checks, List<String> failures) throws Exception {
    if (row.replaySqlite()) {
      long nonces = queryLong(dir.resolve("replay.db"), "SELECT count(*) FROM replay_nonce");
      expectEqual("SQLite replay store: nonces held", nonces, answered, checks, failures);
    }
    if ("sqlite".equals(row.limits())) {
      // Each of the three limits decided every request that reached it: the answered ones and
      // the replayed probe (refused after the limits). Its TAT is (first decision + n x T), the
      // first decision between wallStart and wallEnd, and T longer than the run: so n is known.
      long expected = answered + 1;
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("ratelimit.db"));
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT key, tat_nanos FROM rate_limit ORDER BY key")) {
        int keys = 0;
        while (rs.next()) {
          keys++;
          long tat = rs.getLong(2);
          double lo = (tat - wallEnd * 1_000_000L) / (double) LIMIT_INTERVAL_NANOS;
          double hi = (tat - wallStart * 1_000_000L) / (double) LIMIT_INTERVAL_NANOS;
          if (expected >= lo - 1e-9 && expected <= hi + 1e-9) {
            checks.add(String.format(Locale.ROOT, "SQLite rate limit %s: %,d decisions = expected",
                rs.getString(1).replaceAll("[0-9a-f]{16,}", "..."), expected));
          } else {
            failures.add(String.format(Locale.ROOT, "SQLite rate limit %s: TAT says %.1f-%.1f decisions, expected %,d",
                rs.getString(1), lo, hi, expected));
          }
        }
        expectEqual("SQLite rate-limit keys (client, key, actor)", keys, 3, checks, failures);
      }
    }
    if (row.ledger()) {
      // Each relayed request leaves an intent and an outcome; the replayed probe a refusal.
      List<String> cmd = new ArrayList<>(List.of(BenchProcess.java()));
      cmd.addAll(List.of("-jar", s.jar().toString(), "ledger", "verify", "--config", config.toString()));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      Matcher m = Pattern.compile("^OK: (\\d+) entries", Pattern.MULTILINE).matcher(out);
      if (p.exitValue() == 0 && m.find()) {
        expectEqual("ledger verify OK, entries (2 per relayed request + 1 refusal)", Long.parseLong(m.group(1)),
            2 * answered + 1, checks, failures);
      } else {
        failures.add("ledger verify exited " + p.exitValue() + ": " + out);
      }
    }
  }

  private static long queryLong(Path db, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void deleteStores(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        String n = f.getFileName().toString();
        if (n.endsWith(".db") || n.endsWith(".db-wal") || n.endsWith(".db-shm")) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  // ---------------------------------------------------------------- requests

  private static IntFunction<byte[]> plainRequest(int port) {
    byte[] head = ("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + BODY.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = concat(head, BODY);
    return i -> all;
  }

  /** Signs each request with a fresh timestamp and nonce, as CONTRACT.md section 1 says (HMAC-SHA256). */
  private static IntFunction<byte[]> signer(int port, byte[] secret) throws Exception {
    String authority = "127.0.0.1:" + port;
    String bodyHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(BODY));
    String nonceBase = Long.toHexString(new SecureRandom().nextLong()) + "n";
    AtomicLong sequence = new AtomicLong(); // a nonce is never sent twice, whichever thread signs
    ThreadLocal<Mac> macs = ThreadLocal.withInitial(() -> {
      try {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(new SecretKeySpec(secret, "HmacSHA256"));
        return m;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    return i -> {
      String ts = Long.toString(System.currentTimeMillis());
      String nonce = String.format(Locale.ROOT, "%s%016d", nonceBase, sequence.incrementAndGet());
      String toSign = String.join("\n", "zo-actor-proof-v1", KID, ACTOR, ts, nonce, "POST", authority, "/mcp", bodyHash);
      String sig = HexFormat.of().formatHex(macs.get().doFinal(toSign.getBytes(StandardCharsets.UTF_8)));
      byte[] head = ("POST /mcp HTTP/1.1\r\nHost: " + authority + "\r\nContent-Type: application/json\r\n"
          + "x-actor-id: " + ACTOR + "\r\nx-actor-kid: " + KID + "\r\nx-actor-ts: " + ts + "\r\nx-actor-nonce: " + nonce
          + "\r\nx-actor-sig: " + sig + "\r\nContent-Length: " + BODY.length + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1);
      return concat(head, BODY);
    };
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  // ---------------------------------------------------------------- report

  /** Median and range over rounds of one number. */
  record Spread(double median, double min, double max, int n) {
    static Spread of(List<Double> values) {
      List<Double> v = values.stream().filter(d -> !d.isNaN()).sorted().toList();
      if (v.isEmpty()) {
        return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
      }
      int n = v.size();
      double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
      return new Spread(median, v.get(0), v.get(n - 1), n);
    }

    String format(String pattern) {
      if (n == 0) {
        return "-";
      }
      String m = one(pattern, median);
      return n == 1 ? m : m + " (" + one(pattern, min) + " to " + one(pattern, max) + ")";
    }

    /** An infinite latency is a fixed-rate run that could not send everything due: overload. */
    private static String one(String pattern, double v) {
      return Double.isInfinite(v) ? "overload" : String.format(Locale.ROOT, pattern, v);
    }
  }

  static final class Report {
    private Report() {}

    static Spread of(List<Run> runs, String row, ToDoubleFunction<Run> f) {
      return Spread.of(runs.stream().filter(r -> r.row().equals(row) && r.failures().isEmpty())
          .map(r -> f.applyAsDouble(r)).toList());
    }

    /** Per round, f(row) op f(other) of the same round; then median and range over rounds. */
    static Spread paired(List<Run> runs, String row, String other, ToDoubleFunction<Run> f, boolean ratio) {
      List<Double> values = new ArrayList<>();
      for (Run a : runs) {
        if (!a.row().equals(row) || !a.failures().isEmpty()) {
          continue;
        }
        for (Run b : runs) {
          if (b.row().equals(other) && b.round() == a.round() && b.failures().isEmpty()) {
            double x = f.applyAsDouble(a);
            double y = f.applyAsDouble(b);
            values.add(ratio ? x / y : x - y);
          }
        }
      }
      return Spread.of(values);
    }

    static String markdown(Settings s, List<Row> rows, List<Run> runs, List<List<String>> orders, List<String> notes,
        double minutes) {
      StringBuilder sb = new StringBuilder();
      Spread load = Spread.of(runs.stream().flatMap(r -> Stream.of(r.loadBefore(), r.loadAfter())).toList());
      sb.append(String.format(Locale.ROOT, "Run of %s UTC, %.1f minutes, %d CPUs (%s), %s; load average %s to %s"
              + " during the run.%n%n",
          DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC).format(Instant.now()), minutes,
          Runtime.getRuntime().availableProcessors(), cpuModel(), "Java " + System.getProperty("java.runtime.version"),
          fmt(load.min(), "%.1f"), fmt(load.max(), "%.1f")));
      sb.append(String.format(Locale.ROOT, "%d round%s, rows shuffled each round (seed %d); every row's processes"
              + " started fresh each round. Java processes (upstream, plain pass-through, zo-gate): `%s`. nginx: %d"
              + " worker process%s. Throughput: closed loop, %d keep-alive connections, %.0f s warm-up then %.0f s measured."
              + " Latency: open model, %.0f req/s offered over up to %d connections, %.0f s warm-up then %.0f s"
              + " measured (%,d requests), each latency from the request's due time. Each cell: median over rounds,"
              + " (min to max) when there are several.%n%n",
          s.rounds(), s.rounds() == 1 ? "" : "s", s.seed(), String.join(" ", s.javaFlags()), s.nginxWorkers(),
          s.nginxWorkers() == 1 ? "" : "es", s.connections(), s.warmupSeconds(),
          s.seconds(), s.rate(), s.rateConnections(), s.rateWarmupSeconds(), s.rateSeconds(),
          Math.round(s.rate() * s.rateSeconds())));
      sb.append(provenance(s)).append("\n\n");
      for (String n : notes) {
        sb.append("Note: ").append(n).append("\n\n");
      }
      boolean havePlain = rows.stream().anyMatch(r -> r.id().equals("plain"));
      boolean haveDirect = rows.stream().anyMatch(r -> r.id().equals("direct"));

      sb.append("Throughput (closed loop):\n\n");
      sb.append("| row | req/s | vs plain JDK | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|\n");
      for (Row r : rows) {
        sb.append("| ").append(r.label()).append(" | ")
            .append(of(runs, r.id(), Run::rps).format("%,.0f")).append(" | ")
            .append(havePlain ? paired(runs, r.id(), "plain", Run::rps, true).format("%.2fx") : "-").append(" | ")
            .append(of(runs, r.id(), Run::p50).format("%.2f")).append(" | ")
            .append(of(runs, r.id(), Run::p99).format("%.2f")).append(" |\n");
      }
      sb.append(String.format(Locale.ROOT, "%nLatency at %.0f req/s offered (open model):%n%n", s.rate()));
      sb.append("| row | offered / row's throughput | p50 ms | p99 ms | added p50 vs direct ms"
          + " | added p99 vs direct ms |\n|---|---:|---:|---:|---:|---:|\n");
      for (Row r : rows) {
        Spread tput = of(runs, r.id(), Run::rps);
        sb.append("| ").append(r.label()).append(" | ")
            .append(tput.n() == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * s.rate() / tput.median()))
            .append(" | ")
            .append(of(runs, r.id(), Run::rateP50).format("%.3f")).append(" | ")
            .append(of(runs, r.id(), Run::rateP99).format("%.3f")).append(" | ")
            .append(haveDirect ? paired(runs, r.id(), "direct", Run::rateP50, false).format("%.3f") : "-")
            .append(" | ")
            .append(haveDirect ? paired(runs, r.id(), "direct", Run::rateP99, false).format("%.3f") : "-")
            .append(" |\n");
      }
      sb.append("\nPrice of each stage (per round against the row it adds to, then median and range):\n\n");
      sb.append("| stage | adds to | throughput vs that | throughput vs plain JDK | added p50 ms at ")
          .append(String.format(Locale.ROOT, "%.0f/s", s.rate())).append(" | added p99 ms |\n")
          .append("|---|---|---:|---:|---:|---:|\n");
      for (Row r : rows) {
        if (r.base() == null || rows.stream().noneMatch(b -> b.id().equals(r.base()))) {
          continue;
        }
        String baseLabel = rows.stream().filter(b -> b.id().equals(r.base())).findFirst().orElseThrow().label();
        sb.append("| ").append(r.label()).append(" | ").append(baseLabel).append(" | ")
            .append(paired(runs, r.id(), r.base(), Run::rps, true).format("%.2fx")).append(" | ")
            .append(havePlain ? paired(runs, r.id(), "plain", Run::rps, true).format("%.2fx") : "-").append(" | ")
            .append(paired(runs, r.id(), r.base(), Run::rateP50, false).format("%+.3f")).append(" | ")
            .append(paired(runs, r.id(), r.base(), Run::rateP99, false).format("%+.3f")).append(" |\n");
      }
      if (havePlain && haveDirect && rows.stream().anyMatch(r -> r.id().equals("zg-all"))) {
        Spread vsPlain = paired(runs, "zg-all", "plain", Run::rps, true);
        Spread addedP99 = paired(runs, "zg-all", "direct", Run::rateP99, false);
        sb.append("\nTargets (issue 2, 2 cores), for zo-gate with every stage on:\n\n");
        sb.append("- throughput at least the plain JDK pass-through's: ").append(vsPlain.format("%.2fx"))
            .append(met(vsPlain.median() >= 1.0)).append('\n');
        sb.append(String.format(Locale.ROOT, "- p99 added latency at %.0f req/s under 5 ms: ", s.rate()))
            .append(addedP99.format("%.3f ms")).append(met(addedP99.median() < 5.0)).append('\n');
        Spread minVsPlain = paired(runs, "zg-minimal", "plain", Run::rps, true);
        if (minVsPlain.n() > 0) {
          sb.append("- (zo-gate minimal against the plain JDK pass-through: ").append(minVsPlain.format("%.2fx"))
              .append(")\n");
        }
      }
      sb.append("\nOrder of the rows in each round: ");
      for (int i = 0; i < orders.size(); i++) {
        sb.append(i == 0 ? "" : "; ").append(i + 1).append(": ").append(String.join(", ", orders.get(i)));
      }
      sb.append(".\n\nChecked in every round (the benchmark fails otherwise), last round shown:\n\n");
      for (Row r : rows) {
        Run last = runs.stream().filter(x -> x.row().equals(r.id())).reduce((a, b) -> b).orElse(null);
        if (last != null) {
          sb.append("- ").append(r.label()).append(": ").append(String.join("; ", last.checks())).append('\n');
        }
      }
      List<String> failed = runs.stream().flatMap(x -> x.failures().stream()
          .map(f -> "round " + x.round() + " " + x.row() + ": " + f)).toList();
      if (!failed.isEmpty()) {
        sb.append("\n**FAILED** (these runs are left out of the numbers above):\n\n");
        failed.forEach(f -> sb.append("- ").append(f).append('\n'));
      }
      return sb.toString();
    }

    /** Which jar ran (its build time) and which commit the tree was at. */
    static String provenance(Settings s) {
      String jarTime;
      try {
        jarTime = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC)
            .format(Files.getLastModifiedTime(s.jar()).toInstant()) + " UTC";
      } catch (IOException e) {
        jarTime = "?";
      }
      String commit = git(s.jar().getParent(), "rev-parse", "--short", "HEAD");
      String dirty = git(s.jar().getParent(), "status", "--porcelain", "--untracked-files=no");
      return "zo-gate.jar built " + jarTime + "; source tree at commit " + (commit.isEmpty() ? "?" : commit)
          + (dirty.isEmpty() ? "" : " with uncommitted changes") + ".";
    }

    private static String git(Path dir, String... args) {
      try {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "";
      } catch (IOException | InterruptedException e) {
        return "";
      }
    }

    private static String met(boolean yes) {
      return yes ? " (met)" : " (**not met**)";
    }

    private static String fmt(double v, String pattern) {
      return Double.isNaN(v) ? "?" : String.format(Locale.ROOT, pattern, v);
    }

    static String cpuModel() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
          if (line.startsWith("model name")) {
            return line.substring(line.indexOf(':') + 1).trim();
          }
        }
      } catch (IOException | RuntimeException e) {
        // not Linux
      }
      return "unknown CPU";
    }

    static String json(Settings s, List<Row> rows, List<Run> runs, List<List<String>> orders, List<String> notes,
        double minutes) throws IOException {
      Map<String, Object> root = new LinkedHashMap<>();
      Map<String, Object> settings = new LinkedHashMap<>();
      settings.put("rounds", s.rounds());
      settings.put("seed", s.seed());
      settings.put("connections", s.connections());
      settings.put("warmupSeconds", s.warmupSeconds());
      settings.put("seconds", s.seconds());
      settings.put("rate", s.rate());
      settings.put("rateWarmupSeconds", s.rateWarmupSeconds());
      settings.put("rateSeconds", s.rateSeconds());
      settings.put("rateConnections", s.rateConnections());
      settings.put("maxRate", s.maxRate());
      settings.put("javaFlags", s.javaFlags());
      settings.put("nginxWorkers", s.nginxWorkers());
      settings.put("jar", s.jar().toString());
      root.put("time", Instant.now().toString());
      root.put("minutes", minutes);
      root.put("cpus", Runtime.getRuntime().availableProcessors());
      root.put("cpu", cpuModel());
      root.put("java", System.getProperty("java.runtime.version"));
      root.put("settings", settings);
      root.put("notes", notes);
      root.put("orders", orders);
      List<Map<String, Object>> summary = new ArrayList<>();
      for (Row r : rows) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("label", r.label());
        m.put("base", r.base());
        m.put("rps", of(runs, r.id(), Run::rps));
        m.put("p50Ms", of(runs, r.id(), Run::p50));
        m.put("p99Ms", of(runs, r.id(), Run::p99));
        m.put("rpsVsPlain", paired(runs, r.id(), "plain", Run::rps, true));
        m.put("rateP50Ms", of(runs, r.id(), Run::rateP50));
        m.put("rateP99Ms", of(runs, r.id(), Run::rateP99));
        m.put("addedP50VsDirectMs", paired(runs, r.id(), "direct", Run::rateP50, false));
        m.put("addedP99VsDirectMs", paired(runs, r.id(), "direct", Run::rateP99, false));
        if (r.base() != null) {
          m.put("rpsVsBase", paired(runs, r.id(), r.base(), Run::rps, true));
          m.put("addedP50VsBaseMs", paired(runs, r.id(), r.base(), Run::rateP50, false));
          m.put("addedP99VsBaseMs", paired(runs, r.id(), r.base(), Run::rateP99, false));
        }
        summary.add(m);
      }
      root.put("summary", summary);
      root.put("runs", runs);
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
    }
  }
}
