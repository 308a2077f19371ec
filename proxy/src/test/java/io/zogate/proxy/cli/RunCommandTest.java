package io.zogate.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.auth.SqliteReplayStore;
import io.zogate.proxy.fallback.CommandGate;
import io.zogate.proxy.governance.SqliteLedger;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code run}: the proof, governance of the exact argv, direct execution and its exit status. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RunCommandTest {
  static final String ACTOR = "did:zo:ssh:alice";
  static final String HOST = "test-host.example";

  @TempDir Path dir;
  Path cwd;
  Path config;
  byte[] secret;
  Path out;
  Path err;

  @BeforeEach
  void setUp() throws Exception {
    cwd = Files.createDirectories(dir.resolve("work")).toRealPath();
    secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    Files.writeString(dir.resolve("keyring.json"), "{\"keys\":[{\"kid\":\"k1\",\"alg\":\"HMAC-SHA256\",\"secret\":\""
        + Base64.getEncoder().encodeToString(secret) + "\",\"actors\":[\"" + ACTOR + "\"],\"status\":\"active\"}]}");
    Files.writeString(dir.resolve("policy.yaml"), "default: deny\nrules:\n"
        + "  - match: { action: execute, tool: \"/bin/echo\" }\n    decision: allow\n    risk: low\n"
        + "  - match: { tool: \"/bin/false\" }\n    decision: allow\n    risk: low\n"
        + "  - match: { tool: \"/usr/bin/test\" }\n    decision: allow\n    risk: low\n"
        + "  - match: { tool: \"/usr/bin/timeout\" }\n    decision: allow\n    risk: low\n"
        + "  - match: { tool: \"/usr/bin/touch\" }\n    decision: deny\n    risk: high\n"
        + "  - match: { tool: \"/usr/bin/env\" }\n    decision: escalate\n    risk: high\n");
    config = Files.writeString(dir.resolve("zo-gate.yaml"), "upstream: { url: http://127.0.0.1:1/mcp }\n"
        + "auth: { keyring: keyring.json, maxSkew: 300s }\n"
        + "replay: { store: sqlite:replay.db }\nledger: sqlite:ledger.db\npolicy: policy.yaml\n");
    out = dir.resolve("out.txt");
    err = dir.resolve("err.txt");
    // A replay store refuses proofs signed before it existed (it cannot know their nonces), so
    // the store is created first, as an operator does at installation (docs/OPERATIONS.md).
    new SqliteReplayStore(dir.resolve("replay.db"), 1000, Clock.systemUTC()).close();
    Thread.sleep(5);
  }

  @AfterEach
  void tearDown() {
    RunCommand.hooks = null;
  }

  // --- an independent signer, written from docs/PROTOCOL.md, sharing no code with RunProof ---

  static String jsonString(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04X", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  static String sign(byte[] secret, String kid, String actor, String ts, String nonce, String host, String cwd,
      List<String> argv) throws Exception {
    List<String> quoted = new ArrayList<>();
    argv.forEach(a -> quoted.add(jsonString(a)));
    String json = "[" + String.join(",", quoted) + "]";
    String argvHash = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8)));
    String text = String.join("\n", "zo-run-proof-v1", kid, actor, ts, nonce, host, cwd, argvHash);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
  }

  static String nonce() {
    byte[] b = new byte[18];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  Map<String, String> proof(List<String> argv, long ts, String nonce) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("ZO_RUN_KID", "k1");
    env.put("ZO_RUN_ACTOR", ACTOR);
    env.put("ZO_RUN_TS", Long.toString(ts));
    env.put("ZO_RUN_NONCE", nonce);
    env.put("ZO_RUN_SIG", sign(secret, "k1", ACTOR, Long.toString(ts), nonce, HOST, cwd.toString(), argv));
    env.put("HOME", "/home/alice");
    env.put("LD_PRELOAD", "/tmp/evil.so");
    return env;
  }

  Map<String, String> proof(List<String> argv) throws Exception {
    return proof(argv, System.currentTimeMillis(), nonce());
  }

  record Result(int exit, String stderr, String childOut) {}

  Result run(Map<String, String> env, List<String> argv) throws Exception {
    Files.deleteIfExists(out);
    RunCommand.hooks = new RunCommand.Hooks(env, HOST, cwd, new CommandGate.Streams(
        ProcessBuilder.Redirect.from(new File("/dev/null")), ProcessBuilder.Redirect.to(out.toFile()),
        ProcessBuilder.Redirect.to(err.toFile())));
    StringWriter e = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setErr(new PrintWriter(e));
    cl.setOut(new PrintWriter(new StringWriter()));
    List<String> args = new ArrayList<>(List.of("run", "--config", config.toString(), "--"));
    args.addAll(argv);
    int exit = cl.execute(args.toArray(new String[0]));
    return new Result(exit, e.toString(), Files.exists(out) ? Files.readString(out) : null);
  }

  List<String> ledger() throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("ledger.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT kind, actor, tool, decision, result, status, reason FROM ledger ORDER BY seq")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4) + "|"
            + rs.getString(5) + "|" + rs.getString(6) + "|" + rs.getString(7));
      }
    }
    return rows;
  }

  @Test
  void aProvenAllowedCommandRunsAndItsExitStatusPassesThrough() throws Exception {
    List<String> echo = List.of("/bin/echo", "hello");
    Result r = run(proof(echo), echo);
    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.childOut()).isEqualTo("hello\n");

    List<String> no = List.of("/bin/false");
    assertThat(run(proof(no), no).exit()).isEqualTo(1);
    List<String> two = List.of("/usr/bin/test", "1", "-eq", "not-a-number");
    assertThat(run(proof(two), two).exit()).isEqualTo(2);
    List<String> timeout = List.of("/usr/bin/timeout", "0.1", "/bin/sleep", "5");
    assertThat(run(proof(timeout), timeout).exit()).isEqualTo(124);

    assertThat(ledger()).containsExactly(
        "intent|" + ACTOR + "|/bin/echo|ALLOW|null|null|null", "outcome|" + ACTOR + "|null|null|executed|0|null",
        "intent|" + ACTOR + "|/bin/false|ALLOW|null|null|null", "outcome|" + ACTOR + "|null|null|executed|1|null",
        "intent|" + ACTOR + "|/usr/bin/test|ALLOW|null|null|null", "outcome|" + ACTOR + "|null|null|executed|2|null",
        "intent|" + ACTOR + "|/usr/bin/timeout|ALLOW|null|null|null", "outcome|" + ACTOR + "|null|null|executed|124|null");
    assertThat(SqliteLedger.verify(dir.resolve("ledger.db"), null).intact()).isTrue();
  }

  @Test
  void argumentsArePassedLiterallyNeverToAShell() throws Exception {
    List<String> argv = List.of("/bin/echo", "a; /usr/bin/touch pwned1", "$(/usr/bin/touch pwned2)",
        "`/usr/bin/touch pwned3`", "\"double\" 'single'", "two  spaces", "| /usr/bin/touch pwned4 &&", "$HOME",
        "@/etc/hostname", "--config", "tab\there", "back\\slash");
    Result r = run(proof(argv), argv);
    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.childOut()).isEqualTo(String.join(" ", argv.subList(1, argv.size())) + "\n");
    try (var files = Files.list(cwd)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("pwned"));
    }
  }

  @Test
  void theCommandSeesAClearedEnvironment() throws Exception {
    Files.writeString(dir.resolve("policy.yaml"), "default: allow\n");
    List<String> argv = List.of("/usr/bin/env");
    Result r = run(proof(argv), argv);
    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.childOut().lines()).containsExactlyInAnyOrder("PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/alice");
  }

  @Test
  void aDeniedOrEscalatedCommandIsNotExecutedAndIsRecorded() throws Exception {
    Path marker = cwd.resolve("marker");
    List<String> touch = List.of("/usr/bin/touch", marker.toString());
    Result r = run(proof(touch), touch);
    assertThat(r.exit()).isEqualTo(126);
    assertThat(r.stderr().strip()).isEqualTo("zo-gate: run refused: deny");
    assertThat(marker).doesNotExist();

    List<String> env = List.of("/usr/bin/env");
    Result e = run(proof(env), env);
    assertThat(e.exit()).isEqualTo(126);
    assertThat(e.stderr()).contains("run refused: escalate");

    List<String> unknown = List.of("/usr/bin/id");
    assertThat(run(proof(unknown), unknown).stderr()).contains("run refused: deny");
    assertThat(ledger()).containsExactly(
        "intent|" + ACTOR + "|/usr/bin/touch|DENY|null|null|null", "outcome|" + ACTOR + "|null|null|refused|null|deny",
        "intent|" + ACTOR + "|/usr/bin/env|ESCALATE|null|null|null", "outcome|" + ACTOR + "|null|null|refused|null|escalate",
        "intent|" + ACTOR + "|/usr/bin/id|DENY|null|null|null", "outcome|" + ACTOR + "|null|null|refused|null|deny");
  }

  @Test
  void proofFailuresAreRefusedWithTheirReasonAndNothingRuns() throws Exception {
    Path marker = cwd.resolve("marker");
    Files.writeString(dir.resolve("policy.yaml"), "default: allow\n");
    List<String> touch = List.of("/usr/bin/touch", marker.toString());

    Map<String, String> badSig = proof(touch);
    badSig.put("ZO_RUN_SIG", sign(new byte[32], "k1", ACTOR, badSig.get("ZO_RUN_TS"), badSig.get("ZO_RUN_NONCE"),
        HOST, cwd.toString(), touch));
    assertRefused(run(badSig, touch), "signature_invalid");

    // Signed for another argv, another directory or another host: the signature does not verify.
    Map<String, String> otherArgv = proof(List.of("/usr/bin/touch", "/tmp/other"));
    assertRefused(run(otherArgv, touch), "signature_invalid");

    Map<String, String> stale = proof(touch, System.currentTimeMillis() - 301_000, nonce());
    assertRefused(run(stale, touch), "timestamp_skew");

    Map<String, String> unknownKid = proof(touch);
    unknownKid.put("ZO_RUN_KID", "k9");
    assertRefused(run(unknownKid, touch), "unknown_key");

    Map<String, String> otherActor = new HashMap<>(proof(touch));
    otherActor.put("ZO_RUN_ACTOR", "did:zo:ssh:mallory");
    otherActor.put("ZO_RUN_SIG", sign(secret, "k1", "did:zo:ssh:mallory", otherActor.get("ZO_RUN_TS"),
        otherActor.get("ZO_RUN_NONCE"), HOST, cwd.toString(), touch));
    assertRefused(run(otherActor, touch), "key_not_permitted_for_actor");

    Map<String, String> missing = proof(touch);
    missing.remove("ZO_RUN_NONCE");
    assertRefused(run(missing, touch), "missing_proof");

    Map<String, String> upper = proof(touch);
    upper.put("ZO_RUN_SIG", upper.get("ZO_RUN_SIG").toUpperCase());
    assertRefused(run(upper, touch), "malformed_proof");
    assertThat(marker).doesNotExist();
    assertThat(ledger()).hasSize(7).allMatch(row -> row.startsWith("refusal||/usr/bin/touch|"));
  }

  @Test
  void aReplayedProofIsRefused() throws Exception {
    List<String> echo = List.of("/bin/echo", "once");
    Map<String, String> env = proof(echo);
    assertThat(run(env, echo).exit()).isZero();
    Result again = run(env, echo);
    assertRefused(again, "nonce_reused");
    assertThat(again.childOut()).isNull();
    assertThat(ledger()).last().asString().startsWith("refusal|" + ACTOR + "|/bin/echo|null|null|null|nonce_reused");
  }

  @Test
  void aRelativeOrUnnormalisedCommandIsAUsageError() throws Exception {
    for (List<String> argv : List.of(List.of("echo", "hi"), List.of("./echo"), List.of("/bin/../bin/echo", "hi"))) {
      Result r = run(proof(argv), argv);
      assertThat(r.exit()).isEqualTo(2);
      assertThat(r.stderr()).contains("absolute path");
      assertThat(r.childOut()).isNull();
    }
  }

  @Test
  void aMemoryReplayStoreIsAConfigurationError() throws Exception {
    Files.writeString(config, Files.readString(config).replace("sqlite:replay.db", "memory"));
    List<String> echo = List.of("/bin/echo", "hi");
    Result r = run(proof(echo), echo);
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.stderr()).contains("persistent replay store");
  }

  private static void assertRefused(Result r, String reason) {
    assertThat(r.exit()).as(r.stderr()).isEqualTo(126);
    assertThat(r.stderr().strip()).isEqualTo("zo-gate: run refused: " + reason);
  }

  // --- a real `java ... Main run` process: its exit status and stdout are the command's ---

  @Test
  void aRealProcessPassesTheExitStatusAndTheArgumentsThrough() throws Exception {
    String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    List<String> timeout = List.of("/usr/bin/timeout", "0.1", "/bin/sleep", "5");
    assertThat(subprocess(host, timeout).exit()).isEqualTo(124);
    List<String> echo = List.of("/bin/echo", "$(/usr/bin/touch pwned)", "a;b", "'q'");
    Result r = subprocess(host, echo);
    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.childOut()).isEqualTo("$(/usr/bin/touch pwned) a;b 'q'\n");
    assertThat(cwd.resolve("pwned")).doesNotExist();
  }

  private Result subprocess(String host, List<String> argv) throws Exception {
    String ts = Long.toString(System.currentTimeMillis());
    String nonce = nonce();
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        "io.zogate.proxy.cli.Main", "run", "--config", config.toString(), "--"));
    cmd.addAll(argv);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("ZO_RUN_KID", "k1");
    pb.environment().put("ZO_RUN_ACTOR", ACTOR);
    pb.environment().put("ZO_RUN_TS", ts);
    pb.environment().put("ZO_RUN_NONCE", nonce);
    pb.environment().put("ZO_RUN_SIG", sign(secret, "k1", ACTOR, ts, nonce, host, cwd.toString(), argv));
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("run did not finish");
    }
    return new Result(p.exitValue(), Files.readString(err), Files.readString(out));
  }
}
