package io.zogate.proxy.jsonrpc;

import java.nio.charset.StandardCharsets;

/**
 * The derived request id of CONTRACT.md section 2: {@code "req_"} and the first 32 hex chars
 * of SHA-256 over {@code zo-request-v1}, actor, kid, canonical id, method, params fingerprint,
 * ts and nonce, one per line. It names one authenticated request everywhere (ledger, logs).
 */
public final class RequestId {
  private RequestId() {}

  public static String derive(String actorId, String kid, JsonRpcId idOrNull, String method,
      String paramsSha256Hex, String tsText, String nonce) {
    String lines = String.join("\n", "zo-request-v1", actorId, kid,
        idOrNull == null ? "null" : idOrNull.canonicalJson(), method, paramsSha256Hex, tsText, nonce);
    return "req_" + Jcs.sha256Hex(lines.getBytes(StandardCharsets.UTF_8)).substring(0, 32);
  }
}
