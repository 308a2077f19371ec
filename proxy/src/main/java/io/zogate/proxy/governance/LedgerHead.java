package io.zogate.proxy.governance;

import java.util.Objects;

/**
 * The last entry of a ledger: its sequence number and hash (lowercase hex SHA-256). An empty
 * ledger's head is {@link #EMPTY}: sequence 0 and the all-zero hash that entry 1 chains to.
 */
public record LedgerHead(long seq, String hash) {
  public static final String ZERO_HASH = "0".repeat(64);
  public static final LedgerHead EMPTY = new LedgerHead(0, ZERO_HASH);

  public LedgerHead {
    Objects.requireNonNull(hash, "hash");
    if (seq < 0) {
      throw new IllegalArgumentException("seq must not be negative");
    }
    if (!LedgerCanonical.isHashHex(hash)) {
      throw new IllegalArgumentException("hash must be 64 lowercase hex chars");
    }
  }
}
