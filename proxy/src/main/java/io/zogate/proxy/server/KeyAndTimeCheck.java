package io.zogate.proxy.server;

import io.zogate.proxy.auth.ActorVerifier;
import io.zogate.proxy.jsonrpc.RefusalException;

/** Steps 2 and 3 of the actor proof: the kid is known and active, the timestamp is fresh. */
final class KeyAndTimeCheck implements Stage.Check {
  private final ActorVerifier verifier;

  KeyAndTimeCheck(ActorVerifier verifier) {
    this.verifier = verifier;
  }

  @Override
  public void check(ProxyCall call) throws RefusalException {
    call.key(verifier.checkKeyAndTime(call.actorHeaders()));
  }
}
