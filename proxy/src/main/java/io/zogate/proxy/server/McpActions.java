package io.zogate.proxy.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.zogate.proxy.governance.Action;
import io.zogate.proxy.governance.ActionKind;
import io.zogate.proxy.jsonrpc.JsonRpcMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Describes an MCP message as a governance {@link Action}: the one place that knows MCP's
 * methods and argument conventions, so that the governance package knows none of them.
 */
final class McpActions {
  /** Argument names that carry a path or URI by convention (CONTRACT.md section 6). */
  static final Set<String> PATH_ARGUMENTS =
      Set.of("path", "file", "filename", "uri", "target", "source", "destination", "dir", "directory");

  /** Methods that only read, and so may be retried once on a connection failure. */
  static final Set<String> READ_ONLY_METHODS = Set.of("initialize", "ping", "tools/list", "resources/list",
      "resources/templates/list", "resources/read", "prompts/list", "prompts/get", "completion/complete");

  private McpActions() {}

  static Action describe(String actorId, String httpMethod, JsonRpcMessage message) {
    if (message == null) {
      // GET opens a server stream, DELETE ends a session: governed as operations of their own.
      String op = httpMethod.equals("DELETE") ? "session/delete" : "session/stream";
      return new Action(actorId, ActionKind.OTHER, op, "", List.of());
    }
    if (message.kind() == JsonRpcMessage.Kind.RESPONSE) {
      return new Action(actorId, ActionKind.OTHER, "response", "", List.of());
    }
    String method = message.method();
    JsonNode params = message.params();
    if (method.equals("tools/call")) {
      String tool = params != null && params.path("name").isTextual() ? params.get("name").asText() : "";
      List<String> targets = new ArrayList<>();
      JsonNode arguments = params == null ? null : params.get("arguments");
      collectPathArguments(arguments, targets);
      return new Action(actorId, toolKind(tool), method, tool, targets, arguments);
    }
    if (method.equals("resources/read") || method.equals("resources/subscribe")) {
      List<String> targets = new ArrayList<>();
      if (params != null && params.path("uri").isTextual()) {
        targets.add(params.get("uri").asText());
      }
      return new Action(actorId, ActionKind.READ, method, "", targets);
    }
    ActionKind kind = READ_ONLY_METHODS.contains(method) ? ActionKind.READ : ActionKind.OTHER;
    return new Action(actorId, kind, method, "", List.of());
  }

  static boolean isReadOnly(JsonRpcMessage message) {
    return message != null && message.kind() == JsonRpcMessage.Kind.REQUEST
        && READ_ONLY_METHODS.contains(message.method());
  }

  private static void collectPathArguments(JsonNode arguments, List<String> out) {
    if (arguments == null || !arguments.isObject()) {
      return;
    }
    arguments.fields().forEachRemaining(f -> {
      if (f.getValue().isTextual() && PATH_ARGUMENTS.contains(f.getKey())) {
        out.add(f.getValue().asText());
      }
    });
  }

  /** A first classification by the tool's verb; the policy issue refines it. */
  static ActionKind toolKind(String tool) {
    String t = tool.toLowerCase(Locale.ROOT);
    if (startsWithAny(t, "read", "get", "list", "search", "find", "query", "view", "echo")) {
      return ActionKind.READ;
    }
    if (startsWithAny(t, "write", "create", "update", "delete", "remove", "edit", "move", "rename", "put", "set")) {
      return ActionKind.WRITE;
    }
    if (startsWithAny(t, "exec", "run", "shell", "bash", "spawn", "eval")) {
      return ActionKind.EXECUTE;
    }
    if (startsWithAny(t, "fetch", "http", "curl", "download", "upload", "send", "post")) {
      return ActionKind.NETWORK;
    }
    return ActionKind.OTHER;
  }

  private static boolean startsWithAny(String s, String... prefixes) {
    for (String p : prefixes) {
      if (s.startsWith(p)) {
        return true;
      }
    }
    return false;
  }
}
