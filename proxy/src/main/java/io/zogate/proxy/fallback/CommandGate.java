package io.zogate.proxy.fallback;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zogate.proxy.auth.ActorKey;
import io.zogate.proxy.auth.ActorSigner;
import io.zogate.proxy.auth.ActorVerifier;
import io.zogate.proxy.auth.Keyring;
import io.zogate.proxy.auth.ReplayStore;
import io.zogate.proxy.governance.Action;
import io.zogate.proxy.governance.ActionKind;
import io.zogate.proxy.governance.Decision;
import io.zogate.proxy.governance.Governor;
import io.zogate.proxy.governance.Ledger;
import io.zogate.proxy.governance.LedgerEntry;
import io.zogate.proxy.governance.LedgerRecord;
import io.zogate.proxy.governance.LedgerUnavailableException;
import io.zogate.proxy.governance.RequestIdReusedException;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The command wrapper behind {@code run} (CONTRACT.md section 7, docs/OPERATIONS.md "Fallback:
 * run"). In order, stopping at the first failure:
 *
 * <ol>
 *   <li>the argv: not empty, {@code argv[0]} an absolute, normalised path (exit 2 otherwise:
 *       commands are never looked up in a {@code PATH});
 *   <li>the proof's syntax ({@code missing_proof}, {@code malformed_proof});
 *   <li>the key is known and active ({@code unknown_key}), the timestamp fresh ({@code
 *       timestamp_skew}), the signature verifies over this host, directory and argv ({@code
 *       signature_invalid}), the key may sign for the actor ({@code key_not_permitted_for_actor});
 *   <li>the nonce is claimed in the replay store ({@code nonce_reused});
 *   <li>governance decides {@code Action(actor, EXECUTE, "exec", tool argv[0], targets: the
 *       absolute paths among argv[1..], arguments {"argv": [...]})}, and the intent is committed
 *       to the ledger with the decision;
 *   <li>only on ALLOW: argv is executed directly (no shell), with a cleared environment ({@link
 *       #FIXED_PATH} plus {@link #PASSED_VARIABLES}), stdin/stdout/stderr inherited, in the
 *       signed working directory; its exit status is returned and recorded as the outcome.
 * </ol>
 *
 * Exit statuses: the command's own; {@value #REFUSED} when the proof or governance refuses (one
 * line on stderr names the reason); {@value #CANNOT_START} when the allowed command cannot be
 * started; {@value #STORE_FAILURE} when the replay store or the ledger cannot be written
 * (nothing is executed); {@value #USAGE} for a bad argv.
 */
public final class CommandGate {
  private static final Logger LOG = Logger.getLogger(CommandGate.class.getName());

  public static final int USAGE = 2;
  public static final int STORE_FAILURE = 1;
  public static final int REFUSED = 126;
  public static final int CANNOT_START = 127;

  public static final String OPERATION = "exec";
  public static final String FIXED_PATH = "/usr/local/bin:/usr/bin:/bin";
  /** Copied into the command's environment when set; everything else is dropped. */
  public static final List<String> PASSED_VARIABLES = List.of("HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TERM", "TZ");
  /** The ledger's actor for a refusal before any actor was proven. */
  public static final String NO_ACTOR = "";

  /** Where the command runs and what it inherits. */
  public record Context(String hostName, Path workingDirectory, Map<String, String> environment) {
    public Context {
      Objects.requireNonNull(hostName, "hostName");
      Objects.requireNonNull(workingDirectory, "workingDirectory");
      environment = Map.copyOf(environment);
    }

    /** This process: {@link #hostName()}, the real working directory, {@link System#getenv()}. */
    public static Context current() throws IOException {
      return new Context(localHostName(), Path.of("").toAbsolutePath().toRealPath(), System.getenv());
    }

    /**
     * The kernel's node name ({@code uname -n}): {@code /proc/sys/kernel/hostname} where it
     * exists, else {@link InetAddress#getLocalHost()}'s name. Never a DNS answer on Linux, so a
     * signer on the same host computes the same line.
     */
    public static String localHostName() throws IOException {
      Path proc = Path.of("/proc/sys/kernel/hostname");
      if (Files.isReadable(proc)) {
        return Files.readString(proc, StandardCharsets.UTF_8).strip();
      }
      return InetAddress.getLocalHost().getHostName();
    }
  }

  /** Where the command's standard streams go (inherited in production; files in tests). */
  public record Streams(ProcessBuilder.Redirect in, ProcessBuilder.Redirect out, ProcessBuilder.Redirect err) {
    public static final Streams INHERIT =
        new Streams(ProcessBuilder.Redirect.INHERIT, ProcessBuilder.Redirect.INHERIT, ProcessBuilder.Redirect.INHERIT);
  }

  private final Keyring keyring;
  private final Clock clock;
  private final Duration maxSkew;
  private final ReplayStore replay;
  private final Governor governor;
  private final Ledger ledger;
  private final Streams streams;

  public CommandGate(Keyring keyring, Clock clock, Duration maxSkew, ReplayStore replay, Governor governor,
      Ledger ledger, Streams streams) {
    this.keyring = Objects.requireNonNull(keyring, "keyring");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxSkew = Objects.requireNonNull(maxSkew, "maxSkew");
    this.replay = Objects.requireNonNull(replay, "replay");
    this.governor = Objects.requireNonNull(governor, "governor");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.streams = Objects.requireNonNull(streams, "streams");
  }

  /**
   * Checks that {@code argv[0]} is an absolute, normalised path.
   *
   * @throws RunRefusal {@code empty_command} or {@code relative_command}, exit {@value #USAGE}
   */
  public static void checkArgv(List<String> argv) throws RunRefusal {
    if (argv == null || argv.isEmpty() || argv.get(0).isEmpty()) {
      throw new RunRefusal("empty_command", USAGE, "no command given (run --config FILE -- /absolute/command ARGS...)");
    }
    String cmd = argv.get(0);
    if (!cmd.startsWith("/")) {
      throw new RunRefusal("relative_command", USAGE,
          "argv[0] must be an absolute path, got '" + cmd + "': commands are never looked up in PATH");
    }
    if (!Path.of(cmd).normalize().toString().equals(cmd)) {
      throw new RunRefusal("relative_command", USAGE,
          "argv[0] must be a normalised absolute path (no '.', '..', '//' or trailing '/'), got '" + cmd + "'");
    }
  }

  /** The targets policy sees: the absolute paths among the arguments (argv[0] is the tool). */
  static List<String> targetsOf(List<String> argv) {
    List<String> out = new ArrayList<>();
    for (String a : argv.subList(1, argv.size())) {
      if (a.startsWith("/") && !out.contains(a)) {
        out.add(a);
      }
    }
    return out;
  }

  /** The governance action for a proven argv. */
  public static Action actionFor(String actor, List<String> argv) {
    ObjectNode args = JsonNodeFactory.instance.objectNode();
    ArrayNode list = args.putArray("argv");
    argv.forEach(list::add);
    return new Action(actor, ActionKind.EXECUTE, OPERATION, argv.get(0), targetsOf(argv), args);
  }

  /**
   * Verifies, decides, records and, only on ALLOW, executes. Writes one line to {@code err} when
   * it refuses.
   *
   * @return the exit status for {@code run}
   */
  public int run(List<String> argv, Context ctx, PrintWriter err) {
    String traceId = "run-" + HexFormat.of().formatHex(randomBytes());
    try {
      return proveDecideExecute(argv, ctx, traceId);
    } catch (RunRefusal r) {
      LOG.log(r.exitCode() == STORE_FAILURE ? Level.SEVERE : Level.WARNING,
          "run: refused (" + r.reason() + ") trace " + traceId + ": " + r.getMessage());
      err.println("zo-gate: run refused: " + r.reason()
          + (r.exitCode() == USAGE || r.exitCode() == STORE_FAILURE ? ": " + r.getMessage() : ""));
      err.flush();
      return r.exitCode();
    }
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[8];
    new SecureRandom().nextBytes(b);
    return b;
  }

  private int proveDecideExecute(List<String> argv, Context ctx, String traceId) throws RunRefusal {
    checkArgv(argv);
    String tool = argv.get(0);
    RunProof proof;
    ActorKey key;
    byte[] message;
    try {
      proof = RunProof.fromEnvironment(ctx.environment(), REFUSED);
      ActorVerifier verifier = new ActorVerifier(() -> keyring, clock, maxSkew, replay.earliestAcceptableTsMillis());
      try {
        key = verifier.checkKeyAndTime(proof.asHeaders());
      } catch (RefusalException e) {
        throw new RunRefusal(e.refusal().reason().wire(), REFUSED, e.refusal().logDetail());
      }
      try {
        message = proof.stringToSign(ctx.hostName(), ctx.workingDirectory().toString(), argv);
      } catch (IllegalArgumentException e) {
        throw new RunRefusal("bad_context", REFUSED, e.getMessage());
      }
      if (proof.sigHex().length() != key.algorithm().signatureBytes() * 2
          || !key.verify(message, HexFormat.of().parseHex(proof.sigHex()))) {
        throw new RunRefusal("signature_invalid", REFUSED, "signature does not verify with key " + key.kid());
      }
      if (!key.mayActFor(proof.actor())) {
        throw new RunRefusal("key_not_permitted_for_actor", REFUSED,
            "key " + key.kid() + " may not sign for actor " + proof.actor());
      }
    } catch (RunRefusal r) {
      // Nobody was proven: recorded without an actor (the claimed one is only in the log).
      recordRefusal(null, traceId, NO_ACTOR, tool, argv, r);
      throw r;
    }
    String actor = proof.actor();
    String requestId = "run_" + ActorSigner.sha256Hex(message).substring(0, 32);
    try {
      replay.claim(actor, proof.nonce(), ReplayStore.expiryFor(proof.tsMillis(), maxSkew.toMillis()));
    } catch (RefusalException e) {
      RunRefusal r = new RunRefusal(e.refusal().reason().wire(), REFUSED, "nonce " + proof.nonce() + " of " + actor);
      recordRefusal(requestId, traceId, actor, tool, argv, r);
      throw r;
    } catch (StoreUnavailableException e) {
      RunRefusal r = new RunRefusal("replay_store", STORE_FAILURE, e.getMessage());
      recordRefusal(requestId, traceId, actor, tool, argv, r);
      throw r;
    }
    Action action = actionFor(actor, argv);
    Decision decision = governor.decide(action);
    LedgerEntry intent;
    try {
      intent = ledger.appendIntent(LedgerRecord.intent(requestId, traceId, action, decision));
    } catch (LedgerUnavailableException e) {
      throw new RunRefusal("ledger", STORE_FAILURE, "cannot record the intent, nothing executed: " + e.getMessage());
    } catch (RequestIdReusedException e) {
      RunRefusal r = new RunRefusal("request_id_reused", REFUSED, requestId);
      recordRefusal(requestId, traceId, actor, tool, argv, r);
      throw r;
    }
    LOG.info("run: " + actor + " " + decision.verdict() + " by rule " + decision.rule() + ": " + RunProof.argvJson(argv)
        + " (trace " + traceId + ", seq " + intent.seq() + ")");
    if (!decision.allowed()) {
      String reason = decision.verdict() == Decision.Verdict.ESCALATE ? "escalate" : "deny";
      recordOutcome(intent, traceId, LedgerRecord.Result.REFUSED, null, reason);
      throw new RunRefusal(reason, REFUSED, "rule " + decision.rule());
    }
    Process process;
    try {
      process = processBuilder(argv, ctx).start();
    } catch (IOException | RuntimeException e) {
      recordOutcome(intent, traceId, LedgerRecord.Result.REFUSED, null, "exec_failed");
      throw new RunRefusal("exec_failed", CANNOT_START, "cannot start " + tool + ": " + e.getMessage());
    }
    int status = waitFor(process);
    recordOutcome(intent, traceId, LedgerRecord.Result.EXECUTED, status, null);
    return status;
  }

  ProcessBuilder processBuilder(List<String> argv, Context ctx) {
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.directory(ctx.workingDirectory().toFile());
    Map<String, String> env = pb.environment();
    env.clear();
    env.put("PATH", FIXED_PATH);
    for (String name : PASSED_VARIABLES) {
      String v = ctx.environment().get(name);
      if (v != null) {
        env.put(name, v);
      }
    }
    pb.redirectInput(streams.in());
    pb.redirectOutput(streams.out());
    pb.redirectError(streams.err());
    return pb;
  }

  private static int waitFor(Process process) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return process.waitFor();
        } catch (InterruptedException e) {
          // The command decides when it ends (a terminal's ^C reaches it directly).
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void recordRefusal(String requestId, String traceId, String actor, String tool, List<String> argv, RunRefusal r) {
    LedgerRecord rec = new LedgerRecord(LedgerRecord.Kind.REFUSAL, requestId, traceId, actor, OPERATION, tool,
        targetsOf(argv), null, null, null, null, null, null, r.reason());
    try {
      ledger.appendRefusal(rec);
    } catch (LedgerUnavailableException | RuntimeException e) {
      LOG.log(Level.SEVERE, "run: cannot record the refusal (" + r.reason() + ", trace " + traceId + "): " + e.getMessage());
    }
  }

  private void recordOutcome(LedgerEntry intent, String traceId, LedgerRecord.Result result, Integer status, String reason) {
    try {
      ledger.appendOutcome(LedgerRecord.outcome(intent, traceId, result, status, reason));
    } catch (LedgerUnavailableException | RuntimeException e) {
      LOG.log(Level.SEVERE, "run: cannot record the outcome of entry " + intent.seq() + " (" + result.wire()
          + ", trace " + traceId + "): " + e.getMessage());
    }
  }

}
