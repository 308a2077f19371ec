package io.zogate.proxy.governance;

/**
 * How much harm an action could do if the decision about it were wrong: a grade for the log,
 * the ledger and dashboards. It never changes the verdict; ordered from least to most.
 */
public enum Risk {
  LOW,
  MEDIUM,
  HIGH;

  /** The grade a decision carries when nothing more specific was said: deny high, escalate medium, allow low. */
  public static Risk defaultFor(Decision.Verdict verdict) {
    return switch (verdict) {
      case DENY -> HIGH;
      case ESCALATE -> MEDIUM;
      case ALLOW -> LOW;
    };
  }
}
