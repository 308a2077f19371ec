package io.zogate.proxy.server;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.Refusal;
import java.io.IOException;
import java.util.Map;

/**
 * Only {@code /mcp}, and on it only POST, GET (when server streams are on) and DELETE; decided
 * before anything else so that probing other paths costs nothing and learns nothing.
 */
final class RouteStage implements Stage {
  static final String PATH = "/mcp";
  private final boolean serverStreams;
  private final String allow;

  RouteStage(boolean serverStreams) {
    this.serverStreams = serverStreams;
    this.allow = serverStreams ? "POST, GET, DELETE" : "POST, DELETE";
  }

  @Override
  public Outcome handle(ProxyCall call, Chain next) throws IOException {
    IncomingRequest req = call.request();
    if (!PATH.equals(req.target().getRawPath())) {
      return new Outcome.Refused(Refusal.of(Reason.UNKNOWN_ROUTE, "path " + req.target().getRawPath()));
    }
    String method = req.method();
    boolean allowed = method.equals("POST") || method.equals("DELETE") || (method.equals("GET") && serverStreams);
    if (!allowed) {
      return new Outcome.Plain(405, Map.of("Allow", allow));
    }
    return next.proceed(call);
  }
}
