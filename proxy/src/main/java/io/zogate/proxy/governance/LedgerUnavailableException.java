package io.zogate.proxy.governance;

/**
 * The ledger could not record an entry (SQLite busy past its timeout, disk full, file gone or
 * corrupt). The proxy fails closed on it: an intent that was not recorded is never forwarded.
 */
public final class LedgerUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  public LedgerUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  public LedgerUnavailableException(String message) {
    super(message);
  }
}
