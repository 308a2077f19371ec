package io.zogate.proxy.jsonrpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonRpcMessageTest {
  static JsonNode json(String s) throws RefusalException {
    return new StrictJsonReader(64).read(s.getBytes(StandardCharsets.UTF_8));
  }

  static Reason clientReason(String s) throws RefusalException {
    try {
      JsonRpcMessage.fromClient(json(s));
      return null;
    } catch (RefusalException e) {
      return e.refusal().reason();
    }
  }

  static Reason upstreamReason(String s) throws RefusalException {
    try {
      JsonRpcMessage.fromUpstream(json(s));
      return null;
    } catch (RefusalException e) {
      return e.refusal().reason();
    }
  }

  @Test
  void requestsNotificationsAndResponses() throws Exception {
    JsonRpcMessage r = JsonRpcMessage.fromClient(json("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"m\",\"params\":[]}"));
    assertThat(r.kind()).isEqualTo(JsonRpcMessage.Kind.REQUEST);
    assertThat(r.id()).isEqualTo(JsonRpcId.of("a"));
    JsonRpcMessage n = JsonRpcMessage.fromClient(json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}"));
    assertThat(n.kind()).isEqualTo(JsonRpcMessage.Kind.NOTIFICATION);
    assertThat(n.id()).isNull();
    assertThat(n.params()).isNull();
    JsonRpcMessage resp = JsonRpcMessage.fromUpstream(json("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}"));
    assertThat(resp.answers(JsonRpcId.of(3))).isTrue();
    assertThat(resp.answers(JsonRpcId.of("3"))).isFalse();
  }

  @Test
  void clientShapesRefused() throws Exception {
    assertThat(clientReason("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}]")).isEqualTo(Reason.BATCH_UNSUPPORTED);
    assertThat(clientReason("[]")).isEqualTo(Reason.BATCH_UNSUPPORTED);
    assertThat(clientReason("\"x\"")).isEqualTo(Reason.NOT_JSONRPC);
    assertThat(clientReason("{\"id\":1,\"method\":\"m\"}")).isEqualTo(Reason.NOT_JSONRPC);
    assertThat(clientReason("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"m\"}")).isEqualTo(Reason.NOT_JSONRPC);
    assertThat(clientReason("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}")).isEqualTo(Reason.NOT_JSONRPC);
    assertThat(clientReason("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}")).isEqualTo(Reason.NOT_JSONRPC);
    assertThat(clientReason("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"error\":{}}")).isEqualTo(Reason.NOT_JSONRPC);
    assertThat(clientReason("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":3}")).isEqualTo(Reason.NOT_JSONRPC);
    assertThat(clientReason("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"extra\":3}")).isEqualTo(Reason.NOT_JSONRPC);
    assertThat(clientReason("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{\"code\":1,\"message\":\"x\"}}"))
        .isEqualTo(Reason.NOT_JSONRPC);
    assertThat(clientReason("{\"jsonrpc\":\"2.0\",\"id\":1}")).isEqualTo(Reason.NOT_JSONRPC);
  }

  @Test
  void badIds() throws Exception {
    for (String id : new String[] {"null", "true", "1.5", "1.0", "1e2", "{}", "[]", "9007199254740992.5"}) {
      assertThat(clientReason("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"m\"}")).as(id).isEqualTo(Reason.BAD_ID);
    }
    assertThat(clientReason("{\"jsonrpc\":\"2.0\",\"id\":9007199254740992,\"method\":\"m\"}")).isNull();
    assertThat(clientReason("{\"jsonrpc\":\"2.0\",\"id\":-5,\"method\":\"m\"}")).isNull();
    assertThat(clientReason("{\"jsonrpc\":\"2.0\",\"id\":\"\",\"method\":\"m\"}")).isNull();
  }

  @Test
  void upstreamFailuresAreAllUpstreamNotJsonRpc() throws Exception {
    assertThat(upstreamReason("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}]")).isEqualTo(Reason.UPSTREAM_NOT_JSONRPC);
    assertThat(upstreamReason("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{\"code\":1,\"message\":\"m\"}}"))
        .isEqualTo(Reason.UPSTREAM_NOT_JSONRPC);
    assertThat(upstreamReason("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"result\":{}}")).isEqualTo(Reason.UPSTREAM_NOT_JSONRPC);
    assertThat(upstreamReason("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\",\"message\":\"m\"}}"))
        .isEqualTo(Reason.UPSTREAM_NOT_JSONRPC);
    JsonRpcMessage nullId = JsonRpcMessage.fromUpstream(
        json("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}"));
    assertThat(nullId.isResponse()).isTrue();
    assertThat(nullId.answers(JsonRpcId.of(1))).isFalse();
  }

  @Test
  void idsCompareByTypeAndValue() throws Exception {
    assertThat(JsonRpcId.of(1)).isNotEqualTo(JsonRpcId.of("1"));
    assertThat(JsonRpcId.of(1)).isEqualTo(JsonRpcId.from(json("1")));
    assertThat(JsonRpcId.of("1").canonicalJson()).isEqualTo("\"1\"");
    assertThat(JsonRpcId.of(-42).canonicalJson()).isEqualTo("-42");
    assertThat(JsonRpcId.of("\u00e9\n").canonicalJson()).isEqualTo("\"\u00e9\\n\"");
  }
}
