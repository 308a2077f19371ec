package io.zogate.proxy.fallback;

import io.zogate.proxy.governance.Action;
import io.zogate.proxy.governance.ActionKind;
import io.zogate.proxy.governance.Decision;
import io.zogate.proxy.governance.Governor;
import io.zogate.proxy.governance.Ledger;
import io.zogate.proxy.governance.LedgerEntry;
import io.zogate.proxy.governance.LedgerRecord;
import io.zogate.proxy.governance.LedgerUnavailableException;
import io.zogate.proxy.governance.Risk;
import java.util.List;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * Judges each observed change through governance and records it (CONTRACT.md section 7).
 *
 * <p>The action is {@code Action(watch.actor, WRITE, "file/create" | "file/modify" |
 * "file/delete", tool "", targets [path])}: all three are WRITE (a delete writes the
 * directory), and a policy tells them apart by {@code method}. The entry is {@code audit_pass}
 * when the policy allows and the path is under no privileged prefix, else {@code audit_fail}
 * with the reason: {@code privileged} (whatever the policy said; it wins over the policy's own
 * reason), {@code deny} or {@code escalate}. A directory that cannot be watched is an {@code
 * audit_fail} with reason {@code unwatchable}, decided without the policy.
 *
 * <p>A ledger that cannot be written is thrown to the caller: the watcher stops, loudly
 * (fail closed: an audit trail with silent holes is worse than a dead watcher that alerts).
 */
public final class FileAuditor implements TreeWatcher.Listener {
  private static final Logger LOG = Logger.getLogger(FileAuditor.class.getName());
  public static final String UNWATCHABLE_RULE = "unwatchable";

  private final WatchSettings settings;
  private final Governor governor;
  private final Ledger ledger;

  public FileAuditor(WatchSettings settings, Governor governor, Ledger ledger) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.governor = Objects.requireNonNull(governor, "governor");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
  }

  /** The governance action for a change. */
  public Action actionFor(FileChange change) {
    ActionKind kind = change.type() == FileChange.Type.UNWATCHABLE ? ActionKind.OTHER : ActionKind.WRITE;
    return new Action(settings.actor(), kind, change.type().operation(), "", List.of(change.path().toString()));
  }

  @Override
  public void changed(FileChange change) throws LedgerUnavailableException {
    Action action = actionFor(change);
    Decision decision;
    String reason;
    if (change.type() == FileChange.Type.UNWATCHABLE) {
      decision = Decision.of(Decision.Verdict.DENY, Risk.HIGH, UNWATCHABLE_RULE);
      reason = "unwatchable";
    } else {
      decision = governor.decide(action);
      if (settings.isPrivileged(change.path())) {
        reason = "privileged";
      } else if (decision.allowed()) {
        reason = null;
      } else {
        reason = decision.verdict() == Decision.Verdict.ESCALATE ? "escalate" : "deny";
      }
    }
    boolean pass = reason == null;
    LedgerEntry entry = ledger.appendAudit(LedgerRecord.audit(pass, null, action, decision, reason));
    String line = "watch: " + (pass ? "AUDIT_PASS" : "AUDIT_FAIL") + " " + action.operation() + " " + change.path()
        + (change.synthetic() ? " (inferred from a scan)" : "") + " actor=" + settings.actor()
        + " decision=" + decision.verdict() + " rule=" + decision.rule() + (pass ? "" : " reason=" + reason)
        + " seq=" + entry.seq();
    if (pass) {
      LOG.fine(line);
    } else {
      LOG.warning(line);
    }
  }
}
