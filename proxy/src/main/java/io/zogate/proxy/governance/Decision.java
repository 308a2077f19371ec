package io.zogate.proxy.governance;

import java.util.Objects;

/**
 * What governance decided about an action, which rule decided it, and the risk grade of that
 * rule (for the log and the ledger; never told to the caller).
 *
 * @param verdict allow, escalate or deny
 * @param rule the id of the deciding rule (or {@code default}, {@code path-invalid}, ...)
 * @param risk the risk grade of the deciding rule
 */
public record Decision(Verdict verdict, String rule, Risk risk) {
  /** Verdicts in order of strictness: a later constant beats an earlier one. */
  public enum Verdict {
    ALLOW,
    ESCALATE,
    DENY
  }

  public Decision {
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(risk, "risk");
  }

  /** A decision with the verdict's default risk grade ({@link Risk#defaultFor}). */
  public Decision(Verdict verdict, String rule) {
    this(verdict, rule, Risk.defaultFor(verdict));
  }

  public static Decision allow(String rule) {
    return new Decision(Verdict.ALLOW, rule);
  }

  public static Decision escalate(String rule) {
    return new Decision(Verdict.ESCALATE, rule);
  }

  public static Decision deny(String rule) {
    return new Decision(Verdict.DENY, rule);
  }

  public static Decision of(Verdict verdict, Risk risk, String rule) {
    return new Decision(verdict, rule, risk);
  }

  public boolean allowed() {
    return verdict == Verdict.ALLOW;
  }
}
