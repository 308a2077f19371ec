package io.zogate.proxy.server;

import static io.zogate.proxy.testing.ProxyFixture.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zogate.proxy.auth.ActorSigner;
import io.zogate.proxy.auth.KeyringFile;
import io.zogate.proxy.bridge.SigningBridge;
import io.zogate.proxy.testing.NodePeers;
import io.zogate.proxy.testing.ProxyFixture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MCP conformance suite ({@code @modelcontextprotocol/conformance}, server mode, its active
 * scenarios) against two real MCP servers, each once directly and once through the signing
 * bridge and zo-gate (a policy file that allows every call), all on 127.0.0.1:
 *
 * <ul>
 *   <li>{@code @modelcontextprotocol/server-everything}, the reference server. It lacks the
 *       suite's fixtures (test_* tools, prompts, test:// resources), so it fails most scenarios by
 *       itself; those are its baseline.
 *   <li>interop/conformance-server.mjs, the official SDK's McpServer with what each scenario's
 *       description asks for. It passes every scenario directly, so the comparison also covers
 *       what server-everything cannot show: sampling and elicitation requests to the client on the
 *       response stream, the client's answers to them, logging and progress notifications.
 * </ul>
 *
 * <p>Every scenario that passes directly must pass through zo-gate, and every check that succeeds
 * directly must succeed through it, except the checks listed in {@link
 * #EXPECTED_CHECK_DIFFERENCES} (and the scenarios that fail only on them): governance by design
 * (CONTRACT.md), each of which must be observed exactly as explained. Each server's baseline is
 * {@code interop/conformance-baseline-<server>.yml}, which the tool itself checks on the direct
 * run. The comparison is written to {@code reports/conformance-report.{json,md}}, before anything
 * is asserted, from what ran.
 *
 * <p>The tool needs Node 22; it comes from npm (interop/package.json) and runs with
 * interop/loopback.mjs, which refuses any connection that is not to a loopback address. Without
 * Node or {@code interop/node_modules} this test fails, it does not skip.
 */
class ConformanceComparisonTest {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** One run of the suite takes 2-6 s here; the bound only stops a hung run. */
  static final int RUN_TIMEOUT_SECONDS = 40;
  /** The tool's result directory for a server scenario: {@code server-<scenario>-<ISO time with - for :.>}. */
  static final Pattern RESULT_DIR = Pattern.compile("server-(.+)-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z");
  static final Pattern SUITE = Pattern.compile("^Running active suite \\((\\d+) scenarios\\) against ", Pattern.MULTILINE);
  static final Pattern RUNNING = Pattern.compile("^=== Running scenario: (\\S+) ===$", Pattern.MULTILINE);

  static final String ORIGIN_CHECK = "dns-rebinding-protection/localhost-host-valid-accepted";
  /**
   * "scenario/check id" -> why the check succeeds directly but not through bridge + zo-gate. Each
   * is a refusal the contract asks for, not a fault, and the test requires each to be observed.
   */
  static final Map<String, String> EXPECTED_CHECK_DIFFERENCES = Map.of(ORIGIN_CHECK,
      "The check sends a valid localhost Host with an `Origin` header (http://127.0.0.1:PORT) and expects 2xx. "
          + "The signing bridge refuses any `Origin` (403 `origin_not_allowed`, CONTRACT section 5): whoever reaches "
          + "the bridge acts as its actor, and a request with an Origin comes from a web page, which must not. "
          + "zo-gate itself answers an Origin outside `http.allowedOrigins` (default: none) with 403 as well "
          + "(CONTRACT section 3). Governance by design, not a conformance fault.");

  /** One MCP server under test: how it is started, and its baseline file in interop/. */
  record Upstream(String name, String description, List<String> script, Map<String, String> env, boolean portArg) {
    String baselineFile() {
      return "conformance-baseline-" + name + ".yml";
    }
  }

  /** A started upstream with its own zo-gate and bridge in front. */
  record Peers(Upstream upstream, NodePeers.Server server, ProxyFixture proxy, SigningBridge bridge) {
    String directUrl() {
      return "http://127.0.0.1:" + server.port + "/mcp";
    }
  }

  @TempDir static Path dir;
  static Path interop;
  static Path node22;
  static final List<Peers> peers = new ArrayList<>();

  @BeforeAll
  static void startPeers() throws Exception {
    interop = NodePeers.interopDir();
    NodePeers.requireModules(interop, "@modelcontextprotocol/conformance", "@modelcontextprotocol/server-everything",
        "@modelcontextprotocol/sdk", "zod");
    node22 = NodePeers.node22(interop, dir);
    List<Upstream> upstreams = List.of(
        new Upstream("server-everything", "@modelcontextprotocol/server-everything "
            + version("@modelcontextprotocol/server-everything") + " (Streamable HTTP)",
            List.of(interop.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js").toString(),
                "streamableHttp"), Map.of(), false),
        new Upstream("conformance-server", "interop/conformance-server.mjs (SDK McpServer with the suite's fixtures)",
            List.of(interop.resolve("conformance-server.mjs").toString()), Map.of(), true));
    for (Upstream u : upstreams) {
      int port = ProxyFixture.freePort();
      List<String> command = new ArrayList<>(List.of("node", "--import", NodePeers.loopbackPreload(interop)));
      command.addAll(u.script());
      Map<String, String> env = new LinkedHashMap<>(u.env());
      if (u.portArg()) {
        command.add(Integer.toString(port));
      } else {
        env.put("PORT", Integer.toString(port));
      }
      NodePeers.Server server = NodePeers.Server.start(interop, dir.resolve(u.name() + ".log"), command, env, port,
          Duration.ofSeconds(30));
      Path gateDir = Files.createDirectories(dir.resolve("gate-" + u.name()));
      // A real policy file: the conformance scenarios need every method they call (CONTRACT section 6).
      Files.writeString(gateDir.resolve("policy.yaml"), "default: allow\n");
      ProxyFixture proxy = new ProxyFixture(gateDir, "http://127.0.0.1:" + port + "/mcp", "policy: policy.yaml\n",
          Optional.empty(), Map.of());
      ActorSigner signer = ActorSigner.hmac(ProxyFixture.HMAC_KID, ALICE, KeyringFile.load(gateDir.resolve("keyring.json"))
          .find(ProxyFixture.HMAC_KID).orElseThrow().hmacSecret().orElseThrow());
      SigningBridge bridge = SigningBridge.start(new SigningBridge.Settings(signer, new InetSocketAddress("127.0.0.1", 0),
          URI.create("http://" + proxy.authority() + "/mcp"), Optional.empty()));
      peers.add(new Peers(u, server, proxy, bridge));
    }
  }

  @AfterAll
  static void stopPeers() throws Exception {
    for (Peers p : peers) {
      p.bridge().close();
      p.proxy().close();
      p.server().close();
    }
  }

  @Test
  void everyScenarioThatPassesDirectlyPassesThroughBridgeAndZoGate() throws Exception {
    long started = System.nanoTime();
    List<Comparison> comparisons = new ArrayList<>();
    for (Peers p : peers) {
      Run direct = conformance(p.upstream(), "direct", p.directUrl());
      Run gated = conformance(p.upstream(), "through-zo-gate", p.bridge().url());
      comparisons.add(new Comparison(p.upstream(), direct, gated));
    }
    writeReport(comparisons, Duration.ofNanos(System.nanoTime() - started));
    for (Comparison c : comparisons) {
      check(c);
    }
    // The reference server leaves most scenarios to its baseline; the SDK server passes them all.
    assertThat(comparisons.get(1).baseline()).as("conformance-server's own failures").isEmpty();
    // The other way round: the bridge refuses a foreign Host, which server-everything accepts
    // directly; conformance-server refuses it itself.
    assertThat(comparisons.get(0).checksPassingOnlyThroughZoGate())
        .containsExactly("dns-rebinding-protection/localhost-host-rebinding-rejected");
    assertThat(comparisons.get(0).details(comparisons.get(0).gated, "dns-rebinding-protection/localhost-host-rebinding-rejected")
        .path("body").path("error").asText()).isEqualTo("host_not_allowed");
    assertThat(comparisons.get(1).checksPassingOnlyThroughZoGate()).isEmpty();
  }

  static void check(Comparison c) throws IOException {
    String u = c.upstream.name();
    Run direct = c.direct;
    Run gated = c.gated;
    // What ran: the whole active suite, the same scenarios both ways, each with its results file.
    assertThat(direct.suiteSize).as("%s: scenarios in the active suite", u).isPositive();
    assertThat(direct.order).as(u).hasSize(direct.suiteSize);
    assertThat(gated.order).as(u).containsExactlyElementsOf(direct.order);
    assertThat(direct.results.values()).allSatisfy(s -> assertThat(s.result).as(u + " " + s.scenario).isNotEqualTo("error"));
    assertThat(gated.results.values()).allSatisfy(s -> assertThat(s.result).as(u + " " + s.scenario).isNotEqualTo("error"));
    assertThat(c.passDirect()).as("%s: scenarios passing directly", u).isPositive();

    // The baseline: the tool itself checks the direct run against the baseline file.
    assertThat(direct.exitCode).as("%s: the tool's verdict on %s (direct run):\n%s", u, c.upstream.baselineFile(),
        direct.output).isZero();
    assertThat(c.baseline()).as(u).containsExactlyInAnyOrderElementsOf(baselineFile(c.upstream));

    // The comparison: nothing passes directly and fails through zo-gate but what the expected
    // check differences explain...
    assertThat(c.passedOnlyDirectly()).as("%s: scenarios that pass directly but not through zo-gate", u)
        .containsExactlyInAnyOrderElementsOf(c.explainedScenarioDifferences());
    assertThat(c.checkDifferences()).as("%s: checks that succeed directly but not through zo-gate", u)
        .containsExactlyInAnyOrderElementsOf(EXPECTED_CHECK_DIFFERENCES.keySet());
    // ...and each observed as explained: the bridge's Origin refusal, nothing else.
    JsonNode refused = c.details(gated, ORIGIN_CHECK);
    assertThat(refused.path("statusCode").asInt()).as("%s: %s through zo-gate", u, ORIGIN_CHECK).isEqualTo(403);
    assertThat(refused.path("body").path("error").asText()).as(u).isEqualTo("origin_not_allowed");
    assertThat(c.details(direct, ORIGIN_CHECK).path("statusCode").asInt() / 100).as(u).isEqualTo(2);
  }

  /** The scenarios listed in a baseline file ("server:" list, one "- name" per line). */
  static List<String> baselineFile(Upstream u) throws IOException {
    List<String> names = new ArrayList<>();
    for (String line : Files.readAllLines(interop.resolve(u.baselineFile()))) {
      String t = line.strip();
      if (t.startsWith("- ")) {
        names.add(t.substring(2).strip());
      }
    }
    return names;
  }

  /** One scenario's outcome: the tool's rule (a FAILURE or WARNING check fails it), and its checks. */
  record Scenario(String scenario, String result, Map<String, String> checks, Map<String, String> messages,
      Map<String, JsonNode> details) {
    String counts() {
      long ok = checks.values().stream().filter("SUCCESS"::equals).count();
      return ok + "/" + checks.size();
    }
  }

  /** One run of the suite against one URL: what the tool printed and the results files it wrote. */
  static final class Run {
    final String name;
    final String url;
    final List<String> command;
    final int exitCode;
    final String output;
    final Duration took;
    final int suiteSize;
    final List<String> order = new ArrayList<>();
    final Map<String, Scenario> results = new LinkedHashMap<>();

    Run(String name, String url, List<String> command, NodePeers.Result r, Path outDir, Duration took)
        throws IOException {
      this.took = took;
      this.name = name;
      this.url = url;
      this.command = command;
      this.exitCode = r.exitCode();
      this.output = r.output();
      Matcher suite = SUITE.matcher(output);
      assertThat(suite.find()).as("the tool announced its suite:\n%s", output).isTrue();
      this.suiteSize = Integer.parseInt(suite.group(1));
      Matcher running = RUNNING.matcher(output);
      while (running.find()) {
        order.add(running.group(1));
      }
      Map<String, Path> files = new TreeMap<>();
      try (Stream<Path> dirs = Files.list(outDir)) {
        for (Path d : dirs.toList()) {
          Matcher m = RESULT_DIR.matcher(d.getFileName().toString());
          assertThat(m.matches()).as("a result directory of the tool: %s", d).isTrue();
          assertThat(files.put(m.group(1), d.resolve("checks.json"))).as("one result per scenario: %s", d).isNull();
        }
      }
      for (String scenario : order) {
        Path checks = files.remove(scenario);
        results.put(scenario, checks == null || !Files.isRegularFile(checks)
            // The tool keeps a scenario that threw in memory only: no checks.json.
            ? new Scenario(scenario, "error", Map.of(), Map.of("run", "the scenario did not finish (see the tool's output)"),
                Map.of())
            : scenario(scenario, JSON.readTree(checks.toFile())));
      }
      assertThat(files).as("results of scenarios the tool did not announce").isEmpty();
    }

    static Scenario scenario(String scenario, JsonNode checks) {
      assertThat(checks.isArray()).as("%s: checks.json is an array", scenario).isTrue();
      Map<String, String> statuses = new LinkedHashMap<>();
      Map<String, String> messages = new LinkedHashMap<>();
      Map<String, JsonNode> details = new LinkedHashMap<>();
      boolean failed = false;
      for (JsonNode check : checks) {
        String id = check.path("id").asText();
        String key = id;
        for (int n = 2; statuses.containsKey(key); n++) {
          key = id + "#" + n;
        }
        String status = check.path("status").asText();
        assertThat(status).as("%s/%s status", scenario, id).isIn("SUCCESS", "FAILURE", "WARNING", "SKIPPED", "INFO");
        statuses.put(key, status);
        if (check.hasNonNull("errorMessage")) {
          messages.put(key, check.path("errorMessage").asText());
        }
        details.put(key, check.path("details"));
        failed |= status.equals("FAILURE") || status.equals("WARNING");
      }
      return new Scenario(scenario, failed ? "fail" : "pass", statuses, messages, details);
    }
  }

  /** Runs the tool's server suite against a URL, with Node 22, the loopback preload and a timeout. */
  static Run conformance(Upstream u, String name, String url) throws Exception {
    Path out = Files.createDirectories(dir.resolve("conformance-" + u.name() + "-" + name));
    List<String> command = new ArrayList<>(List.of(node22.toString(), "--import", NodePeers.loopbackPreload(interop),
        interop.resolve("node_modules/@modelcontextprotocol/conformance/dist/index.js").toString(),
        "server", "--url", url, "-o", out.toString()));
    if (name.equals("direct")) {
      command.addAll(List.of("--expected-failures", u.baselineFile()));
    }
    long started = System.nanoTime();
    NodePeers.Result r = NodePeers.runAllowingExit(interop, dir, command, Map.of(), RUN_TIMEOUT_SECONDS);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(r.exitCode()).as("%s %s: the tool's exit code (0 or 1; anything else is a crash):\n%s", u.name(), name,
        r.output()).isIn(0, 1);
    return new Run(name, url, command, r, out, took);
  }

  /** The two runs against one upstream, side by side. */
  record Comparison(Upstream upstream, Run direct, Run gated) {
    long passDirect() {
      return direct.results.values().stream().filter(s -> s.result.equals("pass")).count();
    }

    long passGated() {
      return gated.results.values().stream().filter(s -> s.result.equals("pass")).count();
    }

    List<String> baseline() {
      return direct.order.stream().filter(s -> !direct.results.get(s).result.equals("pass")).toList();
    }

    List<String> passedOnlyDirectly() {
      return direct.order.stream().filter(s -> direct.results.get(s).result.equals("pass")
          && !gated.results.get(s).result.equals("pass")).toList();
    }

    List<String> passedOnlyThroughZoGate() {
      return direct.order.stream().filter(s -> !direct.results.get(s).result.equals("pass")
          && gated.results.get(s).result.equals("pass")).toList();
    }

    /**
     * The scenarios that pass directly and fail through zo-gate only on expected check
     * differences: every check of theirs that is not a success through zo-gate is one.
     */
    List<String> explainedScenarioDifferences() {
      return passedOnlyDirectly().stream().filter(s -> gated.results.get(s).checks.entrySet().stream()
          .filter(e -> !e.getValue().equals("SUCCESS"))
          .allMatch(e -> EXPECTED_CHECK_DIFFERENCES.containsKey(s + "/" + e.getKey()))).toList();
    }

    boolean agree(String scenario) {
      return direct.results.get(scenario).result.equals(gated.results.get(scenario).result);
    }

    /** "scenario/check" for every check that succeeds directly and does not through zo-gate. */
    List<String> checkDifferences() {
      return succeedsOnlyIn(direct, gated);
    }

    /** "scenario/check" for every check that succeeds through zo-gate and does not directly. */
    List<String> checksPassingOnlyThroughZoGate() {
      return succeedsOnlyIn(gated, direct);
    }

    private static List<String> succeedsOnlyIn(Run one, Run other) {
      List<String> out = new ArrayList<>();
      for (String s : one.order) {
        Map<String, String> there = other.results.get(s).checks;
        one.results.get(s).checks.forEach((check, status) -> {
          if (status.equals("SUCCESS") && !"SUCCESS".equals(there.get(check))) {
            out.add(s + "/" + check);
          }
        });
      }
      return out;
    }

    JsonNode details(Run run, String scenarioAndCheck) {
      int slash = scenarioAndCheck.indexOf('/');
      return run.results.get(scenarioAndCheck.substring(0, slash)).details
          .getOrDefault(scenarioAndCheck.substring(slash + 1), JSON.nullNode());
    }
  }

  static void writeReport(List<Comparison> comparisons, Duration took) throws Exception {
    Path reports = Files.createDirectories(interop.getParent().resolve("reports"));
    ObjectNode report = JSON.createObjectNode();
    report.put("schema", "zo-conformance-report/v1");
    report.put("generatedAt", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    report.put("commit", commit());
    ObjectNode tools = report.putObject("tools");
    tools.put("conformance", version("@modelcontextprotocol/conformance"));
    tools.put("serverEverything", version("@modelcontextprotocol/server-everything"));
    tools.put("sdk", version("@modelcontextprotocol/sdk"));
    tools.put("node", NodePeers.run(interop, dir, List.of(node22.toString(), "--version"), Map.of(), 20).strip());
    report.put("suite", "active");
    report.put("policy", "default: allow");
    report.put("seconds", Math.round(took.toMillis() / 100.0) / 10.0);
    ArrayNode upstreams = report.putArray("upstreams");
    for (Comparison c : comparisons) {
      upstreams.add(upstreamReport(c));
    }
    Files.writeString(reports.resolve("conformance-report.json"), JSON.writeValueAsString(report) + "\n");
    Files.writeString(reports.resolve("conformance-report.md"), markdown(report));
  }

  static ObjectNode upstreamReport(Comparison c) {
    ObjectNode up = JSON.createObjectNode();
    up.put("upstream", c.upstream.name());
    up.put("description", c.upstream.description());
    up.put("baselineFile", "interop/" + c.upstream.baselineFile());
    ObjectNode runs = up.putObject("runs");
    for (Run r : List.of(c.direct, c.gated)) {
      ObjectNode run = runs.putObject(r.name.equals("direct") ? "direct" : "throughZoGate");
      run.put("via", r.name.equals("direct") ? c.upstream.name() : "signing bridge -> zo-gate -> " + c.upstream.name());
      run.put("exitCode", r.exitCode);
      run.put("seconds", Math.round(r.took.toMillis() / 100.0) / 10.0);
      ArrayNode cmd = run.putArray("command");
      r.command.forEach(a -> cmd.add(a.replace(interop.toString(), "interop").replace(dir.toString(), "$TMP")));
    }
    ObjectNode totals = up.putObject("totals");
    totals.put("scenarios", c.direct.order.size());
    totals.put("passDirect", c.passDirect());
    totals.put("passThroughZoGate", c.passGated());
    totals.put("baselineFailures", c.baseline().size());
    totals.put("agree", c.direct.order.stream().filter(c::agree).count());
    totals.put("passOnlyDirectly", c.passedOnlyDirectly().size());
    totals.put("passOnlyDirectlyExplained", c.explainedScenarioDifferences().size());
    totals.put("passOnlyThroughZoGate", c.passedOnlyThroughZoGate().size());
    totals.put("checksDirect", c.direct.results.values().stream().mapToInt(s -> s.checks.size()).sum());
    totals.put("checkDifferences", c.checkDifferences().size());
    totals.put("checksPassingOnlyThroughZoGate", c.checksPassingOnlyThroughZoGate().size());
    ArrayNode baseline = up.putArray("baseline");
    c.baseline().forEach(baseline::add);
    ArrayNode differences = up.putArray("checkDifferences");
    for (String d : c.checkDifferences()) {
      ObjectNode n = differences.addObject();
      n.put("check", d);
      n.put("expected", EXPECTED_CHECK_DIFFERENCES.containsKey(d));
      n.put("why", EXPECTED_CHECK_DIFFERENCES.getOrDefault(d, "not explained: a finding"));
      n.set("directDetails", c.details(c.direct, d));
      n.set("throughZoGateDetails", c.details(c.gated, d));
    }
    ArrayNode onlyGated = up.putArray("checksPassingOnlyThroughZoGate");
    for (String d : c.checksPassingOnlyThroughZoGate()) {
      ObjectNode n = onlyGated.addObject();
      n.put("check", d);
      n.set("directDetails", c.details(c.direct, d));
      n.set("throughZoGateDetails", c.details(c.gated, d));
    }
    List<String> explained = c.explainedScenarioDifferences();
    ArrayNode scenarios = up.putArray("scenarios");
    for (String s : c.direct.order) {
      Scenario d = c.direct.results.get(s);
      Scenario g = c.gated.results.get(s);
      ObjectNode n = scenarios.addObject();
      n.put("scenario", s);
      n.put("direct", d.result);
      n.put("throughZoGate", g == null ? "missing" : g.result);
      n.put("agree", c.agree(s));
      if (explained.contains(s)) {
        n.put("difference", "expected: fails through zo-gate only on " + String.join(", ", c.checkDifferences().stream()
            .filter(k -> k.startsWith(s + "/")).toList()));
      }
      n.put("directChecks", d.counts());
      n.put("throughZoGateChecks", g == null ? "" : g.counts());
      n.set("directMessages", JSON.valueToTree(d.messages));
      n.set("throughZoGateMessages", JSON.valueToTree(g == null ? Map.of() : g.messages));
    }
    return up;
  }

  static String markdown(JsonNode r) {
    StringBuilder md = new StringBuilder();
    md.append("# MCP conformance: directly and through zo-gate\n\n");
    md.append("Generated ").append(r.path("generatedAt").asText()).append(" at commit ").append(r.path("commit").asText())
        .append(" by `ConformanceComparisonTest` (`mvn -B -o test -pl proxy -Dtest=ConformanceComparisonTest`). ");
    JsonNode tools = r.path("tools");
    md.append("@modelcontextprotocol/conformance ").append(tools.path("conformance").asText())
        .append(" (server mode, ").append(r.path("suite").asText()).append(" suite) on Node ")
        .append(tools.path("node").asText()).append(", against each MCP server below (Streamable HTTP, 127.0.0.1), ")
        .append("once directly and once through the signing bridge and zo-gate (policy `")
        .append(r.path("policy").asText()).append("`); the four runs took ").append(r.path("seconds").asText())
        .append(" s.\n\n");
    md.append("A scenario fails when any of its checks is a FAILURE or a WARNING (the tool's own rule for its ")
        .append("baseline). Each server's baseline (the scenarios it fails by itself, directly) is in its baseline file; ")
        .append("the tool checks it on the direct run.\n\n");
    md.append("| upstream | scenarios | pass directly | pass through zo-gate | baseline (fail directly) | agree "
        + "| pass only directly (explained) | pass only through zo-gate | checks that differ (explained) |\n");
    md.append("|---|---|---|---|---|---|---|---|---|\n");
    for (JsonNode up : r.path("upstreams")) {
      JsonNode t = up.path("totals");
      long explainedChecks = 0;
      for (JsonNode d : up.path("checkDifferences")) {
        explainedChecks += d.path("expected").asBoolean() ? 1 : 0;
      }
      md.append("| ").append(up.path("upstream").asText()).append(" | ").append(t.path("scenarios")).append(" | ")
          .append(t.path("passDirect")).append(" | ").append(t.path("passThroughZoGate")).append(" | ")
          .append(t.path("baselineFailures")).append(" | ").append(t.path("agree")).append(" | ")
          .append(t.path("passOnlyDirectly")).append(" (").append(t.path("passOnlyDirectlyExplained")).append(") | ")
          .append(t.path("passOnlyThroughZoGate")).append(" | ").append(t.path("checkDifferences")).append(" (")
          .append(explainedChecks).append(") |\n");
    }
    md.append('\n');
    for (JsonNode up : r.path("upstreams")) {
      md.append("## ").append(up.path("upstream").asText()).append("\n\n").append(up.path("description").asText())
          .append("; baseline `").append(up.path("baselineFile").asText()).append("`.\n\n");
      md.append("### Checks that succeed directly but not through zo-gate\n\n");
      if (up.path("checkDifferences").isEmpty()) {
        md.append("None.\n\n");
      } else {
        md.append("| check | expected | why | directly | through zo-gate |\n|---|---|---|---|---|\n");
        for (JsonNode d : up.path("checkDifferences")) {
          md.append("| `").append(d.path("check").asText()).append("` | ").append(d.path("expected").asBoolean() ? "yes" : "**no**")
              .append(" | ").append(cell(d.path("why").asText(), 1000)).append(" | ").append(cell(d.path("directDetails").toString()))
              .append(" | ").append(cell(d.path("throughZoGateDetails").toString())).append(" |\n");
        }
        md.append('\n');
      }
      md.append("### Checks that succeed through zo-gate but not directly\n\n");
      if (up.path("checksPassingOnlyThroughZoGate").isEmpty()) {
        md.append("None.\n\n");
      } else {
        md.append("| check | directly | through zo-gate |\n|---|---|---|\n");
        for (JsonNode d : up.path("checksPassingOnlyThroughZoGate")) {
          md.append("| `").append(d.path("check").asText()).append("` | ").append(cell(d.path("directDetails").toString()))
              .append(" | ").append(cell(d.path("throughZoGateDetails").toString())).append(" |\n");
        }
        md.append('\n');
      }
      md.append("### Scenarios\n\n| scenario | direct | through zo-gate | agree | checks ok (direct / through) "
          + "| first failure (direct; through zo-gate when different) |\n");
      md.append("|---|---|---|---|---|---|\n");
      for (JsonNode s : up.path("scenarios")) {
        String directMsg = first(s.path("directMessages"));
        String gatedMsg = first(s.path("throughZoGateMessages"));
        String msg = directMsg.equals(gatedMsg) ? directMsg
            : directMsg + (gatedMsg.isEmpty() ? "" : (directMsg.isEmpty() ? "" : "; ") + "through zo-gate: " + gatedMsg);
        String agree = s.path("agree").asBoolean() ? "yes" : s.has("difference") ? "no (expected)" : "**no**";
        md.append("| ").append(s.path("scenario").asText()).append(" | ").append(s.path("direct").asText()).append(" | ")
            .append(s.path("throughZoGate").asText()).append(" | ").append(agree)
            .append(" | ").append(s.path("directChecks").asText()).append(" / ").append(s.path("throughZoGateChecks").asText())
            .append(" | ").append(cell(msg)).append(" |\n");
      }
      md.append('\n');
    }
    return md.toString();
  }

  static String first(JsonNode messages) {
    var it = messages.fields();
    return it.hasNext() ? it.next().getValue().asText() : "";
  }

  static String cell(String s) {
    return cell(s, 160);
  }

  static String cell(String s, int max) {
    String one = s.replace("\r", " ").replace("\n", " ").replace("|", "\\|");
    return one.length() > max ? one.substring(0, max - 3) + "..." : one;
  }

  static String version(String module) throws IOException {
    return JSON.readTree(interop.resolve("node_modules").resolve(module).resolve("package.json").toFile())
        .path("version").asText();
  }

  static String commit() {
    try {
      Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").directory(interop.toFile())
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 && out.matches("[0-9a-f]{4,40}")) {
        return out;
      }
    } catch (IOException | InterruptedException e) {
      // no git here: say so
    }
    return "unknown";
  }
}
