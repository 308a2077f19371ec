package io.zogate.proxy.auth;

import java.util.Optional;

/**
 * The signature algorithms a keyring entry can name. The algorithm belongs to the key, never
 * to the request: a caller cannot downgrade a key by asking for another one.
 */
public enum KeyAlgorithm {
  HMAC_SHA256("HMAC-SHA256", 32),
  ED25519("Ed25519", 64);

  private final String wireName;
  private final int signatureBytes;

  KeyAlgorithm(String wireName, int signatureBytes) {
    this.wireName = wireName;
    this.signatureBytes = signatureBytes;
  }

  /** The spelling in the keyring file's {@code alg} field. */
  public String wireName() {
    return wireName;
  }

  /** The exact length of a signature (HMAC tag) in bytes; any other length is invalid. */
  public int signatureBytes() {
    return signatureBytes;
  }

  /** Exact, case-sensitive match of the keyring spelling. */
  public static Optional<KeyAlgorithm> fromWireName(String name) {
    for (KeyAlgorithm a : values()) {
      if (a.wireName.equals(name)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }
}
