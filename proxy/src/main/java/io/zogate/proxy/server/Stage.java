package io.zogate.proxy.server;

import io.zogate.proxy.jsonrpc.RefusalException;
import java.io.IOException;

/**
 * One link of the request pipeline. A stage either refuses (returns {@link Outcome.Refused},
 * never throws a refusal through the chain) or passes the call on with {@code next.proceed}.
 * Only an {@link IOException} talking to the client may escape.
 */
@FunctionalInterface
public interface Stage {
  Outcome handle(ProxyCall call, Chain next) throws IOException;

  /** The rest of the pipeline after a stage. */
  interface Chain {
    Outcome proceed(ProxyCall call) throws IOException;
  }

  /** A stage that only checks: it throws its refusal or lets the call through unchanged. */
  @FunctionalInterface
  interface Check {
    void check(ProxyCall call) throws RefusalException, IOException;
  }

  static Stage of(Check check) {
    return (call, next) -> {
      try {
        check.check(call);
      } catch (RefusalException e) {
        return new Outcome.Refused(e.refusal());
      }
      return next.proceed(call);
    };
  }
}
