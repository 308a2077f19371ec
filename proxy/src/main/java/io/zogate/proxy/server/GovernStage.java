package io.zogate.proxy.server;

import io.zogate.proxy.governance.Action;
import io.zogate.proxy.governance.Decision;
import io.zogate.proxy.governance.Governor;
import io.zogate.proxy.traffic.ProxyMetrics;

/**
 * Asks governance about every authenticated message, whatever its method, and keeps the action
 * and the decision on the call. It refuses nothing itself: the decision is recorded in the
 * ledger first ({@link LedgerStages.RecordIntent}) and enforced after ({@link EnforceStage}),
 * so a denied call leaves its intent in the ledger too.
 */
final class GovernStage implements Stage.Check {
  private final Governor governor;
  private final ProxyMetrics metrics;

  GovernStage(Governor governor, ProxyMetrics metrics) {
    this.governor = governor;
    this.metrics = metrics;
  }

  @Override
  public void check(ProxyCall call) {
    Action action = McpActions.describe(call.actor().actorId(), call.request().method(), call.message());
    Decision d = governor.decide(action);
    metrics.governanceDecision(d.verdict());
    call.governed(action, d);
  }
}
