package io.zogate.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.zogate.proxy.jsonrpc.JsonRpcId;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.Refusal;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Small builders shared by the upstream tests. */
final class Fixtures {
  static final String ACTOR = "did:zo:agent:alice";

  private Fixtures() {}

  static JsonRpcId id(long value) {
    try {
      return JsonRpcId.from(LongNode.valueOf(value));
    } catch (RefusalException e) {
      throw new AssertionError(e);
    }
  }

  static JsonRpcId id(String value) {
    try {
      return JsonRpcId.from(TextNode.valueOf(value));
    } catch (RefusalException e) {
      throw new AssertionError(e);
    }
  }

  /** Short limits, so failing limits are seen in well under a second. */
  static UpstreamSettings fastSettings(URI url) {
    return UpstreamSettings.defaults(url)
        .withTimeouts(Duration.ofMillis(500), Duration.ofMillis(300), Duration.ofSeconds(5));
  }

  static Map<String, List<String>> mcpHeaders() {
    return Map.of(
        "Content-Type", List.of("application/json"),
        "Accept", List.of("application/json, text/event-stream"));
  }

  static UpstreamRequest call(long id, boolean readOnly) {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/list\"}";
    return new UpstreamRequest(
        "POST", body.getBytes(StandardCharsets.UTF_8), mcpHeaders(), ACTOR, id(id), readOnly);
  }

  static UpstreamRequest call(long id) {
    return call(id, false);
  }

  static UpstreamRequest notification(Map<String, List<String>> headers) {
    String body = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    return new UpstreamRequest(
        "POST", body.getBytes(StandardCharsets.UTF_8), headers, ACTOR, null, false);
  }

  static Refusal refusalOf(ForwardResult result) {
    assertThat(result).isInstanceOf(ForwardResult.Refused.class);
    return ((ForwardResult.Refused) result).refusal();
  }

  static void assertRefused(ForwardResult result, Reason reason) {
    assertThat(refusalOf(result).reason()).isEqualTo(reason);
  }

  static Refusal inStreamFailureOf(ForwardResult result) {
    assertThat(result).isInstanceOf(ForwardResult.Relayed.class);
    return ((ForwardResult.Relayed) result).inStreamFailure();
  }
}
