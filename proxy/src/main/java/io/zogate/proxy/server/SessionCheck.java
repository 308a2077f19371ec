package io.zogate.proxy.server;

import io.zogate.proxy.jsonrpc.Reason;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A request that names an MCP session must come from the actor that session was issued to.
 * Any other actor, and any session this proxy never issued, gets the plain 404 of an unknown
 * session: the same answer, so a probe cannot tell a foreign session from a dead one.
 */
final class SessionCheck implements Stage {
  static final String HEADER = "Mcp-Session-Id";
  private final SessionRegistry sessions;

  SessionCheck(SessionRegistry sessions) {
    this.sessions = sessions;
  }

  @Override
  public Outcome handle(ProxyCall call, Chain next) throws IOException {
    List<String> ids = call.request().header(HEADER);
    if (ids.isEmpty()) {
      return next.proceed(call);
    }
    if (ids.size() > 1) {
      return new Outcome.Refused(io.zogate.proxy.jsonrpc.Refusal.of(Reason.DUPLICATE_HEADER, HEADER));
    }
    String id = ids.get(0);
    boolean owned = sessions.owner(id).map(call.actor().actorId()::equals).orElse(false);
    if (!owned) {
      return new Outcome.Plain(404, Map.of());
    }
    call.sessionId(id);
    return next.proceed(call);
  }
}
