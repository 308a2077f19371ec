package io.zogate.proxy.jsonrpc;

/**
 * A governance store (replay, rate limit, ledger) could not answer. The pipeline fails closed
 * on it: -32050 with the store's reason, never a pass and never a 500.
 */
public final class StoreUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreUnavailableException(String message) {
    super(message);
  }
}
