package io.zogate.proxy.server;

import io.zogate.proxy.traffic.RateLimiter;

/**
 * The two places the rate limiter sits in the pipeline: by client address before anything is
 * verified, and by key and verified actor after the signature, so nobody can spend another
 * actor's budget by naming it unsigned.
 */
final class RateLimitChecks {
  private RateLimitChecks() {}

  static Stage.Check perClient(RateLimiter limiter) {
    return call -> limiter.checkClient(call.request().remote().getAddress(), call.request().header("X-Forwarded-For"));
  }

  static Stage.Check perKeyAndActor(RateLimiter limiter) {
    return call -> limiter.checkKeyAndActor(call.actor().kid(), call.actor().actorId());
  }
}
