package io.zogate.proxy.server;

import io.zogate.proxy.governance.Decision;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.Refusal;
import io.zogate.proxy.jsonrpc.RefusalException;

/**
 * Enforces the decision the govern stage took (and record-intent recorded): DENY is -32011,
 * ESCALATE -32010; which rule decided goes to the log only.
 */
final class EnforceStage implements Stage.Check {
  @Override
  public void check(ProxyCall call) throws RefusalException {
    Decision d = call.decision();
    if (d == null) {
      throw new IllegalStateException("enforce runs after govern");
    }
    switch (d.verdict()) {
      case ALLOW -> { }
      case ESCALATE -> throw new RefusalException(Refusal.of(Reason.ESCALATE, d.rule()));
      case DENY -> throw new RefusalException(Refusal.of(Reason.DENY, d.rule()));
      default -> throw new IllegalStateException("unknown verdict " + d.verdict());
    }
  }
}
