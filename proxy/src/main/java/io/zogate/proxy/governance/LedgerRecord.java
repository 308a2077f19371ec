package io.zogate.proxy.governance;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What one ledger entry says, before the ledger gives it a sequence number, a time and a
 * place in the hash chain. Three kinds (docs/LEDGER.md):
 *
 * <ul>
 *   <li>{@code intent}: committed before a governed request is forwarded (and for DENY and
 *       ESCALATE, before the refusal is answered): request id, actor, operation, tool,
 *       targets, the decision, its rule and risk.
 *   <li>{@code outcome}: what became of an intent: {@code relayed} with the HTTP status, {@code
 *       refused} with the reason (deny, escalate, upstream_status), or {@code outcome_unknown}
 *       with the reason when the upstream may or may not have acted (timeout, connection lost,
 *       an invalid or broken-off answer). {@code refSeq} is the intent's
 *       sequence number.
 *   <li>{@code refusal}: a request refused after the actor was authenticated but before an
 *       intent was recorded (nonce reused, parse error, unknown session, request id reused).
 *   <li>{@code audit_pass} / {@code audit_fail}: a change the fallback watcher observed after the
 *       fact (it could not be stopped, only judged): actor, operation ({@code file/create},
 *       {@code file/modify}, {@code file/delete}), the path as the one target, the policy's
 *       decision, rule and risk, and for a fail the reason ({@code deny}, {@code escalate},
 *       {@code privileged}, {@code unwatchable}).
 * </ul>
 *
 * Fields a kind does not use are null ({@code targets} is then empty). The values are plain
 * strings and numbers so that what the verifier reads back from storage is exactly what was
 * hashed; the factories keep what the proxy writes well-formed.
 */
public record LedgerRecord(
    Kind kind,
    String requestId,
    String traceId,
    String actor,
    String operation,
    String tool,
    List<String> targets,
    String decision,
    String rule,
    String risk,
    Long refSeq,
    String result,
    Integer status,
    String reason) {

  /** The entry kinds, written in lower case. */
  public enum Kind {
    INTENT,
    OUTCOME,
    REFUSAL,
    /** A change the fallback watcher saw, which governance allowed (docs/LEDGER.md). */
    AUDIT_PASS,
    /** A change the fallback watcher saw, which governance did not allow, or that touched a privileged path. */
    AUDIT_FAIL;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Kind fromWire(String s) {
      for (Kind k : values()) {
        if (k.wire().equals(s)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown entry kind '" + s + "'");
    }
  }

  /** What became of an intent. */
  public enum Result {
    /** The upstream answered and the answer was relayed ({@code status} is the HTTP status). */
    RELAYED,
    /**
     * Refused: by governance before anything was forwarded (deny, escalate), or by the upstream
     * with an error status (upstream_status, {@code status} is the upstream's).
     */
    REFUSED,
    /** The upstream may or may not have acted: it timed out or went silent mid-answer. */
    OUTCOME_UNKNOWN,
    /** A command the fallback {@code run} wrapper executed; {@code status} is its exit status. */
    EXECUTED;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public LedgerRecord {
    Objects.requireNonNull(kind, "kind");
    targets = targets == null ? List.of() : List.copyOf(targets);
    switch (kind) {
      case INTENT -> {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(decision, "decision");
      }
      case OUTCOME -> {
        Objects.requireNonNull(refSeq, "refSeq");
        Objects.requireNonNull(result, "result");
      }
      case REFUSAL -> {
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(reason, "reason");
      }
      case AUDIT_PASS, AUDIT_FAIL -> {
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(decision, "decision");
      }
      default -> throw new IllegalStateException();
    }
  }

  /** The intent for an action and the decision governance took about it. */
  public static LedgerRecord intent(String requestId, String traceId, Action action, Decision decision) {
    return new LedgerRecord(Kind.INTENT, requestId, traceId, action.actorId(), action.operation(),
        action.tool().isEmpty() ? null : action.tool(), action.targets(), decision.verdict().name(),
        decision.rule(), decision.risk().name(), null, null, null, null);
  }

  /**
   * The outcome of the intent recorded as {@code intent}.
   *
   * @param status the HTTP status relayed to the client, or null
   * @param reason the refusal reason (a stable code such as {@code upstream_timeout}), or null
   */
  public static LedgerRecord outcome(LedgerEntry intent, String traceId, Result result, Integer status, String reason) {
    LedgerRecord i = intent.record();
    if (i.kind() != Kind.INTENT) {
      throw new IllegalArgumentException("an outcome refers to an intent, not a " + i.kind().wire());
    }
    return new LedgerRecord(Kind.OUTCOME, i.requestId(), traceId, i.actor(), null, null, List.of(), null, null,
        null, intent.seq(), result.wire(), status, reason);
  }

  /**
   * A refusal after authentication with no intent before it.
   *
   * @param requestId the derived request id when the body was parsed, else null
   * @param operation the operation when known (the JSON-RPC method), else null
   */
  public static LedgerRecord refusal(String requestId, String traceId, String actor, String operation, String reason) {
    return new LedgerRecord(Kind.REFUSAL, requestId, traceId, actor, operation, null, List.of(), null, null, null,
        null, null, null, reason);
  }

  /**
   * An audit of a change observed after the fact (the fallback watcher).
   *
   * @param pass whether the change passed: governance allowed it and no fail-closed rule applied
   * @param reason why it failed ({@code deny}, {@code escalate}, {@code privileged}, ...), null
   *     for a pass
   */
  public static LedgerRecord audit(boolean pass, String traceId, Action action, Decision decision, String reason) {
    if (pass && reason != null) {
      throw new IllegalArgumentException("a passing audit has no failure reason");
    }
    if (!pass && reason == null) {
      throw new IllegalArgumentException("a failing audit names its reason");
    }
    return new LedgerRecord(pass ? Kind.AUDIT_PASS : Kind.AUDIT_FAIL, null, traceId, action.actorId(),
        action.operation(), action.tool().isEmpty() ? null : action.tool(), action.targets(),
        decision.verdict().name(), decision.rule(), decision.risk().name(), null, null, null, reason);
  }
}
