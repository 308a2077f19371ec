package io.zogate.proxy.governance;

import java.util.Set;

/**
 * The minimal governor: allows everything except the listed operations and tools. Used when
 * no policy file is configured, and by the demo to show a refusal.
 */
public final class DenyListGovernor implements Governor {
  private final Set<String> deniedOperations;
  private final Set<String> deniedTools;

  public DenyListGovernor(Set<String> deniedOperations, Set<String> deniedTools) {
    this.deniedOperations = Set.copyOf(deniedOperations);
    this.deniedTools = Set.copyOf(deniedTools);
  }

  public static DenyListGovernor allowAll() {
    return new DenyListGovernor(Set.of(), Set.of());
  }

  @Override
  public Decision decide(Action action) {
    if (deniedOperations.contains(action.operation())) {
      return Decision.deny("deny-list operation " + action.operation());
    }
    if (!action.tool().isEmpty() && deniedTools.contains(action.tool())) {
      return Decision.deny("deny-list tool " + action.tool());
    }
    return Decision.allow("default allow");
  }
}
