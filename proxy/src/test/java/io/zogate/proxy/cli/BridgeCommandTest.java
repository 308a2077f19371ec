package io.zogate.proxy.cli;

import static io.zogate.proxy.testing.ProxyFixture.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.bridge.SigningBridge;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code zo-gate bridge}: what it refuses at start (exit 2), and a bridge built from its flags. */
class BridgeCommandTest {
  @TempDir Path dir;
  ProxyFixture proxy;

  @BeforeEach
  void start() throws Exception {
    // Upstream unreachable: these tests only need the proxy's keyring and authority.
    proxy = new ProxyFixture(dir, "http://127.0.0.1:" + ProxyFixture.freePort() + "/mcp", "", Optional.empty(), Map.of());
  }

  @AfterEach
  void stop() {
    proxy.close();
  }

  @Test
  void theCommandRefusesANonLoopbackListenAddressAndBadKeys() throws Exception {
    Path keyring = dir.resolve("keyring.json");
    String to = "http://" + proxy.authority() + "/mcp";
    assertThat(cli("bridge", "--keyring", keyring.toString(), "--kid", ProxyFixture.HMAC_KID, "--actor", ALICE,
        "--listen", "0.0.0.0:0", "--to", to)).startsWith("2 ").contains("not a loopback address");
    assertThat(cli("bridge", "--keyring", keyring.toString(), "--kid", ProxyFixture.HMAC_KID, "--actor", ALICE,
        "--listen", "[::]:0", "--to", to)).startsWith("2 ").contains("not a loopback address");
    assertThat(cli("bridge", "--keyring", keyring.toString(), "--kid", "nope", "--actor", ALICE,
        "--listen", "127.0.0.1:0", "--to", to)).startsWith("2 ");
    assertThat(cli("bridge", "--keyring", keyring.toString(), "--kid", ProxyFixture.RETIRED_KID, "--actor", ALICE,
        "--listen", "127.0.0.1:0", "--to", to)).startsWith("2 ").contains("retired");
    assertThat(cli("bridge", "--keyring", keyring.toString(), "--kid", ProxyFixture.HMAC_KID,
        "--actor", "did:zo:agent:mallory", "--listen", "127.0.0.1:0", "--to", to)).startsWith("2 ").contains("may not sign");
    assertThat(cli("bridge", "--keyring", keyring.toString(), "--kid", ProxyFixture.HMAC_KID, "--actor", ALICE,
        "--listen", "127.0.0.1:0", "--to", "ftp://127.0.0.1/mcp")).startsWith("2 ");
    Path emptyToken = Files.writeString(dir.resolve("token"), "\n");
    assertThat(cli("bridge", "--keyring", keyring.toString(), "--kid", ProxyFixture.HMAC_KID, "--actor", ALICE,
        "--listen", "127.0.0.1:0", "--to", to, "--token-file", emptyToken.toString())).startsWith("2 ");
    assertThat(cli("bridge", "--keyring", keyring.toString(), "--kid", ProxyFixture.ED_KID, "--actor", ProxyFixture.BOB,
        "--listen", "127.0.0.1:0", "--to", to)).startsWith("2 ").contains("--private-key");
  }

  @Test
  void theFlagsMakeABridgeThatSignsAsTheActorAndAsksForTheToken() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "tok-123\n");
    BridgeCommand cmd = new BridgeCommand();
    new CommandLine(cmd).parseArgs("--keyring", dir.resolve("keyring.json").toString(), "--kid", ProxyFixture.HMAC_KID,
        "--actor", ALICE, "--listen", "127.0.0.1:0", "--to", "http://" + proxy.authority() + "/mcp",
        "--token-file", token.toString());
    try (SigningBridge bridge = cmd.open()) {
      assertThat(bridge.url()).isEqualTo("http://127.0.0.1:" + bridge.port() + "/mcp");
      byte[] body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
      assertThat(RawHttp.request(bridge.port(), "POST", "/mcp", Map.of("Content-Type", "application/json"), body)
          .status()).isEqualTo(401);
      // Signed, authenticated and governed by the proxy; the unreachable upstream proves it got that far.
      RawHttp.Response r = RawHttp.request(bridge.port(), "POST", "/mcp",
          Map.of("Content-Type", "application/json", "Authorization", "Bearer tok-123"), body);
      assertThat(r.outcome()).isEqualTo("200 -32023 upstream_unreachable");
    }
  }

  /** Runs the CLI and returns "exit-code stderr". */
  static String cli(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(new StringWriter()));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return exit + " " + err;
  }
}
