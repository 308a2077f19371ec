package io.zogate.proxy.server;

import static io.zogate.proxy.testing.ProxyFixture.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zogate.proxy.auth.ActorSigner;
import io.zogate.proxy.auth.KeyringFile;
import io.zogate.proxy.bridge.SigningBridge;
import io.zogate.proxy.governance.DenyListGovernor;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real MCP peers, all on 127.0.0.1: {@code @modelcontextprotocol/server-everything} (Streamable
 * HTTP) behind zo-gate, zo-gate behind the signing bridge, and the official TypeScript client
 * ({@code @modelcontextprotocol/sdk}, interop/client.mjs) in front. The client's transcript
 * through bridge + zo-gate must equal its transcript directly against server-everything, except
 * for the one tool the policy denies, which the client sees as -32011 while its session goes on.
 *
 * <p>Needs Node and {@code interop/node_modules} ({@code .ci/run} runs {@code npm ci} there);
 * without them this test fails, it does not skip.
 */
class RealMcpPeersTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String DENIED_TOOL = "get-env";
  static final String OTHER_ACTOR = "did:zo:svc:interop-other";

  @TempDir static Path dir;
  static Path interop;
  static NodePeers.Server everything;
  static ProxyFixture proxy;
  static SigningBridge bridge;
  static SigningBridge otherActorBridge;

  @BeforeAll
  static void startPeers() throws Exception {
    interop = NodePeers.interopDir();
    NodePeers.requireModules(interop, "@modelcontextprotocol/sdk", "@modelcontextprotocol/server-everything");
    String nodeVersion = run(List.of("node", "--version"), 20).strip();
    assertThat(nodeVersion).as("node on PATH").startsWith("v");

    int port = ProxyFixture.freePort();
    // interop/loopback.mjs keeps server-everything on loopback (Server.start checks /proc/net/tcp*).
    everything = NodePeers.Server.start(interop, dir.resolve("server-everything.log"),
        List.of("node", "--import", NodePeers.loopbackPreload(interop),
            interop.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js").toString(),
            "streamableHttp"),
        Map.of("PORT", Integer.toString(port)), port, Duration.ofSeconds(30));

    Path gateDir = Files.createDirectories(dir.resolve("gate"));
    proxy = new ProxyFixture(gateDir, everythingUrl(), "",
        Optional.of(new DenyListGovernor(Set.of(), Set.of(DENIED_TOOL))), Map.of());
    bridge = bridgeFor(ALICE);
    otherActorBridge = bridgeFor(OTHER_ACTOR);
  }

  @AfterAll
  static void stopPeers() throws Exception {
    if (bridge != null) {
      bridge.close();
    }
    if (otherActorBridge != null) {
      otherActorBridge.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (everything != null) {
      everything.close();
    }
  }

  static String everythingUrl() {
    return "http://127.0.0.1:" + everything.port + "/mcp";
  }

  static SigningBridge bridgeFor(String actor) throws Exception {
    ActorSigner signer = ActorSigner.hmac(ProxyFixture.HMAC_KID, actor, KeyringFile.load(proxy.dir.resolve("keyring.json"))
        .find(ProxyFixture.HMAC_KID).orElseThrow().hmacSecret().orElseThrow());
    return SigningBridge.start(new SigningBridge.Settings(signer, new InetSocketAddress("127.0.0.1", 0),
        URI.create("http://" + proxy.authority() + "/mcp"), Optional.empty()));
  }

  @Test
  void theSdkClientGetsTheSameAnswersThroughBridgeAndZoGateAsDirectly() throws Exception {
    Map<String, JsonNode> direct = steps(runClient(everythingUrl()));
    Map<String, JsonNode> gated = steps(runClient(bridge.url()));

    assertThat(gated.keySet()).containsExactlyElementsOf(direct.keySet());
    assertThat(direct.get("initialize").path("session").asBoolean()).isTrue();
    assertThat(direct.get("tools/list").path("ok")).extracting(JsonNode::size).isNotEqualTo(0);
    assertThat(direct.get("tools/list").path("ok").toString()).contains("\"echo\"", "\"get-sum\"",
        "\"trigger-long-running-operation\"", "\"" + DENIED_TOOL + "\"");
    assertThat(direct.get("trigger-long-running-operation").path("progress")).hasSize(3);
    assertThat(direct.get("terminate").path("ok").asText()).isEqualTo("terminated");
    assertThat(direct.get(DENIED_TOOL).path("ok").asText()).isEqualTo("returned");

    for (String name : direct.keySet()) {
      if (!name.equals(DENIED_TOOL)) {
        assertThat(gated.get(name)).as(name).isEqualTo(direct.get(name));
      }
    }
    // The denied tool: the documented governance error, and the session goes on (the steps after it match).
    JsonNode denied = gated.get(DENIED_TOOL).path("error");
    assertThat(denied.path("code").asInt()).isEqualTo(-32011);
    assertThat(denied.path("reason").asText()).isEqualTo("deny");
    assertThat(gated.get("echo-after-get-env").path("ok").toString()).contains("Echo: still here");
  }

  @Test
  void aSessionOpenedByOneActorIsRefusedToAnother() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> init = post(http, bridge, null,
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
            + "\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
    assertThat(init.statusCode()).isEqualTo(200);
    assertThat(init.body()).contains("\"serverInfo\"");
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    assertThat(post(http, bridge, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")
        .statusCode()).isEqualTo(202);

    String toolsList = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}";
    HttpResponse<String> stolen = post(http, otherActorBridge, session, toolsList);
    assertThat(stolen.statusCode()).isEqualTo(404);
    assertThat(stolen.body()).doesNotContain("\"tools\"");

    HttpResponse<String> own = post(http, bridge, session, toolsList);
    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(own.body()).contains("\"trigger-long-running-operation\"");

    HttpResponse<String> deletedByOther = http.send(HttpRequest.newBuilder(URI.create(otherActorBridge.url()))
        .timeout(Duration.ofSeconds(20)).header("Mcp-Session-Id", session).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(deletedByOther.statusCode()).isEqualTo(404);
    HttpResponse<String> deleted = http.send(HttpRequest.newBuilder(URI.create(bridge.url()))
        .timeout(Duration.ofSeconds(20)).header("Mcp-Session-Id", session).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(post(http, bridge, session, toolsList).statusCode()).isEqualTo(404);
  }

  static HttpResponse<String> post(HttpClient http, SigningBridge via, String session, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(via.url())).timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2025-06-18")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      b.header("Mcp-Session-Id", session);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The client's steps by name, each without its name. */
  static Map<String, JsonNode> steps(JsonNode transcript) {
    Map<String, JsonNode> byName = new java.util.LinkedHashMap<>();
    for (JsonNode step : transcript.path("steps")) {
      ObjectNode copy = step.deepCopy();
      copy.remove("name");
      byName.put(step.path("name").asText(), copy);
    }
    return byName;
  }

  static JsonNode runClient(String url) throws Exception {
    String out = run(List.of("node", "--import", NodePeers.loopbackPreload(interop), interop.resolve("client.mjs").toString(),
        url), 90);
    String last = out.strip().lines().reduce((a, b) -> b).orElse("");
    try {
      return JSON.readTree(last);
    } catch (IOException e) {
      throw new AssertionError("the MCP client did not print a transcript:\n" + out, e);
    }
  }

  /** Runs a command in interop/, bounded; its output (stdout and stderr) when it exits 0. */
  static String run(List<String> command, int timeoutSeconds) throws Exception {
    return NodePeers.run(interop, dir, command, Map.of(), timeoutSeconds);
  }
}
