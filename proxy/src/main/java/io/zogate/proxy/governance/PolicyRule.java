package io.zogate.proxy.governance;

import com.fasterxml.jackson.core.JsonPointer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One compiled policy rule. Every condition is optional (empty = any); all present conditions
 * must hold for the rule to match.
 *
 * @param id the rule's id (for the log and ledger): its {@code id:} or {@code rules[N]}
 * @param verdict what the rule decides
 * @param risk the rule's risk grade
 * @param actor a name glob for the verified actor
 * @param kind the action's kind
 * @param method a name glob for the operation (the JSON-RPC method)
 * @param tool a name glob for the tool; never matches an action without a tool
 * @param path a path glob; see {@link #pathMatches}
 * @param paths JSON Pointers into the tool's arguments that are path-like for actions this
 *     rule's other conditions match (they become targets for every rule, not only this one)
 */
public record PolicyRule(
    String id,
    Decision.Verdict verdict,
    Risk risk,
    Optional<Glob> actor,
    Optional<ActionKind> kind,
    Optional<Glob> method,
    Optional<Glob> tool,
    Optional<PathGlob> path,
    List<JsonPointer> paths) {
  public PolicyRule {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(risk, "risk");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(tool, "tool");
    Objects.requireNonNull(path, "path");
    paths = List.copyOf(paths);
  }

  /** The conditions other than {@code path}: who, what kind, which operation and tool. */
  boolean matchesWithoutPath(Action a) {
    return actor.map(g -> g.matches(a.actorId())).orElse(true)
        && kind.map(k -> k == a.kind()).orElse(true)
        && method.map(g -> g.matches(a.operation())).orElse(true)
        && tool.map(g -> !a.tool().isEmpty() && g.matches(a.tool())).orElse(true);
  }

  /**
   * The {@code path} condition over the action's (valid, parsed) targets. Without a path glob it
   * holds. With one, the action must have at least one target, and: a DENY or ESCALATE rule
   * matches if ANY target matches (one bad path is enough to refuse); an ALLOW rule matches only
   * if ALL targets match (an allowed path cannot carry a second, unallowed one). Both choices
   * fail closed.
   */
  boolean pathMatches(List<PathTarget> targets) {
    if (path.isEmpty()) {
      return true;
    }
    if (targets.isEmpty()) {
      return false;
    }
    PathGlob g = path.get();
    if (verdict == Decision.Verdict.ALLOW) {
      return targets.stream().allMatch(g::matches);
    }
    return targets.stream().anyMatch(g::matches);
  }

  boolean matches(Action a, List<PathTarget> targets) {
    return matchesWithoutPath(a) && pathMatches(targets);
  }
}
