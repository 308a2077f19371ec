package io.zogate.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.config.ConfigLoader;
import io.zogate.proxy.server.Gateway;
import io.zogate.proxy.server.ProxyServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issue-2 benchmark, one run on loopback: the upstream called directly, the plain JDK
 * pass-through, and zo-gate governing every request (memory and SQLite replay stores). Writes
 * a Markdown table to target/bench/passthrough.md. Not a timed test: it asserts only that
 * every variant answered without errors; the numbers are for docs/BENCHMARKS.md, as ratios.
 *
 * <p>Run: {@code mvn -B -q install -DskipTests && mvn -B -pl load-tests -Pbench test}
 * ({@code -Dbench.seconds=10 -Dbench.connections=16} to change the load).
 */
class PassThroughBenchmark {
  static {
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  static final String ACTOR = "did:zo:agent:bench";
  static final String KID = "bench";
  static final byte[] BODY = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}"
      .getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  @Test
  void measure() throws Exception {
    double seconds = Double.parseDouble(System.getProperty("bench.seconds", "8"));
    int connections = Integer.parseInt(System.getProperty("bench.connections", "16"));
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    Files.writeString(dir.resolve("keyring.json"), """
        {"keys":[{"kid":"%s","alg":"HMAC-SHA256","secret":"%s","actors":["%s"],"status":"active"}]}
        """.formatted(KID, Base64.getEncoder().encodeToString(secret), ACTOR));

    List<KeepAliveLoad.Result> throughput = new ArrayList<>();
    List<KeepAliveLoad.Result> single = new ArrayList<>();
    try (BenchUpstream upstream = new BenchUpstream();
        PlainPassThrough plain = new PlainPassThrough(upstream.port(), 64);
        NginxPassThrough nginx = NginxPassThrough.startOrNull(dir, upstream.port());
        ProxyServer memory = zoGate(upstream.port(), "memory", "");
        ProxyServer sqlite = zoGate(upstream.port(), "sqlite:" + dir.resolve("replay.db"), "");
        ProxyServer limited = zoGate(upstream.port(), "memory",
            "rateLimit: { store: memory, perClient: 100000000/1s, perKey: 100000000/1s, perActor: 100000000/1s }\n");
        ProxyServer sharedLimits = zoGate(upstream.port(), "memory", "rateLimit: { store: \"sqlite:"
            + dir.resolve("ratelimit.db") + "\", perKey: 100000000/1s, perActor: 100000000/1s }\n");
        ProxyServer audited = zoGate(upstream.port(), "memory", "ledger: \"sqlite:" + dir.resolve("ledger.db") + "\"\n")) {
      record Target(String name, int port, boolean signed) {}
      List<Target> targets = new ArrayList<>(List.of(
          new Target("upstream direct", upstream.port(), false),
          new Target("plain JDK pass-through", plain.port(), false)));
      if (nginx != null) {
        targets.add(new Target("nginx pass-through", nginx.port(), false));
      }
      targets.addAll(List.of(
          new Target("zo-gate, replay memory", memory.address().getPort(), true),
          new Target("zo-gate, replay SQLite", sqlite.address().getPort(), true),
          new Target("zo-gate, replay memory + rate limits (memory)", limited.address().getPort(), true),
          new Target("zo-gate, replay memory + key/actor limits (SQLite)", sharedLimits.address().getPort(), true),
          new Target("zo-gate, replay memory + ledger (SQLite)", audited.address().getPort(), true)));
      String only = System.getProperty("bench.only", "");
      for (Target t : targets) {
        if (!only.isEmpty() && !t.name().contains(only)) {
          continue;
        }
        IntFunction<byte[]> req = t.signed() ? signedRequest(t.port(), secret) : plainRequest(t.port());
        // Requests are prepared (signed) before the clock starts, so the load generator spends
        // the same on every row and the proxy's own cost is what differs.
        int budget = (int) Math.min(PREPARED_MAX, (seconds + 2) * 40_000);
        throughput.add(KeepAliveLoad.run(t.name(), t.port(), connections, 2, seconds, prepared(req, budget), budget));
        int singleBudget = (int) Math.min(PREPARED_MAX, (seconds / 2 + 1) * 20_000);
        single.add(KeepAliveLoad.run(t.name(), t.port(), 1, 1, seconds / 2, prepared(req, singleBudget), singleBudget));
      }
    }
    String table = table(throughput, single, connections, seconds);
    System.out.println(table);
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    Files.writeString(out.resolve("passthrough.md"), table);
    // zo-gate's rows must be clean; the baselines' rare client errors are shown in the table.
    for (KeepAliveLoad.Result r : concat(throughput, single)) {
      if (!r.name().startsWith("zo-gate")) {
        continue;
      }
      assertThat(r.errors()).as(r.name() + " errors").isZero();
      assertThat(r.requests()).as(r.name() + " requests").isPositive();
    }
  }

