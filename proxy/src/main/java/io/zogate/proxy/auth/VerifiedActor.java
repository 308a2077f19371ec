package io.zogate.proxy.auth;

import java.util.Objects;

/**
 * A request's actor after the proof verified (steps 2-5 of CONTRACT.md section 1). Only
 * {@link ActorVerifier} makes these from the wire, so holding one means the checks passed.
 */
public record VerifiedActor(String actorId, String kid, long tsMillis, String tsText, String nonce) {
  public VerifiedActor {
    Objects.requireNonNull(actorId, "actorId");
    Objects.requireNonNull(kid, "kid");
    Objects.requireNonNull(tsText, "tsText");
    Objects.requireNonNull(nonce, "nonce");
  }
}
