package io.zogate.proxy.governance;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable, compiled policy: a default decision and rules. Every rule that matches counts;
 * the strictest verdict wins (DENY over ESCALATE over ALLOW), within one verdict the highest
 * risk, and between equals the first rule in the file. When no rule matches, the default
 * decides, with the default's risk grade ({@link Risk#defaultFor}), under rule id
 * {@value #DEFAULT_RULE}.
 *
 * <p>Before any rule, the action's path-like targets are collected and parsed ({@link
 * PathTarget}); if any is invalid (relative, NUL, climbing above the root, ...) the decision is
 * DENY, risk HIGH, rule {@value #PATH_INVALID_RULE}, whatever the rules say.
 *
 * <p>Targets are: the action's own {@link Action#targets()}; every string (or string in an
 * array) at the top level of the arguments under one of the {@link #DEFAULT_PATH_ARGUMENTS}
 * names; and every string (or string in an array) at the JSON Pointers named by the {@code
 * paths} of any rule whose other conditions match the action.
 */
public final class Policy {
  public static final String DEFAULT_RULE = "default";
  public static final String PATH_INVALID_RULE = "path-invalid";

  /** Argument names path-like by default (CONTRACT.md section 6), looked up at the top level only. */
  public static final Set<String> DEFAULT_PATH_ARGUMENTS =
      Set.of("path", "file", "filename", "uri", "target", "source", "destination", "dir", "directory");

  private final Decision.Verdict defaultVerdict;
  private final Decision defaultDecision;
  private final List<PolicyRule> rules;
  private final List<PolicyRule> rulesWithPaths;

  public Policy(Decision.Verdict defaultVerdict, List<PolicyRule> rules) {
    this.defaultVerdict = Objects.requireNonNull(defaultVerdict, "defaultVerdict");
    this.defaultDecision = new Decision(defaultVerdict, DEFAULT_RULE);
    this.rules = List.copyOf(rules);
    this.rulesWithPaths = this.rules.stream().filter(r -> !r.paths().isEmpty()).toList();
  }

  public Decision.Verdict defaultVerdict() {
    return defaultVerdict;
  }

  public List<PolicyRule> rules() {
    return rules;
  }

  /** Decides about an action. Never throws for a non-null action. */
  public Decision decide(Action action) {
    List<PathTarget> targets = new ArrayList<>();
    for (String raw : targetsOf(action)) {
      PathTarget t = PathTarget.parse(raw);
      if (!t.valid()) {
        return Decision.of(Decision.Verdict.DENY, Risk.HIGH, PATH_INVALID_RULE);
      }
      targets.add(t);
    }
    PolicyRule best = null;
    for (PolicyRule r : rules) {
      if (r.matches(action, targets) && (best == null || stricter(r, best))) {
        best = r;
      }
    }
    return best == null ? defaultDecision : Decision.of(best.verdict(), best.risk(), best.id());
  }

  private static boolean stricter(PolicyRule a, PolicyRule b) {
    int c = a.verdict().compareTo(b.verdict());
    return c > 0 || (c == 0 && a.risk().compareTo(b.risk()) > 0);
  }

  /** The raw path-like targets of an action, in order, without duplicates. */
  Set<String> targetsOf(Action action) {
    Set<String> out = new LinkedHashSet<>(action.targets());
    JsonNode args = action.arguments();
    if (args.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = args.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (DEFAULT_PATH_ARGUMENTS.contains(f.getKey())) {
          addStrings(f.getValue(), out);
        }
      }
    }
    if (!args.isMissingNode()) {
      for (PolicyRule r : rulesWithPaths) {
        if (r.matchesWithoutPath(action)) {
          for (JsonPointer p : r.paths()) {
            addStrings(args.at(p), out);
          }
        }
      }
    }
    return out;
  }

  private static void addStrings(JsonNode node, Set<String> out) {
    if (node.isTextual()) {
      out.add(node.textValue());
    } else if (node.isArray()) {
      for (JsonNode e : node) {
        if (e.isTextual()) {
          out.add(e.textValue());
        }
      }
    }
  }
}
