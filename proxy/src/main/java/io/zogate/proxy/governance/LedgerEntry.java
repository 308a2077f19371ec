package io.zogate.proxy.governance;

import java.util.Objects;

/**
 * One committed ledger entry: its place in the chain ({@code seq}, strictly increasing by one
 * from 1), when it was written (Unix milliseconds), what it says, the hash of the entry before
 * it and its own hash, {@code SHA-256(prevHash bytes || canonical encoding)} as lowercase hex
 * ({@link LedgerCanonical}).
 */
public record LedgerEntry(long seq, long timeMillis, LedgerRecord record, String prevHash, String hash) {
  public LedgerEntry {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(prevHash, "prevHash");
    Objects.requireNonNull(hash, "hash");
  }

  public LedgerHead head() {
    return new LedgerHead(seq, hash);
  }
}
