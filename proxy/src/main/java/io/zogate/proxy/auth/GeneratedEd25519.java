package io.zogate.proxy.auth;

import java.util.Objects;

/**
 * A freshly generated Ed25519 key: the keyring entry (public key only, for the proxy) and the
 * private seed (for the client, shown once). Not a record, so the seed never reaches a
 * generated {@code toString}.
 */
public final class GeneratedEd25519 {
  private final ActorKey actorKey;
  private final Secret privateSeed;

  GeneratedEd25519(ActorKey actorKey, Secret privateSeed) {
    this.actorKey = Objects.requireNonNull(actorKey, "actorKey");
    this.privateSeed = Objects.requireNonNull(privateSeed, "privateSeed");
    if (privateSeed.length() != Ed25519Keys.RAW_KEY_BYTES) {
      throw new IllegalArgumentException("an Ed25519 private seed is 32 bytes");
    }
  }

  /** The keyring entry: verifies, cannot sign. */
  public ActorKey actorKey() {
    return actorKey;
  }

  /** The 32-byte RFC 8032 private key (seed); {@link ActorSigner#ed25519} signs with it. */
  public Secret privateSeed() {
    return privateSeed;
  }

  @Override
  public String toString() {
    return "GeneratedEd25519[" + actorKey + ", privateSeed=redacted]";
  }
}
