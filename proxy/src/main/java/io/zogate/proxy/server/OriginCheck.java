package io.zogate.proxy.server;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.util.List;
import java.util.Set;

/**
 * The MCP transport's defence against DNS rebinding: a browser's {@code Origin}, when sent,
 * must be one the operator listed (none by default). Checked before authentication, as a
 * browser page must learn nothing else.
 */
final class OriginCheck implements Stage.Check {
  private final Set<String> allowedOrigins;

  OriginCheck(List<String> allowedOrigins) {
    this.allowedOrigins = Set.copyOf(allowedOrigins);
  }

  @Override
  public void check(ProxyCall call) throws RefusalException {
    List<String> origins = call.request().header("Origin");
    if (origins.isEmpty()) {
      return;
    }
    if (origins.size() > 1 || !allowedOrigins.contains(origins.get(0))) {
      throw new RefusalException(Reason.ORIGIN_NOT_ALLOWED, "origin " + origins);
    }
  }
}
