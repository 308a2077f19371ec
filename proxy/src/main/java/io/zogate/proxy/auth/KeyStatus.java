package io.zogate.proxy.auth;

import java.util.Optional;

/** Lifecycle state of a keyring entry. Only {@code active} keys verify anything. */
public enum KeyStatus {
  ACTIVE("active"),
  RETIRED("retired");

  private final String wireName;

  KeyStatus(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /** Exact, case-sensitive match; an unknown status is a load error, never a default. */
  public static Optional<KeyStatus> fromWireName(String name) {
    for (KeyStatus s : values()) {
      if (s.wireName.equals(name)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
