package io.zogate.proxy.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zogate.proxy.auth.ActorKey;
import io.zogate.proxy.auth.ActorSigner;
import io.zogate.proxy.auth.Keyring;
import io.zogate.proxy.auth.KeyringFile;
import io.zogate.proxy.config.ConfigLoader;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.governance.DenyListGovernor;
import io.zogate.proxy.server.Gateway;
import io.zogate.proxy.server.ProxyServer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code serve --demo}: zo-gate on 127.0.0.1 in front of the embedded demo upstream, with a
 * freshly generated HMAC key in a private temporary keyring, and a signed curl to paste.
 */
final class Demo implements AutoCloseable {
  static final String ACTOR = "did:zo:agent:demo";
  static final String KID = "demo";
  static final String DENIED_TOOL = "delete_everything";

  private final DemoUpstream upstream;
  private final ProxyServer server;
  private final Path keyring;
  private final ActorSigner signer;

  private Demo(DemoUpstream upstream, ProxyServer server, Path keyring, ActorSigner signer) {
    this.upstream = upstream;
    this.server = server;
    this.keyring = keyring;
    this.signer = signer;
  }

  static Demo start(int port) throws Exception {
    ProxyServer.applyJdkServerSettings(java.time.Duration.ofSeconds(30));
    DemoUpstream upstream = DemoUpstream.start();
    try {
      Path dir = Files.createTempDirectory("zo-gate-demo");
      dir.toFile().deleteOnExit();
      ActorKey key = ActorKey.generateHmac(KID, List.of(ACTOR));
      Path keyring = dir.resolve("keyring.json");
      KeyringFile.write(keyring, Keyring.of(List.of(key)));
      keyring.toFile().deleteOnExit();
      int listenPort = port == 0 ? freePort() : port;
      ObjectNode tree = JsonNodeFactory.instance.objectNode();
      tree.put("listen", "127.0.0.1:" + listenPort);
      tree.putObject("upstream").put("url", upstream.url());
      tree.putObject("auth").put("keyring", keyring.toString());
      ProxyConfig cfg = ConfigLoader.build(tree, Map.of(), dir);
      ProxyServer server = Gateway.open(cfg, Map.of(),
          Optional.of(new DenyListGovernor(Set.of(), Set.of(DENIED_TOOL))));
      ActorSigner signer = ActorSigner.hmac(KID, ACTOR, key.hmacSecret().orElseThrow());
      return new Demo(upstream, server, keyring, signer);
    } catch (Exception e) {
      upstream.close();
      throw e;
    }
  }

  ProxyServer server() {
    return server;
  }

  String authority() {
    return "127.0.0.1:" + server.address().getPort();
  }

  /** What to paste: a signed tools/list, valid once and for the next five minutes. */
  String instructions() {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
    Map<String, String> headers = signer.headers("POST", authority(), "/mcp", body.getBytes(StandardCharsets.UTF_8));
    StringBuilder curl = new StringBuilder("curl -sS http://" + authority() + "/mcp \\\n")
        .append("  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\\n");
    headers.forEach((k, v) -> curl.append("  -H '").append(k).append(": ").append(v).append("' \\\n"));
    curl.append("  --data-binary '").append(body).append("'\n");
    return "zo-gate demo listening on http://" + authority() + "/mcp (upstream: embedded demo MCP server)\n"
        + "actor " + ACTOR + ", key " + KID + " (HMAC-SHA256), keyring " + keyring + "\n"
        + "governance: everything allowed except the tool " + DENIED_TOOL + "\n\n"
        + "A signed request (valid once, for the next 5 minutes):\n\n" + curl
        + "\nSign your own (each signature is single-use):\n\n"
        + "  echo '{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}' > call.json\n"
        + "  java -jar proxy/target/zo-gate.jar sign --keyring " + keyring + " --kid " + KID + " --actor " + ACTOR
        + " --body call.json --url http://" + authority() + "/mcp\n\n"
        + "Ctrl-C stops the demo.";
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    server.close();
    upstream.close();
  }
}
