package io.zogate.proxy.auth;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;

/**
 * Raw 32-byte Ed25519 keys to and from JDK key objects. The JDK's key specs want DER, and the
 * DER of an Ed25519 key is a fixed prefix plus the raw bytes (RFC 8410), so no ASN.1 library is
 * needed and the raw form is the only one a keyring stores.
 */
final class Ed25519Keys {
  static final int RAW_KEY_BYTES = 32;

  private static final byte[] PKCS8_PREFIX = Hex.decodeLower("302e020100300506032b657004220420");

  private Ed25519Keys() {}

  static PrivateKey privateKey(Secret seed) throws GeneralSecurityException {
    if (seed.length() != RAW_KEY_BYTES) {
      throw new GeneralSecurityException("an Ed25519 private seed is 32 bytes");
    }
    byte[] raw = seed.revealCopy();
    byte[] der = concat(PKCS8_PREFIX, raw);
    try {
      return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
    } finally {
      Secret.wipe(raw);
      Secret.wipe(der);
    }
  }

  /** A raw key pair: the public key is not secret, the seed is. */
  record RawKeyPair(byte[] publicKey, Secret privateSeed) {}

  static RawKeyPair generate() {
    try {
      KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      byte[] spki = pair.getPublic().getEncoded();
      byte[] rawPublic = java.util.Arrays.copyOfRange(spki, spki.length - RAW_KEY_BYTES, spki.length);
      byte[] seed = ((EdECPrivateKey) pair.getPrivate()).getBytes()
          .orElseThrow(() -> new IllegalStateException("JDK did not expose the Ed25519 seed"));
      Secret secret = Secret.copyOf(seed);
      Secret.wipe(seed);
      return new RawKeyPair(rawPublic, secret);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is not available in this JDK", e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
