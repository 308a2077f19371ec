package io.zogate.proxy.upstream;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which client headers go upstream and which upstream headers come back (CONTRACT.md section
 * 3): an allowlist each way, so a header nobody thought of is dropped, never leaked.
 */
final class UpstreamHeaders {

  /** Canonical spelling of each client header that may reach the upstream, by lower case. */
  static final Map<String, String> CLIENT_ALLOWLIST =
      Map.of(
          "content-type", "Content-Type",
          "accept", "Accept",
          "mcp-session-id", "Mcp-Session-Id",
          "mcp-protocol-version", "MCP-Protocol-Version",
          "last-event-id", "Last-Event-ID");

  static final String SESSION = "Mcp-Session-Id";
  static final String ACTOR = "x-zo-actor";

  /**
   * Longest session id relayed. MCP asks for visible ASCII and says nothing of length; ids are
   * UUIDs or signed tokens in practice, and the id ends up in the proxy's session table.
   */
  static final int MAX_SESSION_ID_CHARS = 1024;

  private UpstreamHeaders() {}

  /** The canonical name when {@code name} is allowlisted, else null. */
  static String allowlisted(String name) {
    return name == null ? null : CLIENT_ALLOWLIST.get(name.toLowerCase(Locale.ROOT));
  }

  /**
   * Values go upstream only when they are plain visible ASCII, spaces and tabs: a control
   * character in a header value is a header-injection attempt or a bug, never MCP.
   */
  static boolean isCleanValue(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c > 0x7E) {
        return false;
      }
    }
    return true;
  }

  /** MCP: a session id holds only visible ASCII (0x21-0x7E). */
  static boolean isValidSessionId(String value) {
    if (value.isEmpty() || value.length() > MAX_SESSION_ID_CHARS) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c > 0x7E) {
        return false;
      }
    }
    return true;
  }

  /** Whether the client's request carried a session id (any spelling of the name). */
  static boolean carriesSession(Map<String, List<String>> clientHeaders) {
    for (var entry : clientHeaders.entrySet()) {
      if (SESSION.equalsIgnoreCase(entry.getKey()) && !entry.getValue().isEmpty()) {
        return true;
      }
    }
    return false;
  }
}
