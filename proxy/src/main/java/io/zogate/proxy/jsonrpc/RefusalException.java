package io.zogate.proxy.jsonrpc;

/**
 * Carries a {@link Refusal} out of code that cannot return one (a parser deep in recursion, a
 * stream reader). Stages catch it at their edge and return the refusal; it never crosses the
 * pipeline. No stack trace: it is control flow, not a bug.
 */
public final class RefusalException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient Refusal refusal;

  public RefusalException(Refusal refusal) {
    super(refusal.toString(), null, false, false);
    this.refusal = refusal;
  }

  public RefusalException(Reason reason) {
    this(Refusal.of(reason));
  }

  public RefusalException(Reason reason, String logDetail) {
    this(Refusal.of(reason, logDetail));
  }

  public Refusal refusal() {
    return refusal;
  }
}
