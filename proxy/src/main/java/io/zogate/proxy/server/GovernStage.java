package io.zogate.proxy.server;

import io.zogate.proxy.governance.Action;
import io.zogate.proxy.governance.Decision;
import io.zogate.proxy.governance.Governor;

/**
 * Asks governance about every authenticated message, whatever its method, and keeps the action
 * and the decision on the call. It refuses nothing itself: the decision is recorded in the
 * ledger first ({@link LedgerStages.RecordIntent}) and enforced after ({@link EnforceStage}),
 * so a denied call leaves its intent in the ledger too.
 */
final class GovernStage implements Stage.Check {
  private final Governor governor;

  GovernStage(Governor governor) {
    this.governor = governor;
  }

  @Override
  public void check(ProxyCall call) {
    Action action = McpActions.describe(call.actor().actorId(), call.request().method(), call.message());
    Decision d = governor.decide(action);
    call.governed(action, d);
  }
}
