package io.zogate.proxy.auth;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * Secret key bytes (an HMAC key, an Ed25519 private seed). Deliberately not a record: a record
 * would print and hash its contents. The bytes come out only through {@link #revealCopy()},
 * whose name makes every use greppable; equality is constant time so it cannot serve as a
 * timing oracle; {@link #toString()} never shows the bytes.
 */
public final class Secret {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] bytes;

  private Secret(byte[] bytes) {
    this.bytes = bytes;
  }

  /** A secret holding a copy of {@code bytes} (the caller may wipe its array afterwards). */
  public static Secret copyOf(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    return new Secret(bytes.clone());
  }

  /** {@code length} bytes from {@link SecureRandom}. */
  public static Secret random(int length) {
    if (length <= 0) {
      throw new IllegalArgumentException("length must be positive");
    }
    byte[] bytes = new byte[length];
    RANDOM.nextBytes(bytes);
    return new Secret(bytes);
  }

  public int length() {
    return bytes.length;
  }

  /**
   * A fresh copy of the secret bytes. Only crypto set-up and the keyring writer call this;
   * the copy never reaches a log or an error message.
   */
  public byte[] revealCopy() {
    return bytes.clone();
  }

  /** Constant-time comparison of the bytes (the length is not treated as secret). */
  public boolean sameBytesAs(Secret other) {
    return other != null && MessageDigest.isEqual(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret && sameBytesAs((Secret) o);
  }

  /** Depends only on the length, so hashing never leaks content. */
  @Override
  public int hashCode() {
    return Integer.hashCode(bytes.length);
  }

  @Override
  public String toString() {
    return "Secret[redacted, " + bytes.length + " bytes]";
  }

  /** Overwrites the given array: for temporaries that held secret bytes. */
  static void wipe(byte[] temporary) {
    if (temporary != null) {
      Arrays.fill(temporary, (byte) 0);
    }
  }
}
