package io.zogate.proxy.governance;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Optional;

/**
 * Walks a ledger from entry 1 and checks it end to end: the sequence numbers run 1, 2, 3, ...
 * with no gap or repeat, each entry's {@code prev_hash} is the hash of the entry before it
 * (all zeros for entry 1), and each entry's hash recomputes from its own fields ({@link
 * LedgerCanonical}). It stops at the first broken entry and names it (sequence number and what
 * is wrong): everything after a break is unanchored.
 *
 * <p>A chain proves order, not completeness: a chain cut short, or rewritten from some entry
 * on with fresh hashes, still verifies on its own. With a signed {@link LedgerCheckpoint} (a
 * head exported earlier and kept elsewhere) the verifier also requires that the chain reaches
 * the checkpoint's sequence number and that its entry there has the checkpoint's hash. The
 * checkpoint's signature is checked by the caller ({@link LedgerCheckpoint#verifySignature}).
 *
 * <p>Feed rows in ascending {@code seq} order with {@link #accept}, then call {@link #finish}.
 */
public final class LedgerVerifier {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

  private final LedgerCheckpoint checkpoint;
  private long count;
  private LedgerHead head = LedgerHead.EMPTY;
  private String hashAtCheckpoint;
  private Problem problem;

  /** A row as stored: every column, uninterpreted, so that tampering of any kind can be named. */
  public record StoredRow(
      long seq,
      long timeMillis,
      String kind,
      String requestId,
      String traceId,
      String actor,
      String operation,
      String tool,
      String decision,
      String rule,
      String risk,
      Long refSeq,
      String result,
      Long status,
      String reason,
      String targetsJson,
      String prevHash,
      String hash) {}

  /** The first broken entry: its sequence number as stored and what is wrong with it. */
  public record Problem(long seq, String what) {
    @Override
    public String toString() {
      return "entry " + seq + ": " + what;
    }
  }

  /**
   * @param entries how many entries were read and found intact
   * @param head the last intact entry ({@link LedgerHead#EMPTY} for an empty ledger)
   * @param problem the first problem, if any
   */
  public record Report(long entries, LedgerHead head, Optional<Problem> problem) {
    public boolean intact() {
      return problem.isEmpty();
    }
  }

  /** @param checkpoint a checkpoint the chain must reach and agree with, or null */
  public LedgerVerifier(LedgerCheckpoint checkpoint) {
    this.checkpoint = checkpoint;
  }

  /** Checks the next row; returns false once the chain is broken (later rows are not checked). */
  public boolean accept(StoredRow row) {
    if (problem != null) {
      return false;
    }
    long expected = head.seq() + 1;
    if (row.seq() != expected) {
      return fail(row.seq(), row.seq() < expected
          ? "sequence number repeats or goes back (expected " + expected + ")"
          : "sequence gap: entries " + expected + (row.seq() - 1 > expected ? ".." + (row.seq() - 1) : "")
              + " are missing");
    }
    if (!head.hash().equals(row.prevHash())) {
      return fail(row.seq(), "prev_hash does not match the hash of entry " + head.seq()
          + (head.seq() == 0 ? " (the all-zero hash)" : "") + ": entries were removed, reordered or replaced");
    }
    if (!LedgerCanonical.isHashHex(row.hash())) {
      return fail(row.seq(), "stored hash is not 64 lowercase hex chars");
    }
    LedgerRecord record;
    try {
      record = toRecord(row);
    } catch (RuntimeException | java.io.IOException e) {
      return fail(row.seq(), "unreadable entry: " + e.getMessage());
    }
    String recomputed = LedgerCanonical.hash(row.prevHash(), row.seq(), row.timeMillis(), record);
    if (!recomputed.equals(row.hash())) {
      return fail(row.seq(), "hash mismatch: the entry's fields were changed after it was written");
    }
    if (record.kind() == LedgerRecord.Kind.OUTCOME && (record.refSeq() < 1 || record.refSeq() >= row.seq())) {
      return fail(row.seq(), "outcome refers to entry " + record.refSeq() + ", which does not precede it");
    }
    count++;
    head = new LedgerHead(row.seq(), row.hash());
    if (checkpoint != null && row.seq() == checkpoint.seq()) {
      hashAtCheckpoint = row.hash();
    }
    return true;
  }

  private boolean fail(long seq, String what) {
    problem = new Problem(seq, what);
    return false;
  }

  /** The verdict over every row accepted so far (and the checkpoint, if one was given). */
  public Report finish() {
    if (problem == null && checkpoint != null) {
      if (checkpoint.seq() == 0) {
        // The checkpoint of an empty ledger: any chain reaches it.
        if (!checkpoint.hash().equals(LedgerHead.ZERO_HASH)) {
          problem = new Problem(0, "checkpoint at seq 0 must carry the all-zero hash");
        }
      } else if (head.seq() < checkpoint.seq()) {
        problem = new Problem(head.seq() + 1, "the chain ends at entry " + head.seq() + " but the checkpoint is at entry "
            + checkpoint.seq() + ": the ledger was truncated (or replaced by a shorter one)");
      } else if (!checkpoint.hash().equals(hashAtCheckpoint)) {
        problem = new Problem(checkpoint.seq(), "hash differs from the checkpoint's: the chain was rewritten up to here");
      }
    }
    return new Report(count, head, Optional.ofNullable(problem));
  }

  private static LedgerRecord toRecord(StoredRow row) throws java.io.IOException {
    List<String> targets = row.targetsJson() == null ? null : JSON.readValue(row.targetsJson(), STRINGS);
    if (targets == null || targets.contains(null)) {
      throw new IllegalArgumentException("targets is not a JSON array of strings");
    }
    Integer status = null;
    if (row.status() != null) {
      status = Math.toIntExact(row.status());
    }
    return new LedgerRecord(LedgerRecord.Kind.fromWire(row.kind()), row.requestId(), row.traceId(), row.actor(),
        row.operation(), row.tool(), targets, row.decision(), row.rule(), row.risk(), row.refSeq(), row.result(),
        status, row.reason());
  }
}
