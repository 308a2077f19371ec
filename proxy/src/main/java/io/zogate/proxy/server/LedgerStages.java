package io.zogate.proxy.server;

import io.zogate.proxy.governance.Ledger;
import io.zogate.proxy.governance.LedgerEntry;
import io.zogate.proxy.governance.LedgerRecord;
import io.zogate.proxy.governance.LedgerUnavailableException;
import io.zogate.proxy.governance.RequestIdReusedException;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.Refusal;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The pipeline's three ledger stages (CONTRACT.md section 7, docs/LEDGER.md). With no ledger
 * configured ({@link Ledger#none()}) each one only passes the call on.
 *
 * <ul>
 *   <li>{@link RecordRefusal}, right after the key and actor limits: a refusal from any later
 *       stage that left no intent (nonce reused, parse error, unknown session, request id
 *       reused) is recorded as a {@code refusal} entry. Refusals before it (authentication, and
 *       the rate limits, so that a flood cannot turn each refused request into a synchronous
 *       disk write) are in the log and metrics only.
 *   <li>{@link RecordIntent}, after govern: commits the intent with the decision, whatever it
 *       is; if that fails the call is refused with -32050 {@code ledger} and nothing is
 *       forwarded; a second intent with the same request id is 409 {@code request_id_reused}.
 *   <li>{@link RecordOutcome}, after record-intent and wrapping enforce and forward: records
 *       what became of the intent, so every intent is followed by exactly one outcome unless
 *       the process died in between.
 * </ul>
 */
final class LedgerStages {
  private static final Logger LOG = Logger.getLogger(LedgerStages.class.getName());

  /** Refusals after which the upstream has certainly not acted, or has said no itself. */
  private static final Set<Reason> REFUSED = EnumSet.of(Reason.DENY, Reason.ESCALATE, Reason.UPSTREAM_STATUS);

  private LedgerStages() {}

  static final class RecordRefusal implements Stage {
    private final Ledger ledger;

    RecordRefusal(Ledger ledger) {
      this.ledger = ledger;
    }

    @Override
    public Outcome handle(ProxyCall call, Chain next) throws IOException {
      Outcome outcome = next.proceed(call);
      if (!ledger.recording() || call.intent() != null) {
        return outcome;
      }
      String reason;
      if (outcome instanceof Outcome.Refused refused) {
        if (refused.refusal().reason() == Reason.LEDGER) {
          return outcome; // the ledger just failed; a second write would only wait again
        }
        reason = refused.refusal().reason().wire();
      } else if (outcome instanceof Outcome.Plain plain) {
        // After authentication only the session check answers plainly: 404, unknown session.
        reason = plain.status() == 404 ? "unknown_session" : "http_" + plain.status();
      } else {
        return outcome;
      }
      String operation = call.message() == null ? null : call.message().method();
      try {
        ledger.appendRefusal(LedgerRecord.refusal(call.requestId(), call.traceId(), call.actor().actorId(),
            operation, reason));
      } catch (LedgerUnavailableException e) {
        // The request is refused anyway; the answer stays the refusal it earned.
        LOG.log(Level.SEVERE, () -> call.traceId() + " ledger: refusal not recorded: " + e.getMessage());
      }
      return outcome;
    }
  }

  static final class RecordIntent implements Stage {
    private final Ledger ledger;

    RecordIntent(Ledger ledger) {
      this.ledger = ledger;
    }

    @Override
    public Outcome handle(ProxyCall call, Chain next) throws IOException {
      if (!ledger.recording()) {
        return next.proceed(call);
      }
      if (call.decision() == null || call.requestId() == null) {
        throw new IllegalStateException("record-intent runs after parse and govern");
      }
      try {
        LedgerEntry intent = ledger.appendIntent(
            LedgerRecord.intent(call.requestId(), call.traceId(), call.action(), call.decision()));
        call.intent(intent);
      } catch (LedgerUnavailableException e) {
        return new Outcome.Refused(Refusal.of(Reason.LEDGER, e.getMessage()));
      } catch (RequestIdReusedException e) {
        return new Outcome.Refused(Refusal.of(Reason.REQUEST_ID_REUSED, e.requestId()));
      }
      return next.proceed(call);
    }
  }

  static final class RecordOutcome implements Stage {
    private final Ledger ledger;

    RecordOutcome(Ledger ledger) {
      this.ledger = ledger;
    }

    @Override
    public Outcome handle(ProxyCall call, Chain next) throws IOException {
      LedgerEntry intent = call.intent();
      if (!ledger.recording() || intent == null) {
        return next.proceed(call);
      }
      Outcome outcome;
      try {
        outcome = next.proceed(call);
      } catch (IOException | RuntimeException e) {
        // The client went away or a stage failed: whether the upstream acted is not known here.
        record(call, intent, LedgerRecord.Result.OUTCOME_UNKNOWN, null,
            e instanceof IOException ? "client_connection_lost" : Reason.INTERNAL.wire());
        throw e;
      }
      if (outcome instanceof Outcome.Relayed relayed) {
        if (relayed.inStreamFailure() == null) {
          record(call, intent, LedgerRecord.Result.RELAYED, relayed.status(), null);
        } else {
          // The answer broke off: the upstream may have finished the action or not.
          record(call, intent, LedgerRecord.Result.OUTCOME_UNKNOWN, relayed.status(),
              relayed.inStreamFailure().reason().wire());
        }
      } else if (outcome instanceof Outcome.Refused refused) {
        Refusal r = refused.refusal();
        Integer status = r.data().get("upstreamStatus") instanceof Integer s ? s : null;
        // Conservative: unless the upstream certainly did not act (governance refused) or said
        // no itself (an error status), its effect is unknown (timeout, lost connection, an
        // answer that failed validation).
        LedgerRecord.Result result = REFUSED.contains(r.reason())
            ? LedgerRecord.Result.REFUSED
            : LedgerRecord.Result.OUTCOME_UNKNOWN;
        record(call, intent, result, status, r.reason().wire());
      } else if (outcome instanceof Outcome.Plain plain) {
        record(call, intent, LedgerRecord.Result.REFUSED, plain.status(), "http_" + plain.status());
      }
      return outcome;
    }

    private void record(ProxyCall call, LedgerEntry intent, LedgerRecord.Result result, Integer status, String reason) {
      try {
        ledger.appendOutcome(LedgerRecord.outcome(intent, call.traceId(), result, status, reason));
      } catch (LedgerUnavailableException e) {
        // The answer is already decided (often already sent); an intent without an outcome
        // reads as "unknown" to an auditor, which is what it is.
        LOG.log(Level.SEVERE, () -> call.traceId() + " ledger: outcome of entry " + intent.seq()
            + " not recorded: " + e.getMessage());
      }
    }
  }
}
