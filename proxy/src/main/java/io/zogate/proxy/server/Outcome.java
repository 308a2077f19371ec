package io.zogate.proxy.server;

import io.zogate.proxy.jsonrpc.Refusal;
import java.util.Map;

/** How the pipeline ended for one exchange. */
public sealed interface Outcome {

  /** Refused; nothing written yet. The handler renders the error in one place. */
  record Refused(Refusal refusal) implements Outcome {}

  /** A plain HTTP answer without a body: 405 for a method, 404 for an unknown session. */
  record Plain(int status, Map<String, String> headers) implements Outcome {
    public Plain {
      headers = Map.copyOf(headers);
    }
  }

  /**
   * The forwarder wrote the answer. {@code inStreamFailure} is the refusal already sent as an
   * event when an event stream failed part way, else null.
   */
  record Relayed(int status, Refusal inStreamFailure) implements Outcome {}
}
