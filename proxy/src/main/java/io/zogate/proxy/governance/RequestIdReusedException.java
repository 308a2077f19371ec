package io.zogate.proxy.governance;

/** The ledger already holds an intent with this request id: the request is a replay. */
public final class RequestIdReusedException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String requestId;

  public RequestIdReusedException(String requestId) {
    super("the ledger already holds an intent for " + requestId, null, false, false);
    this.requestId = requestId;
  }

  public String requestId() {
    return requestId;
  }
}
