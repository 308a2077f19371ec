package io.zogate.proxy.server;

import io.zogate.proxy.upstream.ClientResponder;
import io.zogate.proxy.upstream.ForwardResult;
import io.zogate.proxy.upstream.Forwarder;
import io.zogate.proxy.upstream.UpstreamRequest;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last stage: forwards the exact signed bytes with the allowlisted headers and the
 * verified actor, lets the forwarder validate and re-emit the answer, and keeps the session
 * bindings in step with what upstream said.
 */
final class ForwardStage implements Stage {
  private static final List<String> RELAYED_HEADERS =
      List.of("Content-Type", "Accept", "Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID");
  private final Forwarder forwarder;
  private final SessionRegistry sessions;

  ForwardStage(Forwarder forwarder, SessionRegistry sessions) {
    this.forwarder = forwarder;
    this.sessions = sessions;
  }

  @Override
  public Outcome handle(ProxyCall call, Chain next) throws IOException {
    IncomingRequest req = call.request();
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : RELAYED_HEADERS) {
      List<String> values = req.header(name);
      if (!values.isEmpty()) {
        headers.put(name, values);
      }
    }
    String actorId = call.actor().actorId();
    UpstreamRequest upstream = new UpstreamRequest(req.method(), call.body(), headers, actorId,
        call.expectsResponse() ? call.message().id() : null, McpActions.isReadOnly(call.message()));
    ForwardResult result = forwarder.forward(upstream, new SessionBinding(call.responder(), actorId));
    if (result instanceof ForwardResult.Refused refused) {
      return new Outcome.Refused(refused.refusal());
    }
    ForwardResult.Relayed relayed = (ForwardResult.Relayed) result;
    String session = call.sessionId();
    if (session != null && (relayed.status() == 404 || (req.method().equals("DELETE") && relayed.status() / 100 == 2))) {
      sessions.unbind(session);
    }
    return new Outcome.Relayed(relayed.status(), relayed.inStreamFailure());
  }

  /**
   * Binds a session id upstream hands out to the actor before the client can see it, so the
   * client's next request (perhaps on another connection) already finds its binding.
   */
  private final class SessionBinding implements ClientResponder {
    private final ClientResponder client;
    private final String actorId;

    SessionBinding(ClientResponder client, String actorId) {
      this.client = client;
      this.actorId = actorId;
    }

    private void bind(Map<String, String> headers) {
      String id = headers.get(SessionCheck.HEADER);
      if (id != null) {
        sessions.bind(id, actorId);
      }
    }

    @Override
    public void sendJson(int status, Map<String, String> headers, byte[] body) throws IOException {
      bind(headers);
      client.sendJson(status, headers, body);
    }

    @Override
    public void sendEmpty(int status, Map<String, String> headers) throws IOException {
      if (status / 100 == 2) {
        bind(headers);
      }
      client.sendEmpty(status, headers);
    }

    @Override
    public ClientResponder.EventStream openEventStream(Map<String, String> headers) throws IOException {
      bind(headers);
      return client.openEventStream(headers);
    }
  }
}
