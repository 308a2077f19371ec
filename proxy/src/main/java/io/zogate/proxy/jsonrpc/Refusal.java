package io.zogate.proxy.jsonrpc;

import java.util.Map;
import java.util.Objects;

/**
 * Why a request was not served: a reason from the contract's error table, plus what the
 * caller may see beside it and what only the log may see.
 *
 * @param reason the stable reason (it fixes the code, message and HTTP status)
 * @param data extra members of {@code error.data} the contract allows for this reason (for
 *     example {@code upstreamStatus} or {@code retryAfterSeconds}); never secrets, never
 *     upstream bytes
 * @param logDetail detail for the operator's log only (which key was retired, which rule
 *     denied); never sent to the caller
 */
public record Refusal(Reason reason, Map<String, Object> data, String logDetail) {

  public Refusal {
    Objects.requireNonNull(reason, "reason");
    data = Map.copyOf(data);
    logDetail = logDetail == null ? "" : logDetail;
  }

  public static Refusal of(Reason reason) {
    return new Refusal(reason, Map.of(), "");
  }

  public static Refusal of(Reason reason, String logDetail) {
    return new Refusal(reason, Map.of(), logDetail);
  }

  public Refusal withData(String key, Object value) {
    var copy = new java.util.LinkedHashMap<>(data);
    copy.put(key, value);
    return new Refusal(reason, copy, logDetail);
  }

  public ErrorCode code() {
    return reason.code();
  }

  @Override
  public String toString() {
    return "Refusal[" + reason.code().code() + " " + reason.wire() + "]";
  }
}
