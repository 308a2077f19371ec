package io.zogate.proxy.config;

/** Configuration that cannot be used: start-up stops with exit 2 and this one-line message. */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
