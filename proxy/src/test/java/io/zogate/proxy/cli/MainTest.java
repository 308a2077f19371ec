package io.zogate.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.auth.ActorKey;
import io.zogate.proxy.auth.Keyring;
import io.zogate.proxy.auth.KeyringFile;
import io.zogate.proxy.testing.RawHttp;
import io.zogate.proxy.testing.TestSigner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line: exit codes, one-line reasons, and what sign prints. */
class MainTest {
  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void usageErrorsExitTwoWithAOneLineReason() {
    assertThat(run().exit()).isEqualTo(2);
    assertThat(run("bogus").exit()).isEqualTo(2);
    Run serve = run("serve");
    assertThat(serve.exit()).isEqualTo(2);
    assertThat(serve.err()).contains("exactly one of --config FILE or --demo");
    Run both = run("serve", "--demo", "--config", "x.yaml");
    assertThat(both.exit()).isEqualTo(2);
  }

  @Test
  void badConfigurationStopsStartUpWithExitTwo() throws Exception {
    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, "upstream: { url: http://127.0.0.1:1/mcp }\nauth: { keyring: missing.json }\nbogus: 1\n");
    Run r = run("serve", "--config", cfg.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("unknown key bogus").doesNotContain("Exception");
    Files.writeString(cfg, "upstream: { url: http://127.0.0.1:1/mcp }\nauth: { keyring: missing.json }\n");
    Run missingKeyring = run("serve", "--config", cfg.toString());
    assertThat(missingKeyring.exit()).isEqualTo(2);
    assertThat(missingKeyring.err()).contains("auth.keyring");
    assertThat(missingKeyring.err().strip().lines().count()).isEqualTo(1);
  }

  @Test
  void signPrintsHeadersThatAnIndependentSignerAgreesWith() throws Exception {
    ActorKey key = ActorKey.generateHmac("k1", List.of("did:zo:agent:alice"));
    Path keyring = dir.resolve("keyring.json");
    KeyringFile.write(keyring, Keyring.of(List.of(key)));
    Path body = dir.resolve("body.json");
    byte[] bytes = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
    Files.write(body, bytes);
    Run r = run("sign", "--keyring", keyring.toString(), "--kid", "k1", "--actor", "did:zo:agent:alice",
        "--body", body.toString(), "--authority", "Gate.Example:8787");
    assertThat(r.exit()).isEqualTo(0);
    Map<String, String> h = new LinkedHashMap<>();
    r.out().lines().forEach(l -> h.put(l.substring(0, l.indexOf(':')), l.substring(l.indexOf(':') + 2)));
    assertThat(h.keySet()).containsExactly("x-actor-id", "x-actor-kid", "x-actor-ts", "x-actor-nonce", "x-actor-sig");
    TestSigner independent = TestSigner.hmac("k1", key.hmacSecret().orElseThrow().revealCopy());
    String expected = independent.sign(TestSigner.stringToSign("k1", "did:zo:agent:alice", h.get("x-actor-ts"),
        h.get("x-actor-nonce"), "POST", "gate.example:8787", "/mcp", bytes));
    assertThat(h.get("x-actor-sig")).isEqualTo(expected);
  }

  @Test
  void signRefusesAnUnknownKid() throws Exception {
    Path keyring = dir.resolve("keyring.json");
    KeyringFile.write(keyring, Keyring.of(List.of(ActorKey.generateHmac("k1", List.of("did:zo:agent:a")))));
    Run r = run("sign", "--keyring", keyring.toString(), "--kid", "nope", "--actor", "did:zo:agent:a");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("no key nope");
  }

  @Test
  void theDemoServesASignedRequestAndDeniesItsDeniedTool() throws Exception {
    try (Demo demo = Demo.start(0)) {
      String curl = demo.instructions();
      assertThat(curl).contains("curl -sS http://" + demo.authority() + "/mcp").contains("x-actor-sig: ");
      Map<String, String> h = new LinkedHashMap<>();
      curl.lines().filter(l -> l.contains("-H 'x-actor-")).forEach(l -> {
        String v = l.substring(l.indexOf("'") + 1, l.lastIndexOf("'"));
        h.put(v.substring(0, v.indexOf(':')), v.substring(v.indexOf(':') + 2));
      });
      h.put("Content-Type", "application/json");
      int port = demo.server().address().getPort();
      RawHttp.Response r = RawHttp.request(port, "POST", "/mcp", h,
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}".getBytes(StandardCharsets.UTF_8));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).contains("delete_everything");
      assertThat(Arrays.asList(curl.split("\n"))).anyMatch(l -> l.contains("zo-gate.jar sign"));
    }
  }
}
