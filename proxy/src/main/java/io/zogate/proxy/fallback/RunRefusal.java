package io.zogate.proxy.fallback;

import java.util.Objects;

/**
 * Why {@code run} did not execute a command: a stable reason (the HTTP contract's spelling where
 * one applies: {@code unknown_key}, {@code timestamp_skew}, {@code signature_invalid}, {@code
 * key_not_permitted_for_actor}, {@code nonce_reused}, {@code deny}, {@code escalate}; else
 * {@code missing_proof}, {@code malformed_proof}, {@code bad_context}, {@code request_id_reused},
 * {@code replay_store}, {@code ledger}), the exit status it ends with, and detail for the log.
 */
public final class RunRefusal extends Exception {
  private static final long serialVersionUID = 1L;

  private final String reason;
  private final int exitCode;

  public RunRefusal(String reason, int exitCode, String detail) {
    super(detail, null, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.exitCode = exitCode;
  }

  public String reason() {
    return reason;
  }

  public int exitCode() {
    return exitCode;
  }
}
