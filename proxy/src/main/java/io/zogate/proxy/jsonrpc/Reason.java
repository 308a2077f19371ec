package io.zogate.proxy.jsonrpc;

/**
 * Every refusal reason of the contract's error table, with the code it belongs to. The wire
 * spelling ({@link #wire()}) is the lower-case enum name.
 */
public enum Reason {
  INVALID_JSON(ErrorCode.PARSE_ERROR),
  DUPLICATE_KEY(ErrorCode.PARSE_ERROR),
  TOO_DEEP(ErrorCode.PARSE_ERROR),
  INVALID_UTF8(ErrorCode.PARSE_ERROR),
  NOT_I_JSON(ErrorCode.PARSE_ERROR),
  BAD_ENCODING(ErrorCode.PARSE_ERROR),

  NOT_JSONRPC(ErrorCode.INVALID_REQUEST),
  BATCH_UNSUPPORTED(ErrorCode.INVALID_REQUEST),
  BAD_ID(ErrorCode.INVALID_REQUEST),

  UNKNOWN_ROUTE(ErrorCode.METHOD_NOT_FOUND),

  MISSING_HEADER(ErrorCode.UNAUTHORIZED),
  DUPLICATE_HEADER(ErrorCode.UNAUTHORIZED),
  MALFORMED_HEADER(ErrorCode.UNAUTHORIZED),
  BAD_AUTHORITY(ErrorCode.UNAUTHORIZED),
  UNKNOWN_KEY(ErrorCode.UNAUTHORIZED),
  TIMESTAMP_SKEW(ErrorCode.UNAUTHORIZED),
  SIGNATURE_INVALID(ErrorCode.UNAUTHORIZED),
  KEY_NOT_PERMITTED_FOR_ACTOR(ErrorCode.UNAUTHORIZED),
  API_KEY_INVALID(ErrorCode.UNAUTHORIZED),
  CLIENT_CERT_REQUIRED(ErrorCode.UNAUTHORIZED),
  CLIENT_CERT_ACTOR_MISMATCH(ErrorCode.UNAUTHORIZED),

  ORIGIN_NOT_ALLOWED(ErrorCode.FORBIDDEN_ORIGIN),

  BODY_TOO_LARGE(ErrorCode.PAYLOAD_TOO_LARGE),

  NONCE_REUSED(ErrorCode.REPLAY_REJECTED),
  REQUEST_ID_REUSED(ErrorCode.REPLAY_REJECTED),

  CLIENT_LIMIT(ErrorCode.RATE_LIMITED),
  KEY_LIMIT(ErrorCode.RATE_LIMITED),
  ACTOR_LIMIT(ErrorCode.RATE_LIMITED),

  ESCALATE(ErrorCode.GOVERNANCE_ESCALATION),
  DENY(ErrorCode.GOVERNANCE_DENIED),

  UPSTREAM_TIMEOUT(ErrorCode.UPSTREAM_TIMEOUT),
  UPSTREAM_STATUS(ErrorCode.UPSTREAM_REJECTED),

  MALFORMED_JSON(ErrorCode.UPSTREAM_INVALID),
  UPSTREAM_NOT_JSONRPC(ErrorCode.UPSTREAM_INVALID, "not_jsonrpc"),
  ID_MISMATCH(ErrorCode.UPSTREAM_INVALID),
  DUPLICATE_RESPONSE(ErrorCode.UPSTREAM_INVALID),
  RESPONSE_TOO_LARGE(ErrorCode.UPSTREAM_INVALID),
  BAD_CONTENT_TYPE(ErrorCode.UPSTREAM_INVALID),
  BAD_EVENT_STREAM(ErrorCode.UPSTREAM_INVALID),
  STREAM_IDLE(ErrorCode.UPSTREAM_INVALID),
  STREAM_TOO_LONG(ErrorCode.UPSTREAM_INVALID),

  UPSTREAM_UNREACHABLE(ErrorCode.UPSTREAM_UNAVAILABLE),

  REPLAY_STORE(ErrorCode.STORE_UNAVAILABLE),
  RATE_LIMIT_STORE(ErrorCode.STORE_UNAVAILABLE),
  LEDGER(ErrorCode.STORE_UNAVAILABLE),

  INTERNAL(ErrorCode.INTERNAL);

  private final ErrorCode code;
  private final String wire;

  Reason(ErrorCode code) {
    this.code = code;
    this.wire = name().toLowerCase(java.util.Locale.ROOT);
  }

  Reason(ErrorCode code, String wire) {
    this.code = code;
    this.wire = wire;
  }

  public ErrorCode code() {
    return code;
  }

  /** The reason as written in {@code error.data.reason}. */
  public String wire() {
    return wire;
  }
}