  private static final int PREPARED_MAX = 600_000;

  private static IntFunction<byte[]> prepared(IntFunction<byte[]> source, int count) {
    byte[][] all = new byte[count][];
    for (int i = 0; i < count; i++) {
      all[i] = source.apply(i);
    }
    return i -> all[i];
  }

  private ProxyServer zoGate(int upstreamPort, String replayStore, String extraYaml) throws Exception {
    Path config = dir.resolve("zo-gate-" + (replayStore + extraYaml).hashCode() + ".yaml");
    int port = freePort();
    Files.writeString(config, """
        listen: 127.0.0.1:%d
        upstream: { url: "http://127.0.0.1:%d/mcp" }
        auth: { keyring: keyring.json }
        replay: { store: "%s" }
        """.formatted(port, upstreamPort, replayStore) + extraYaml);
    return Gateway.open(ConfigLoader.load(config, Map.of()), Map.of(), Optional.empty());
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static IntFunction<byte[]> plainRequest(int port) {
    byte[] head = ("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + BODY.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = concat(head, BODY);
    return i -> all;
  }

  /** Signs each request with a fresh nonce, as CONTRACT.md section 1 says (HMAC-SHA256). */
  private static IntFunction<byte[]> signedRequest(int port, byte[] secret) throws Exception {
    String authority = "127.0.0.1:" + port;
    String bodyHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(BODY));
    String nonceBase = Long.toHexString(System.nanoTime()) + "n";
    // One counter across every run that uses this function: a nonce is never sent twice.
    java.util.concurrent.atomic.AtomicLong sequence = new java.util.concurrent.atomic.AtomicLong();
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

  private static List<KeepAliveLoad.Result> concat(List<KeepAliveLoad.Result> a, List<KeepAliveLoad.Result> b) {
    List<KeepAliveLoad.Result> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static String table(List<KeepAliveLoad.Result> throughput, List<KeepAliveLoad.Result> single,
      int connections, double seconds) {
    boolean full = throughput.size() >= 2 && throughput.get(1).name().startsWith("plain");
    double plainRps = full ? throughput.get(1).rps() : Double.NaN;
    double directP50 = full ? single.get(0).percentileMillis(0.50) : Double.NaN;
    double plainP50 = full ? single.get(1).percentileMillis(0.50) : Double.NaN;
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "Closed loop, %d keep-alive connections, %.0f s measured per row; "
        + "latency on 1 connection.%n%n", connections, seconds));
    sb.append("| target | req/s | vs plain pass-through | p50 ms | p99 ms | 1-conn p50 ms | 1-conn p99 ms "
        + "| added p50 vs direct ms | added p50 vs plain ms | errors |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < throughput.size(); i++) {
      KeepAliveLoad.Result t = throughput.get(i);
      KeepAliveLoad.Result s = single.get(i);
      sb.append(String.format(Locale.ROOT, "| %s | %.0f | %.2fx | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %d |%n",
          t.name(), t.rps(), t.rps() / plainRps, t.percentileMillis(0.5), t.percentileMillis(0.99),
          s.percentileMillis(0.5), s.percentileMillis(0.99), s.percentileMillis(0.5) - directP50,
          s.percentileMillis(0.5) - plainP50, t.errors() + s.errors()));
    }
    return sb.toString();
  }
}
