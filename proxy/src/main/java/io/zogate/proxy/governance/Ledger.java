package io.zogate.proxy.governance;

import java.util.Optional;

/**
 * The audit ledger: append-only, one hash chain, a strictly increasing sequence number
 * (CONTRACT.md section 7, docs/LEDGER.md). Implementations are thread-safe; each append is
 * committed durably before it returns, so a caller that got an entry back may act on it.
 */
public interface Ledger extends AutoCloseable {

  /**
   * Commits an intent. Called before the action is carried out; if it throws, the action must
   * not be carried out.
   *
   * @throws RequestIdReusedException the ledger already holds an intent with this request id
   */
  LedgerEntry appendIntent(LedgerRecord intent) throws LedgerUnavailableException, RequestIdReusedException;

  /** Commits the outcome of an intent ({@link LedgerRecord#outcome}). */
  LedgerEntry appendOutcome(LedgerRecord outcome) throws LedgerUnavailableException;

  /** Commits a refusal that had no intent ({@link LedgerRecord#refusal}). */
  LedgerEntry appendRefusal(LedgerRecord refusal) throws LedgerUnavailableException;

  /** Commits an audit of an observed change ({@link LedgerRecord#audit}). */
  LedgerEntry appendAudit(LedgerRecord audit) throws LedgerUnavailableException;

  /** The last committed entry, or empty for an empty ledger. */
  Optional<LedgerHead> head() throws LedgerUnavailableException;

  /** Whether this ledger records anything ({@link #none()} does not). */
  default boolean recording() {
    return true;
  }

  @Override
  void close();

  /**
   * The ledger of a proxy configured without one: records nothing. Its appends return an entry
   * with sequence number 0 (never a real entry's) so callers need no special case.
   */
  static Ledger none() {
    return NoLedger.INSTANCE;
  }

  /** Records nothing. */
  final class NoLedger implements Ledger {
    static final NoLedger INSTANCE = new NoLedger();

    private NoLedger() {}

    private static LedgerEntry unrecorded(LedgerRecord r) {
      return new LedgerEntry(0, 0, r, LedgerHead.ZERO_HASH, LedgerHead.ZERO_HASH);
    }

    @Override
    public LedgerEntry appendIntent(LedgerRecord intent) {
      return unrecorded(intent);
    }

    @Override
    public LedgerEntry appendOutcome(LedgerRecord outcome) {
      return unrecorded(outcome);
    }

    @Override
    public LedgerEntry appendRefusal(LedgerRecord refusal) {
      return unrecorded(refusal);
    }

    @Override
    public LedgerEntry appendAudit(LedgerRecord audit) {
      return unrecorded(audit);
    }

    @Override
    public Optional<LedgerHead> head() {
      return Optional.empty();
    }

    @Override
    public boolean recording() {
      return false;
    }

    @Override
    public void close() {}
  }
}
