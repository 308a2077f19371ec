package io.zogate.adversarial;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zogate.adversarial.harness.Gate;
import io.zogate.adversarial.harness.LocalRedis;
import io.zogate.adversarial.harness.RawHttp;
import io.zogate.adversarial.harness.RawUpstream;
import io.zogate.adversarial.harness.Pki;
import io.zogate.adversarial.harness.Signer;
import io.zogate.adversarial.harness.TlsClient;
import io.zogate.proxy.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs the cases of one attack file against the real proxy over real sockets: one scriptable
 * upstream per file, proxies started on demand per distinct configuration (or fresh for a
 * case that says so). A case is data: a request built from a valid signed one and changed by
 * a list of operations (the mutation vocabulary, see {@code fixtures/attacks/README.md}).
 *
 * <p>A configuration with {@code instances} is a cluster: several zo-gate instances with one
 * keyring, serving one authority ({@value #SHARED_AUTHORITY}), and with {@code redis: true}
 * sharing one real {@code redis-server} (one database per cluster). Such cases may script
 * {@code steps}: requests to named instances (one at a time or at once), the same bytes again,
 * instance restarts, and Redis killed, started again or given commands.
 */
public final class CaseRunner implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOOLS_LIST = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
  /** The one authority every instance of a cluster serves (as behind a load balancer). */
  static final String SHARED_AUTHORITY = "gate.zo.test:8787";
  static final Set<String> INSTANCE_MEMBERS = Set.of("clock-offset-ms", "env");
  /** How long one step may wait for all its answers. */
  static final long STEP_TIMEOUT_SECONDS = 60;

  private final JsonNode fileProxy;
  private final RawUpstream upstream;
  private final Map<String, Cluster> clusters = new LinkedHashMap<>();
  /** The proxies that serve TLS (a {@code proxy.tls} object in their configuration). */
  private final java.util.Set<Gate> tlsGates = new java.util.HashSet<>();
  /** The running case's {@code tls} member (client certificate, protocols), or null. */
  private JsonNode caseTls;
  /** The file's Redis, started when a configuration first asks for it. */
  private LocalRedis redis;
  private int nextDatabase = 1;

  /** What one case observed. */
  public record Observation(String outcome, boolean forwarded, List<String> problems, String responseText) {}

  /** A request ready for the wire, with the values a replay needs. */
  record Prepared(List<String> head, byte[] body, String nonce, String ts) {}

  /**
   * The proxies of one configuration: one instance ("A"), or the named instances of a cluster,
   * in the order the configuration lists them; {@code database} is its Redis database, or -1.
   */
  record Cluster(Map<String, Gate> instances, int database) implements AutoCloseable {
    Gate first() {
      return instances.values().iterator().next();
    }

    Gate get(String name) {
      Gate g = instances.get(name);
      if (g == null) {
        throw new IllegalArgumentException("unknown instance '" + name + "' (known: " + instances.keySet() + ")");
      }
      return g;
    }

    @Override
    public void close() {
      instances.values().forEach(Gate::close);
    }
  }

  /** An instance refused to start: the expected outcome of a start-up check. */
  static final class StartupRefused extends Exception {
    private static final long serialVersionUID = 1L;
    final String instance;

    StartupRefused(String instance, ConfigException cause) {
      super(instance + ": " + cause.getMessage(), cause);
      this.instance = instance;
    }
  }

  public CaseRunner(JsonNode fileProxy) throws IOException {
    this.fileProxy = fileProxy;
    this.upstream = new RawUpstream();
  }

  public RawUpstream upstream() {
    return upstream;
  }

  // ---------------------------------------------------------------- proxies

  Cluster clusterFor(JsonNode c) throws Exception {
    ObjectNode cfg = JSON.createObjectNode();
    merge(cfg, fileProxy);
    merge(cfg, c.get("proxy"));
    String key = cfg.toString();
    boolean fresh = c.path("fresh").asBoolean(false);
    if (!fresh && clusters.containsKey(key)) {
      return clusters.get(key);
    }
    boolean usesRedis = cfg.path("redis").asBoolean(false);
    int database = -1;
    if (usesRedis) {
      if (redis == null) {
        redis = LocalRedis.start();
      }
      if (nextDatabase >= LocalRedis.DATABASES) {
        throw new IllegalStateException("more Redis clusters than databases (" + LocalRedis.DATABASES + ")");
      }
      database = nextDatabase++;
    }
    String redisUrl = usesRedis ? redis.url(database) : "";
    Map<String, JsonNode> instances = new LinkedHashMap<>();
    if (!cfg.has("instances")) {
      instances.put("A", JSON.createObjectNode());
    } else if (cfg.get("instances").isArray()) {
      cfg.get("instances").forEach(n -> instances.put(n.asText(), JSON.createObjectNode()));
    } else {
      cfg.get("instances").fields().forEachRemaining(e -> instances.put(e.getKey(), e.getValue()));
    }
    boolean cluster = cfg.has("instances");
    Gate.Keys keys = Gate.Keys.generate();
    Map<String, Gate> started = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, JsonNode> inst : instances.entrySet()) {
        JsonNode ic = inst.getValue();
        for (Iterator<String> it = ic.fieldNames(); it.hasNext(); ) {
          String m = it.next();
          if (!INSTANCE_MEMBERS.contains(m)) {
            throw new IllegalArgumentException("instance " + inst.getKey() + ": unknown member '" + m + "'");
          }
        }
        Path dir = Files.createTempDirectory("zo-adversarial");
        StringBuilder yaml = new StringBuilder(cfg.path("yaml").asText("").replace("{{redis}}", redisUrl));
        if (yaml.length() > 0 && yaml.charAt(yaml.length() - 1) != '\n') {
          yaml.append('\n');
        }
        if (cfg.has("policy")) {
          Files.writeString(dir.resolve("policy.yaml"), cfg.get("policy").asText());
          yaml.append("policy: policy.yaml\n");
        }
        if (cfg.has("tls")) {
          JsonNode t = cfg.get("tls");
          yaml.append(Pki.get().writeProxyFiles(dir, t.path("requireClientCert").asBoolean(true),
              t.path("bindActorToCertificate").asBoolean(true), t.path("allowCnIdentity").asBoolean(false)));
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode source : new JsonNode[] {cfg.get("env"), ic.get("env")}) {
          if (source != null) {
            source.fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText().replace("{{redis}}", redisUrl)));
          }
        }
        // A Redis replay store checks this host's clock against Redis's when it opens (30 s),
        // so Redis clusters start on the true clock, as in production.
        long startOffset = cfg.path("start-offset-ms").asLong(usesRedis ? 0 : -3_600_000L);
        Gate g;
        try {
          g = new Gate(dir, upstream.url(), yaml.toString(), env, startOffset, keys,
              cluster ? SHARED_AUTHORITY : null, ic.path("clock-offset-ms").asLong(0));
        } catch (ConfigException e) {
          throw new StartupRefused(inst.getKey(), e);
        }
        started.put(inst.getKey(), g);
        if (cfg.has("tls")) {
          tlsGates.add(g);
        }
      }
    } catch (Exception e) {
      started.values().forEach(Gate::close);
      throw e;
    }
    Cluster cl = new Cluster(Collections.unmodifiableMap(started), database);
    if (!fresh) {
      clusters.put(key, cl);
    }
    return cl;
  }

  private static void merge(ObjectNode into, JsonNode from) {
    if (from == null || from.isNull()) {
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = from.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if ((e.getKey().equals("env") || e.getKey().equals("tls")) && into.has(e.getKey())) {
        ((ObjectNode) into.get(e.getKey())).setAll((ObjectNode) e.getValue().deepCopy());
      } else if (e.getKey().equals("yaml") && into.has("yaml")) {
        into.put("yaml", into.get("yaml").asText() + "\n" + e.getValue().asText());
      } else {
        into.set(e.getKey(), e.getValue().deepCopy());
      }
    }
  }

  // ---------------------------------------------------------------- running

  public Observation run(JsonNode c) throws Exception {
    Cluster cluster;
    try {
      cluster = clusterFor(c);
    } catch (StartupRefused e) {
      return observeStartup(c.get("expect"), e);
    }
    Gate gate = cluster.first();
    caseTls = c.get("tls");
    try {
      upstream.behave(c.get("upstream"));
      upstream.reset();
      JsonNode req = c.path("request");
      if (c.has("setup")) {
        for (JsonNode step : c.get("setup")) {
          int times = step.path("repeat").asInt(1);
          for (int i = 0; i < times; i++) {
            send(gate, prepare(gate, step.path("request"), null, null));
          }
        }
      }
      Map<String, Prepared> saved = new LinkedHashMap<>();
      List<String> stepProblems = new ArrayList<>();
      if (c.has("steps")) {
        int n = 0;
        for (JsonNode step : c.get("steps")) {
          runStep(cluster, step, ++n, saved, stepProblems);
        }
      }
      Gate target = c.has("on") ? cluster.get(c.get("on").asText()) : gate;
      if (caseTls != null && (caseTls.has("clientHello") || caseTls.path("plainHttp").asBoolean(false))) {
        return observeRaw(c.get("expect"), gate, prepare(gate, req, null, null));
      }
      RawHttp.Response r;
      JsonNode replay = c.get("replay");
      if (replay != null) {
        String mode = replay.isTextual() ? replay.asText() : replay.path("mode").asText();
        JsonNode second = replay.isObject() && replay.has("second") ? replay.get("second") : req;
        Prepared first = prepare(gate, req, null, null);
        RawHttp.Response firstAnswer = send(gate, first);
        if (firstAnswer.status() / 100 != 2) {
          return new Observation("first request refused: " + firstAnswer.outcome(), false,
              List.of("the original request of a replay must pass"), firstAnswer.bodyText());
        }
        Prepared again = switch (mode) {
          case "same" -> first;
          case "after-restart" -> {
            gate.restart();
            yield first;
          }
          case "same-nonce-resigned" -> {
            Thread.sleep(2);
            yield prepare(gate, second, first.nonce(), null);
          }
          case "fresh-nonce" -> prepare(gate, second, null, null);
          default -> throw new IllegalArgumentException("unknown replay mode " + mode);
        };
        upstream.reset();
        r = send(gate, again);
      } else {
        Prepared last = req.has("resend") ? saved(saved, req.get("resend").asText())
            : prepare(target, req, null, null);
        upstream.reset();
        r = send(target, last);
      }
      // The proxy may still be talking to upstream when the answer is refused early: give a
      // forwarded request a moment to show in the count.
      Thread.sleep(upstream.count() == 0 ? 20 : 0);
      Observation o = observe(c.get("expect"), r);
      if (stepProblems.isEmpty()) {
        return o;
      }
      List<String> problems = new ArrayList<>(o.problems());
      problems.addAll(stepProblems);
      return new Observation(o.outcome(), o.forwarded(), problems, o.responseText());
    } catch (TlsClient.HandshakeFailed e) {
      // No HTTP answer over TLS: the expected outcome of a refused certificate or protocol.
      Thread.sleep(20);
      return observeNonHttp(c.get("expect"), "handshake-failed", e.getMessage());
    } catch (IOException e) {
      return new Observation("no-response (" + e.getMessage() + ")", upstream.count() > 0,
          List.of("no HTTP answer"), "");
    } finally {
      caseTls = null;
      for (Gate g : cluster.instances().values()) {
        g.clock.unfreeze();
      }
      if (c.path("fresh").asBoolean(false)) {
        cluster.close();
      }
      if (cluster.database() >= 0) {
        // A case may have killed, paused or filled Redis: the next one starts from a working one.
        redis.restore();
      }
    }
  }

  /** A cluster whose instance refused to start: only {@code expect.status: startup-refused} passes. */
  Observation observeStartup(JsonNode expect, StartupRefused e) {
    List<String> problems = new ArrayList<>();
    if (!"startup-refused".equals(AttackFiles.expected(expect))) {
      problems.add("outcome");
    }
    if (expect.has("error") && !e.getMessage().contains(expect.get("error").asText())) {
      problems.add("the start-up error does not say '" + expect.get("error").asText() + "': " + e.getMessage());
    }
    return new Observation("startup-refused", false, problems, e.getMessage());
  }

  // ---------------------------------------------------------------- steps (clusters)

  private static Prepared saved(Map<String, Prepared> saved, String name) {
    Prepared p = saved.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no saved request '" + name + "' (saved: " + saved.keySet() + ")");
    }
    return p;
  }

  private static List<String> names(JsonNode on, Cluster cluster) {
    List<String> out = new ArrayList<>();
    if (on == null || on.isMissingNode()) {
      out.add(cluster.instances().keySet().iterator().next());
    } else if (on.isArray()) {
      on.forEach(n -> out.add(n.asText()));
    } else {
      out.add(on.asText());
    }
    return out;
  }

  /**
   * One step of a cluster case; what it observed that its {@code expect} did not allow is added
   * to {@code problems} as "step N: ...".
   */
  void runStep(Cluster cluster, JsonNode step, int n, Map<String, Prepared> saved, List<String> problems)
      throws Exception {
    String label = "step " + n;
    if (step.has("restart")) {
      for (String name : names(step.get("restart"), cluster)) {
        cluster.get(name).restart();
      }
      return;
    }
    if (step.has("redis")) {
      JsonNode what = step.get("redis");
      if (what.isArray()) {
        List<String> args = new ArrayList<>();
        what.forEach(a -> args.add(a.asText()));
        redis.command(cluster.database(), args.toArray(String[]::new));
      } else if (what.asText().equals("kill")) {
        redis.kill();
      } else if (what.asText().equals("start")) {
        redis.startAgain();
      } else {
        throw new IllegalArgumentException(label + ": unknown redis action " + what);
      }
      return;
    }
    List<String> on = names(step.get("on"), cluster);
    if (step.has("until")) {
      untilStep(cluster.get(on.get(0)), step, label, problems);
      return;
    }
    JsonNode expect = step.path("expect");
    int before = upstream.count();
    List<String> outcomes = new ArrayList<>();
    boolean atOnce = step.path("at-once").asBoolean(false);
    // Rounds for resend and fan-out; for a plain send, the number of requests, one per listed
    // instance unless said otherwise.
    int repeat = step.path("repeat").asInt(step.has("send") && !step.path("fan-out").asBoolean(false)
        ? on.size() : 1);
    if (step.has("resend")) {
      Prepared p = saved(saved, step.get("resend").asText());
      for (int round = 0; round < repeat; round++) {
        List<Gate> targets = new ArrayList<>();
        on.forEach(name -> targets.add(cluster.get(name)));
        outcomes.addAll(sendAll(targets, Collections.nCopies(targets.size(), p), atOnce));
      }
    } else if (step.path("fan-out").asBoolean(false)) {
      for (int round = 1; round <= repeat; round++) {
        Gate signer = cluster.get(on.get(0));
        Prepared p = prepare(signer, numbered(step.get("send"), round), null, null);
        saved.put(step.path("save").asText("last"), p);
        List<Gate> targets = new ArrayList<>();
        on.forEach(name -> targets.add(cluster.get(name)));
        outcomes.addAll(sendAll(targets, Collections.nCopies(targets.size(), p), atOnce));
      }
    } else if (step.has("send")) {
      List<Gate> targets = new ArrayList<>();
      List<Prepared> requests = new ArrayList<>();
      for (int i = 1; i <= repeat; i++) {
        Gate g = cluster.get(on.get((i - 1) % on.size()));
        Prepared p = prepare(g, numbered(step.get("send"), i), null, null);
        targets.add(g);
        requests.add(p);
        saved.put(step.path("save").asText("last"), p);
        if (!atOnce) {
          outcomes.addAll(sendAll(List.of(g), List.of(p), false));
        }
      }
      if (atOnce) {
        outcomes.addAll(sendAll(targets, requests, true));
      }
    } else {
      throw new IllegalArgumentException(label + ": no action (send, resend, restart, redis)");
    }
    Thread.sleep(20);
    checkStep(label, expect, outcomes, upstream.count() - before, problems);
  }

  /** {@code {{i}}} in a step's request is the request's number in the step, from 1. */
  private static JsonNode numbered(JsonNode spec, int i) throws IOException {
    return JSON.readTree(spec.toString().replace("{{i}}", Integer.toString(i)));
  }

  /**
   * Fresh requests to one instance until one is answered as {@code until} says, within {@code
   * within-ms}. Every answer before it must be a fail-closed 503 -32050 that reached nothing.
   */
  private void untilStep(Gate g, JsonNode step, String label, List<String> problems) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(step.path("within-ms").asLong(10_000));
    JsonNode until = step.get("until");
    String wanted = AttackFiles.expected(until);
    int attempts = 0;
    while (true) {
      attempts++;
      int before = upstream.count();
      String outcome = sendAll(List.of(g), List.of(prepare(g, numbered(step.get("send"), attempts), null, null)),
          false).get(0);
      if (matches(until, outcome)) {
        return;
      }
      Thread.sleep(20);
      if (!outcome.startsWith("503 -32050 ") || upstream.count() != before) {
        problems.add(label + ": while waiting for " + wanted + ", attempt " + attempts + " was " + outcome
            + (upstream.count() != before ? " and reached upstream" : "") + " (not a fail-closed 503 -32050)");
        return;
      }
      if (System.nanoTime() > deadline) {
        problems.add(label + ": not " + wanted + " within " + step.path("within-ms").asLong(10_000) + " ms ("
            + attempts + " attempts, last " + outcome + ")");
        return;
      }
      Thread.sleep(50);
    }
  }

  /** Whether an outcome ("200", "409 -32032 nonce_reused") is what {@code expect} names. */
  static boolean matches(JsonNode expect, String outcome) {
    return expect.has("code") ? outcome.equals(AttackFiles.expected(expect))
        : outcome.split(" ")[0].equals(Integer.toString(expect.get("status").asInt()));
  }

  static void checkStep(String label, JsonNode expect, List<String> outcomes, int upstreamCalls,
      List<String> problems) {
    if (expect.has("status")) {
      Map<String, Integer> wrong = new TreeMap<>();
      for (String o : outcomes) {
        if (!matches(expect, o)) {
          wrong.merge(o, 1, Integer::sum);
        }
      }
      if (!wrong.isEmpty()) {
        problems.add(label + ": expected " + AttackFiles.expected(expect) + " for all " + outcomes.size()
            + ", observed " + wrong);
      }
    }
    if (expect.has("outcomes")) {
      Map<String, Integer> want = new TreeMap<>();
      expect.get("outcomes").fields().forEachRemaining(e -> want.put(e.getKey(), e.getValue().asInt()));
      Map<String, Integer> got = new TreeMap<>();
      outcomes.forEach(o -> got.merge(o, 1, Integer::sum));
      if (!want.equals(got)) {
        problems.add(label + ": expected outcomes " + want + ", observed " + got);
      }
    }
    if (expect.has("upstreamCalls") && expect.get("upstreamCalls").asInt() != upstreamCalls) {
      problems.add(label + ": upstream received " + upstreamCalls + " requests, expected "
          + expect.get("upstreamCalls").asInt());
    }
  }

  /**
   * Sends request i to target i and returns the outcomes in that order ("no-response" when no
   * HTTP answer came). With {@code atOnce}, every request is sent by its own thread, all released
   * together.
   */
  List<String> sendAll(List<Gate> targets, List<Prepared> requests, boolean atOnce) throws Exception {
    if (!atOnce) {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < targets.size(); i++) {
        out.add(outcomeOf(targets.get(i), requests.get(i)));
      }
      return out;
    }
    int n = targets.size();
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch ready = new CountDownLatch(n);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Gate g = targets.get(i);
        Prepared p = requests.get(i);
        futures.add(pool.submit(() -> {
          ready.countDown();
          go.await();
          return outcomeOf(g, p);
        }));
      }
      if (!ready.await(STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException("senders did not start");
      }
      go.countDown();
      List<String> out = new ArrayList<>();
      for (Future<String> f : futures) {
        out.add(f.get(STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private String outcomeOf(Gate g, Prepared p) {
    try {
      return send(g, p).outcome();
    } catch (IOException e) {
      return "no-response";
    }
  }

  /**
   * A case that never gets to HTTPS: a hand-written ClientHello for an old protocol version
   * ({@code tls.clientHello}), or plain HTTP to the TLS port ({@code tls.plainHttp}).
   */
  Observation observeRaw(JsonNode expect, Gate gate, Prepared p) throws Exception {
    byte[] answer;
    String outcome;
    if (caseTls.has("clientHello")) {
      int version = switch (caseTls.get("clientHello").asText()) {
        case "TLSv1" -> 0x0301;
        case "TLSv1.1" -> 0x0302;
        case "TLSv1.2" -> 0x0303;
        default -> throw new IllegalArgumentException("unknown clientHello " + caseTls.get("clientHello"));
      };
      answer = TlsClient.exchangeRaw(gate.port, TlsClient.clientHello(version), 3000);
      // Nothing, or an alert record (0x15): refused. A handshake record (0x16): a ServerHello.
      outcome = answer.length == 0 || answer[0] == 0x15 ? "handshake-failed"
          : answer[0] == 0x16 ? "server-hello" : "unexpected bytes " + HexFormat.of().formatHex(answer, 0,
              Math.min(8, answer.length));
    } else {
      StringBuilder head = new StringBuilder();
      for (String line : p.head()) {
        head.append(line).append("\r\n");
      }
      head.append("\r\n");
      byte[] head8 = head.toString().getBytes(StandardCharsets.ISO_8859_1);
      byte[] send = new byte[head8.length + p.body().length];
      System.arraycopy(head8, 0, send, 0, head8.length);
      System.arraycopy(p.body(), 0, send, head8.length, p.body().length);
      answer = TlsClient.exchangeRaw(gate.port, send, 3000);
      String text = new String(answer, StandardCharsets.ISO_8859_1);
      outcome = text.startsWith("HTTP/") && text.length() >= 12 ? text.substring(9, 12) : "no-http-answer";
    }
    Thread.sleep(20);
    return observeNonHttp(expect, outcome, new String(answer, StandardCharsets.ISO_8859_1));
  }

  Observation observeNonHttp(JsonNode expect, String outcome, String detail) {
    List<String> problems = new ArrayList<>();
    boolean forwarded = upstream.count() > 0;
    if (expect.has("forwarded") && expect.get("forwarded").asBoolean() != forwarded) {
      problems.add(forwarded ? "forwarded upstream" : "not forwarded");
    }
    if (!outcome.equals(AttackFiles.expected(expect))) {
      problems.add(0, "outcome");
    }
    return new Observation(outcome, forwarded, problems, detail);
  }

  Observation observe(JsonNode expect, RawHttp.Response r) {
    List<String> problems = new ArrayList<>();
    String outcome = r.outcome();
    boolean forwarded = upstream.count() > 0;
    String text = r.bodyText() + "\n" + r.headers();
    if (expect.has("forwarded") && expect.get("forwarded").asBoolean() != forwarded) {
      problems.add(forwarded ? "forwarded upstream" : "not forwarded");
    }
    if (expect.has("leaks")) {
      for (JsonNode secret : expect.get("leaks")) {
        if (text.contains(secret.asText())) {
          problems.add("leaked " + secret.asText());
        }
      }
    }
    if (expect.has("id")) {
      JsonNode got = null;
      try {
        got = r.json().get("id");
      } catch (AssertionError e) {
        problems.add("answer is not JSON");
      }
      if (got != null && !got.equals(expect.get("id"))) {
        problems.add("id " + got + " instead of " + expect.get("id"));
      }
    }
    if (expect.has("upstreamBody")) {
      List<RawUpstream.Seen> seen = upstream.seen();
      if (seen.isEmpty() || !new String(seen.get(0).body(), StandardCharsets.UTF_8)
          .equals(expect.get("upstreamBody").asText())) {
        problems.add("upstream did not receive the exact signed body");
      }
    }
    if (expect.has("upstreamHeaderAbsent")) {
      for (RawUpstream.Seen s : upstream.seen()) {
        for (JsonNode h : expect.get("upstreamHeaderAbsent")) {
          if (s.header(h.asText()) != null) {
            problems.add("header " + h.asText() + " reached upstream");
          }
        }
      }
    }
    if (expect.has("upstreamHeaders")) {
      List<RawUpstream.Seen> seen = upstream.seen();
      expect.get("upstreamHeaders").fields().forEachRemaining(e -> {
        for (RawUpstream.Seen s : seen) {
          List<String> values = s.headers().get(e.getKey().toLowerCase(Locale.ROOT));
          if (values == null || !values.equals(List.of(e.getValue().asText()))) {
            problems.add("upstream saw " + e.getKey() + ": " + values);
          }
        }
      });
    }
    int status = expect.get("status").asInt();
    boolean outcomeOk = expect.has("code") ? outcome.equals(AttackFiles.expected(expect))
        : outcome.split(" ")[0].equals(Integer.toString(status));
    if (!outcomeOk) {
      problems.add(0, "outcome");
    }
    return new Observation(outcome, forwarded, problems, r.bodyText());
  }

  RawHttp.Response send(Gate gate, Prepared p) throws IOException {
    if (tlsGates.contains(gate)) {
      Pki pki = Pki.get();
      JsonNode t = caseTls == null ? JSON.createObjectNode() : caseTls;
      Pki.Issued client = t.hasNonNull("clientCert") ? pki.client(t.get("clientCert").asText()) : null;
      List<String> protocols = new ArrayList<>();
      t.path("protocols").forEach(v -> protocols.add(v.asText()));
      return TlsClient.send(gate.port, TlsClient.context(pki.serverCa.cert(), client), protocols, p.head(), p.body());
    }
    return RawHttp.send(gate.port, p.head(), p.body());
  }

  // ---------------------------------------------------------------- building a request

  static String template(Gate gate, String s, long now) {
    return s.replace("{{authority}}", gate.authority())
        .replace("{{port}}", Integer.toString(gate.port))
        .replace("{{now-div10}}", Long.toString(now / 10))
        .replace("{{now}}", Long.toString(now));
  }

  Prepared prepare(Gate gate, JsonNode spec, String nonceOverride, String tsOverride) throws Exception {
    if (spec.path("freeze-clock").asBoolean(false)) {
      gate.clock.freeze(System.currentTimeMillis());
    }
    long now = gate.clientMillis();
    String as = spec.path("as").asText("alice");
    Signer signer = gate.signer(as);
    String actor = spec.has("actor") ? spec.get("actor").asText() : gate.actorOf(as);
    String kid = signer.kid();
    String method = spec.path("method").asText("POST");
    String target = spec.path("target").asText("/mcp");
    byte[] body;
    if (spec.has("body")) {
      body = template(gate, spec.get("body").asText(), now).getBytes(StandardCharsets.UTF_8);
    } else if (spec.has("body-hex")) {
      body = HexFormat.of().parseHex(spec.get("body-hex").asText());
    } else {
      body = method.equals("POST") ? TOOLS_LIST.getBytes(StandardCharsets.UTF_8) : new byte[0];
    }
    String ts = tsOverride != null ? tsOverride : Long.toString(now);
    String nonce = nonceOverride != null ? nonceOverride : Signer.freshNonce();
    String host = gate.authority();
    Map<String, Object> signed = new LinkedHashMap<>();
    byte[] wireBody = null;
    boolean chunked = false;
    int chunkSize = 0;
    String trailer = null;
    JsonNode mutate = spec.path("mutate");

    // Phase 1: what is sent and what is signed.
    for (JsonNode op : mutate) {
      String name = op.fieldNames().next();
      JsonNode v = op.get(name);
      switch (name) {
        case "body" -> body = template(gate, v.asText(), now).getBytes(StandardCharsets.UTF_8);
        case "body-hex" -> body = HexFormat.of().parseHex(v.asText());
        case "body-repeat" -> body = (v.path("prefix").asText() + v.path("fill").asText("x").repeat(v.path("count").asInt())
            + v.path("suffix").asText()).getBytes(StandardCharsets.UTF_8);
        case "wire-body" -> wireBody = v.asText().getBytes(StandardCharsets.UTF_8);
        case "wire-body-hex" -> wireBody = HexFormat.of().parseHex(v.asText());
        case "sign-over" -> v.fields().forEachRemaining(e -> signed.put(e.getKey(),
            e.getKey().equals("body") ? e.getValue().asText().getBytes(StandardCharsets.UTF_8)
                : template(gate, e.getValue().asText(), now)));
        case "ts-offset-ms" -> ts = Long.toString(now + v.asLong());
        case "ts-text" -> ts = template(gate, v.asText(), now);
        case "nonce" -> nonce = template(gate, v.asText(), now);
        case "kid" -> kid = v.asText();
        case "actor" -> actor = v.asText();
        case "method" -> method = v.asText();
        case "target" -> target = template(gate, v.asText(), now);
        case "host" -> host = template(gate, v.asText(), now);
        case "chunked" -> {
          chunked = true;
          chunkSize = v.asInt();
        }
        case "trailer" -> trailer = v.asText();
        default -> {
          // later phases
        }
      }
    }
    String payload = Signer.stringToSign(
        (String) signed.getOrDefault("kid", kid), (String) signed.getOrDefault("actor", actor),
        (String) signed.getOrDefault("ts", ts), (String) signed.getOrDefault("nonce", nonce),
        (String) signed.getOrDefault("method", method), (String) signed.getOrDefault("authority", gate.authority()),
        (String) signed.getOrDefault("target", target), (byte[]) signed.getOrDefault("body", body));
    String sig = signer.sign(payload);

    // Phase 2: the signature itself.
    for (JsonNode op : mutate) {
      if (op.has("sig")) {
        sig = mutateSig(gate, signer, sig, payload, op.get("sig").asText());
      }
    }

    byte[] sent = wireBody != null ? wireBody : body;
    List<String[]> headers = new ArrayList<>();
    headers.add(new String[] {"Host", host});
    if (method.equals("POST")) {
      headers.add(new String[] {"Content-Type", "application/json"});
    }
    headers.add(new String[] {"Accept", "application/json, text/event-stream"});
    if (!spec.path("unsigned").asBoolean(false)) {
      headers.add(new String[] {"x-actor-id", actor});
      headers.add(new String[] {"x-actor-kid", kid});
      headers.add(new String[] {"x-actor-ts", ts});
      headers.add(new String[] {"x-actor-nonce", nonce});
      headers.add(new String[] {"x-actor-sig", sig});
    }
    if (spec.has("headers")) {
      spec.get("headers").fields().forEachRemaining(e -> headers.add(
          new String[] {e.getKey(), template(gate, e.getValue().asText(), now)}));
    }
    if (chunked) {
      headers.add(new String[] {"Transfer-Encoding", "chunked"});
    } else if (sent.length > 0 || method.equals("POST")) {
      headers.add(new String[] {"Content-Length", Integer.toString(sent.length)});
    }
    headers.add(new String[] {"Connection", "close"});

    // Phase 3: the header list.
    List<String> rawHead = null;
    byte[] rawBody = null;
    for (JsonNode op : mutate) {
      String name = op.fieldNames().next();
      JsonNode v = op.get(name);
      switch (name) {
        case "set-header" -> {
          String n = v.get("name").asText();
          String value = template(gate, v.get("value").asText(), now);
          boolean done = false;
          for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(n)) {
              h[1] = value;
              done = true;
            }
          }
          if (!done) {
            headers.add(headers.size() - 1, new String[] {n, value});
          }
        }
        case "content-type" -> headers.forEach(h -> {
          if (h[0].equalsIgnoreCase("Content-Type")) {
            h[1] = v.asText();
          }
        });
        case "content-encoding" -> headers.add(headers.size() - 1, new String[] {"Content-Encoding", v.asText()});
        case "remove-header" -> headers.removeIf(h -> h[0].equalsIgnoreCase(v.asText()));
        case "add-header" -> headers.add(headers.size() - 1,
            new String[] {v.get("name").asText(), template(gate, v.get("value").asText(), now)});
        case "duplicate-header" -> {
          String n = v.isTextual() ? v.asText() : v.get("name").asText();
          String value = null;
          for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(n)) {
              value = h[1];
            }
          }
          if (v.isObject() && v.has("value")) {
            value = template(gate, v.get("value").asText(), now);
          }
          String spelled = v.isObject() && v.has("as") ? v.get("as").asText() : n;
          headers.add(headers.size() - 1, new String[] {spelled, value == null ? "" : value});
        }
        case "raw-head" -> {
          rawHead = new ArrayList<>();
          for (JsonNode line : v) {
            String l = line.asText();
            if (l.equals("{{signed-headers}}")) {
              for (String[] h : headers) {
                if (h[0].startsWith("x-actor-") || h[0].equals("Content-Type")) {
                  rawHead.add(h[0] + ": " + h[1]);
                }
              }
            } else {
              rawHead.add(template(gate, l, now).replace("{{length}}", Integer.toString(sent.length)));
            }
          }
        }
        case "raw-body" -> rawBody = v.asText().replace("\\r\\n", "\r\n").getBytes(StandardCharsets.UTF_8);
        default -> {
          // earlier phases
        }
      }
    }
    if (rawHead != null) {
      return new Prepared(rawHead, rawBody != null ? rawBody : sent, nonce, ts);
    }
    List<String> head = new ArrayList<>();
    head.add(method + " " + target + " HTTP/1.1");
    for (String[] h : headers) {
      head.add(h[0] + ": " + h[1]);
    }
    byte[] wire = chunked ? chunk(sent, chunkSize, trailer) : sent;
    return new Prepared(head, wire, nonce, ts);
  }

  static byte[] chunk(byte[] body, int size, String trailer) {
    StringBuilder sb = new StringBuilder();
    int step = Math.max(1, size);
    for (int i = 0; i < body.length; i += step) {
      int n = Math.min(step, body.length - i);
      sb.append(Integer.toHexString(n)).append("\r\n").append(new String(body, i, n, StandardCharsets.ISO_8859_1))
          .append("\r\n");
    }
    sb.append("0\r\n");
    if (trailer != null) {
      sb.append(trailer).append("\r\n");
    }
    sb.append("\r\n");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  static String mutateSig(Gate gate, Signer signer, String sig, String payload, String op) throws Exception {
    HexFormat hex = HexFormat.of();
    if (op.startsWith("flip-bit:")) {
      byte[] b = hex.parseHex(sig);
      int bit = Integer.parseInt(op.substring("flip-bit:".length())) % (b.length * 8);
      b[bit / 8] ^= (byte) (1 << (bit % 8));
      return hex.formatHex(b);
    }
    if (op.startsWith("from:")) {
      return gate.signer(op.substring("from:".length())).sign(payload);
    }
    return switch (op) {
      case "truncate" -> sig.substring(0, sig.length() - 2);
      case "truncate-half" -> sig.substring(0, sig.length() / 2);
      case "uppercase" -> sig.toUpperCase(Locale.ROOT);
      case "empty" -> "";
      case "append-00" -> sig + "00";
      case "zero" -> "0".repeat(sig.length());
      case "doubled" -> sig + sig;
      case "base64" -> java.util.Base64.getEncoder().encodeToString(hex.parseHex(sig));
      case "other-key" -> {
        if (signer.isHmac()) {
          byte[] k = new byte[32];
          new SecureRandom().nextBytes(k);
          yield Signer.hmac(signer.kid(), k).sign(payload);
        }
        yield Signer.ed25519(signer.kid(), KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate())
            .sign(payload);
      }
      case "other-kid" -> signer.sign(payload.replaceFirst("\n" + signer.kid() + "\n", "\nk-hmac2\n"));
      case "raw-message" -> hex.formatHex(signer.signBytes(payload.getBytes(StandardCharsets.UTF_8)));
      case "trailing-newline" -> signer.sign(payload + "\n");
      case "crlf" -> signer.sign(payload.replace("\n", "\r\n"));
      case "sha256-of-body-missing" -> signer.sign(payload.substring(0, payload.lastIndexOf('\n')));
      default -> throw new IllegalArgumentException("unknown sig operation " + op);
    };
  }

  @Override
  public void close() throws Exception {
    for (Cluster c : clusters.values()) {
      c.close();
    }
    upstream.close();
    if (redis != null) {
      redis.close();
    }
  }
}
