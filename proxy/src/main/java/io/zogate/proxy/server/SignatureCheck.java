package io.zogate.proxy.server;

import io.zogate.proxy.auth.ActorVerifier;
import io.zogate.proxy.jsonrpc.RefusalException;

/**
 * Steps 4 and 5 of the actor proof: the signature verifies over the exact body received, and
 * the key may speak for this actor. From here on the actor is verified.
 */
final class SignatureCheck implements Stage.Check {
  private final ActorVerifier verifier;

  SignatureCheck(ActorVerifier verifier) {
    this.verifier = verifier;
  }

  @Override
  public void check(ProxyCall call) throws RefusalException {
    call.actor(verifier.verify(call.key(), call.actorHeaders(), call.request().method(), call.authority(),
        call.request().target().toString(), call.bodySha256Hex()));
  }
}
