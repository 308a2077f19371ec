package io.zogate.proxy.governance;

import java.util.Objects;

/**
 * Governs by a {@link Policy}. Thread-safe: the policy is immutable. Never throws: a null action
 * or an unexpected failure inside the policy is a DENY (fail closed) under rule {@value
 * #ERROR_RULE}.
 */
public final class PolicyGovernor implements Governor {
  public static final String ERROR_RULE = "policy-error";

  private final Policy policy;

  public PolicyGovernor(Policy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  public Policy policy() {
    return policy;
  }

  @Override
  public Decision decide(Action action) {
    if (action == null) {
      return Decision.of(Decision.Verdict.DENY, Risk.HIGH, ERROR_RULE);
    }
    try {
      return policy.decide(action);
    } catch (RuntimeException | StackOverflowError e) {
      return Decision.of(Decision.Verdict.DENY, Risk.HIGH, ERROR_RULE);
    }
  }
}
