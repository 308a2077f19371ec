package io.zogate.proxy.server;

import io.zogate.proxy.governance.Decision;
import io.zogate.proxy.governance.Governor;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.Refusal;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.traffic.ProxyMetrics;

/**
 * Asks governance about every authenticated message, whatever its method: DENY is -32011,
 * ESCALATE -32010; which rule decided goes to the log only.
 */
final class GovernStage implements Stage.Check {
  private final Governor governor;
  private final ProxyMetrics metrics;

  GovernStage(Governor governor, ProxyMetrics metrics) {
    this.governor = governor;
    this.metrics = metrics;
  }

  @Override
  public void check(ProxyCall call) throws RefusalException {
    Decision d = governor.decide(McpActions.describe(call.actor().actorId(), call.request().method(), call.message()));
    metrics.governanceDecision(d.verdict());
    switch (d.verdict()) {
      case ALLOW -> { }
      case ESCALATE -> throw new RefusalException(Refusal.of(Reason.ESCALATE, d.rule()));
      case DENY -> throw new RefusalException(Refusal.of(Reason.DENY, d.rule()));
      default -> throw new IllegalStateException("unknown verdict " + d.verdict());
    }
  }
}
