package io.zogate.proxy.jsonrpc;

/**
 * The JSON-RPC error codes of the contract's error table (CONTRACT.md section 4), each with
 * the HTTP status and message it is always answered with. Stable API: dashboards key on them.
 */
public enum ErrorCode {
  PARSE_ERROR(-32700, 400, "Parse error"),
  INVALID_REQUEST(-32600, 400, "Invalid Request"),
  METHOD_NOT_FOUND(-32601, 404, "Method not found"),
  UNAUTHORIZED(-32030, 401, "Unauthorized"),
  FORBIDDEN_ORIGIN(-32033, 403, "Forbidden origin"),
  PAYLOAD_TOO_LARGE(-32031, 413, "Payload too large"),
  REPLAY_REJECTED(-32032, 409, "Replay rejected"),
  RATE_LIMITED(-32040, 429, "Rate limit exceeded"),
  GOVERNANCE_ESCALATION(-32010, 200, "Governance escalation required"),
  GOVERNANCE_DENIED(-32011, 200, "Governance denied"),
  UPSTREAM_TIMEOUT(-32020, 200, "Upstream timeout"),
  UPSTREAM_REJECTED(-32021, 200, "Upstream rejected request"),
  UPSTREAM_INVALID(-32022, 200, "Upstream invalid response"),
  UPSTREAM_UNAVAILABLE(-32023, 200, "Upstream unavailable"),
  STORE_UNAVAILABLE(-32050, 503, "Governance store unavailable"),
  INTERNAL(-32603, 500, "Internal error");

  private final int code;
  private final int httpStatus;
  private final String message;

  ErrorCode(int code, int httpStatus, String message) {
    this.code = code;
    this.httpStatus = httpStatus;
    this.message = message;
  }

  public int code() {
    return code;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String message() {
    return message;
  }
}
