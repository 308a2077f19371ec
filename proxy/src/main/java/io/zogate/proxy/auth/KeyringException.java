package io.zogate.proxy.auth;

/**
 * A keyring file could not be read or is not a valid keyring. The message is one line naming
 * the file, the key (by kid or index) and the field; it never contains key material.
 */
public final class KeyringException extends Exception {
  private static final long serialVersionUID = 1L;

  public KeyringException(String message) {
    super(message);
  }

  public KeyringException(String message, Throwable cause) {
    super(message, cause);
  }
}
