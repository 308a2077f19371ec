package io.zogate.proxy.server;

import static io.zogate.proxy.testing.ProxyFixture.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zogate.proxy.auth.ActorSigner;
import io.zogate.proxy.auth.KeyringFile;
import io.zogate.proxy.bridge.SigningBridge;
import io.zogate.proxy.testing.NodePeers;
import io.zogate.proxy.testing.ProxyFixture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session that expires upstream, with real peers on 127.0.0.1: interop/expiring-server.mjs (the
 * official SDK's McpServer behind StreamableHTTPServerTransport, answering 404 for a session it no
 * longer has, as the MCP transport says) behind zo-gate, and the official SDK client
 * (interop/session-client.mjs) through the signing bridge. CONTRACT section 3: an upstream 404 on a
 * request that carries {@code Mcp-Session-Id} is passed through as 404, so the client starts a new
 * session; zo-gate forgets its binding, so the old id is then an unknown session that zo-gate
 * answers itself (404) without asking upstream.
 *
 * <p>Needs Node and {@code interop/node_modules}; without them this test fails, it does not skip.
 */
class SessionExpiryTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOOLS_LIST = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}";

  @TempDir static Path dir;
  static Path interop;
  static NodePeers.Server upstream;
  static ProxyFixture proxy;
  static SigningBridge bridge;
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void startPeers() throws Exception {
    interop = NodePeers.interopDir();
    NodePeers.requireModules(interop, "@modelcontextprotocol/sdk", "zod");
    int port = ProxyFixture.freePort();
    upstream = NodePeers.Server.start(interop, dir.resolve("expiring-server.log"),
        List.of("node", "--import", NodePeers.loopbackPreload(interop), interop.resolve("expiring-server.mjs").toString(),
            Integer.toString(port)),
        Map.of(), port, Duration.ofSeconds(30));

    Path gateDir = Files.createDirectories(dir.resolve("gate"));
    Files.writeString(gateDir.resolve("policy.yaml"), "default: allow\n");
    proxy = new ProxyFixture(gateDir, upstreamUrl("/mcp"), "policy: policy.yaml\n", Optional.empty(), Map.of());
    ActorSigner signer = ActorSigner.hmac(ProxyFixture.HMAC_KID, ALICE, KeyringFile.load(gateDir.resolve("keyring.json"))
        .find(ProxyFixture.HMAC_KID).orElseThrow().hmacSecret().orElseThrow());
    bridge = SigningBridge.start(new SigningBridge.Settings(signer, new InetSocketAddress("127.0.0.1", 0),
        URI.create("http://" + proxy.authority() + "/mcp"), Optional.empty()));
  }

  @AfterAll
  static void stopPeers() throws Exception {
    if (bridge != null) {
      bridge.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  static String upstreamUrl(String path) {
    return "http://127.0.0.1:" + upstream.port + path;
  }

  @Test
  void theSdkClientStartsANewSessionWhenItsSessionExpiresUpstream() throws Exception {
    JsonNode directRun = runClient(upstreamUrl("/mcp"));
    JsonNode gatedRun = runClient(bridge.url());
    Map<String, JsonNode> direct = steps(directRun);
    Map<String, JsonNode> gated = steps(gatedRun);

    // Directly: the upstream's own 404, with the SDK's JSON-RPC body ("Session not found").
    assertThat(direct.get("echo").path("ok").toString()).contains("Echo: before expiry");
    assertThat(direct.get("expire-upstream").path("ok").asInt()).isEqualTo(1);
    assertThat(direct.get("echo-after-expiry").path("httpError").path("status").asInt()).isEqualTo(404);
    assertThat(direct.get("echo-after-expiry").path("httpError").path("sessionNotFound").asBoolean()).isTrue();
    assertThat(direct.get("reinitialize").path("newSessionDiffers").asBoolean()).isTrue();
    assertThat(direct.get("echo-in-new-session").path("ok").toString()).contains("Echo: after a new session");
    assertThat(direct.get("terminate").path("ok").asText()).isEqualTo("terminated");

    // Through bridge + zo-gate: the same steps and answers. The one difference is the 404's body:
    // zo-gate passes the status through as a plain 404 and never relays an upstream body
    // (CONTRACT sections 3 and 4), so the client sees 404 without the SDK's message.
    assertThat(gated.keySet()).containsExactlyElementsOf(direct.keySet());
    for (String name : direct.keySet()) {
      if (!name.equals("echo-after-expiry")) {
        assertThat(gated.get(name)).as(name).isEqualTo(direct.get(name));
      }
    }
    assertThat(gated.get("echo-after-expiry").path("httpError").path("status").asInt()).isEqualTo(404);
    assertThat(gated.get("echo-after-expiry").path("httpError").path("sessionNotFound").asBoolean()).isFalse();

    // Afterwards the old session is unknown to zo-gate itself: its own plain 404, for POST and
    // DELETE alike, and upstream is not asked (its request log does not grow).
    String old = gatedRun.path("oldSession").asText();
    assertThat(old).isNotEmpty().isNotEqualTo(directRun.path("oldSession").asText());
    List<JsonNode> before = upstreamRequests(old);
    assertThat(before).as("what upstream saw of the expired session").isNotEmpty();
    assertThat(before.get(before.size() - 1).path("rpc").asText()).as("the request upstream answered 404")
        .isEqualTo("tools/call");
    HttpResponse<String> post = send(post(old, TOOLS_LIST));
    assertThat(post.statusCode()).isEqualTo(404);
    assertThat(post.body()).isEmpty();
    HttpResponse<String> delete = send(request(old).DELETE());
    assertThat(delete.statusCode()).isEqualTo(404);
    assertThat(delete.body()).isEmpty();
    assertThat(upstreamRequests(old)).as("upstream was not asked about the forgotten session").isEqualTo(before);
  }

  @Test
  void anExpiredSessionIsA404WithoutBodyThroughZoGateAndThenUnknownToZoGate() throws Exception {
    HttpResponse<String> init = send(post(null,
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
            + "\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}"));
    assertThat(init.statusCode()).isEqualTo(200);
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    assertThat(send(post(session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")).statusCode())
        .isEqualTo(202);
    HttpResponse<String> live = send(post(session, TOOLS_LIST));
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(live.body()).contains("\"echo\"");

    HttpResponse<String> expire = HTTP.send(HttpRequest.newBuilder(URI.create(upstreamUrl("/admin/expire")))
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(expire.statusCode()).isEqualTo(200);

    // A notification first: upstream's 404 is passed through for it too, and the binding is dropped.
    int seen = upstreamRequests(session).size();
    HttpResponse<String> gone = send(post(session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/roots/list_changed\"}"));
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(gone.body()).as("no upstream body, no JSON-RPC error: the MCP transport's plain 404").isEmpty();
    assertThat(upstreamRequests(session)).hasSize(seen + 1);
    HttpResponse<String> again = send(post(session, TOOLS_LIST));
    assertThat(again.statusCode()).isEqualTo(404);
    assertThat(again.body()).isEmpty();
    assertThat(upstreamRequests(session)).as("zo-gate answered the forgotten session itself").hasSize(seen + 1);
  }

  /** What reached the upstream's /mcp with this session id, in order. */
  static List<JsonNode> upstreamRequests(String session) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(upstreamUrl("/admin/requests")))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode n : JSON.readTree(r.body())) {
      if (session.equals(n.path("session").asText(null))) {
        out.add(n);
      }
    }
    return out;
  }

  static HttpRequest.Builder request(String session) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(bridge.url())).timeout(Duration.ofSeconds(20))
        .header("MCP-Protocol-Version", "2025-06-18");
    if (session != null) {
      b.header("Mcp-Session-Id", session);
    }
    return b;
  }

  static HttpRequest.Builder post(String session, String body) {
    return request(session).header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static Map<String, JsonNode> steps(JsonNode transcript) {
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    for (JsonNode step : transcript.path("steps")) {
      ObjectNode copy = step.deepCopy();
      copy.remove("name");
      byName.put(step.path("name").asText(), copy);
    }
    return byName;
  }

  static JsonNode runClient(String url) throws Exception {
    String out = NodePeers.run(interop, dir, List.of("node", "--import", NodePeers.loopbackPreload(interop),
        interop.resolve("session-client.mjs").toString(), url, upstreamUrl("/admin/expire")), Map.of(), 60);
    String last = out.strip().lines().reduce((a, b) -> b).orElse("");
    try {
      return JSON.readTree(last);
    } catch (IOException e) {
      throw new AssertionError("the MCP client did not print a transcript:\n" + out, e);
    }
  }
}
