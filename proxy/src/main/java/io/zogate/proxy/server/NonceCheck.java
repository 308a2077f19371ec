package io.zogate.proxy.server;

import io.zogate.proxy.auth.ReplayStore;
import io.zogate.proxy.auth.VerifiedActor;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.Refusal;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.time.Duration;

/**
 * Step 8 of the actor proof, last so that refused requests burn no nonce: (actor, nonce) is
 * claimed atomically and kept until {@code ts + maxSkew + 60 s}. A store that cannot answer
 * refuses the request (fail closed).
 */
final class NonceCheck implements Stage.Check {
  private static final long GRACE_MILLIS = 60_000;
  private final ReplayStore store;
  private final long keepMillis;

  NonceCheck(ReplayStore store, Duration maxSkew) {
    this.store = store;
    this.keepMillis = maxSkew.toMillis() + GRACE_MILLIS;
  }

  @Override
  public void check(ProxyCall call) throws RefusalException {
    VerifiedActor actor = call.actor();
    try {
      store.claim(actor.actorId(), actor.nonce(), actor.tsMillis() + keepMillis);
    } catch (StoreUnavailableException e) {
      throw new RefusalException(Refusal.of(Reason.REPLAY_STORE, e.getMessage()));
    }
  }
}
