package io.zogate.proxy.upstream;

import io.zogate.proxy.jsonrpc.Refusal;
import java.util.Objects;

/** What {@link Forwarder#forward} did. */
public sealed interface ForwardResult {

  /** Nothing was written to the client; the caller renders the refusal. */
  record Refused(Refusal refusal) implements ForwardResult {
    public Refused {
      Objects.requireNonNull(refusal, "refusal");
    }
  }

  /**
   * The forwarder wrote the answer.
   *
   * @param status the HTTP status written to the client
   * @param upstreamSessionId the validated {@code Mcp-Session-Id} the upstream returned, or null
   *     (the server records it for the actor)
   * @param inStreamFailure a refusal already sent to the client as an error event on the event
   *     stream, or null when the answer completed normally
   */
  record Relayed(int status, String upstreamSessionId, Refusal inStreamFailure)
      implements ForwardResult {
    public Relayed {
      if (status < 200 || status > 599) {
        throw new IllegalArgumentException("status out of range: " + status);
      }
    }
  }
}
