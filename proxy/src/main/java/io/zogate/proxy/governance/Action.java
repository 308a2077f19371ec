package io.zogate.proxy.governance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.List;
import java.util.Objects;

/**
 * A plain description of something an actor wants done, free of any transport: who, what kind,
 * which operation and tool, the targets it touches and the tool's arguments. The proxy and the
 * fallback path both describe their actions this way, so one policy governs both.
 *
 * @param actorId the verified actor
 * @param kind the action's class
 * @param operation the operation name (for MCP, the JSON-RPC method)
 * @param tool the tool name when the operation calls a tool, else empty
 * @param targets path-like targets the action touches (may be empty)
 * @param arguments the tool's arguments as a JSON tree (a private deep copy; {@link
 *     MissingNode} when there are none). The policy reads path-like arguments from it. Callers
 *     must not mutate the returned tree.
 */
public record Action(
    String actorId, ActionKind kind, String operation, String tool, List<String> targets, JsonNode arguments) {
  public Action {
    Objects.requireNonNull(actorId, "actorId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(operation, "operation");
    tool = tool == null ? "" : tool;
    targets = List.copyOf(targets);
    // A deep copy, so that a caller cannot change what the governor sees while it decides.
    arguments = arguments == null ? MissingNode.getInstance() : arguments.deepCopy();
  }

  /** An action without tool arguments. */
  public Action(String actorId, ActionKind kind, String operation, String tool, List<String> targets) {
    this(actorId, kind, operation, tool, targets, null);
  }
}
