package io.zogate.proxy.testing;

import io.zogate.proxy.config.ConfigLoader;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.governance.Governor;
import io.zogate.proxy.server.Gateway;
import io.zogate.proxy.server.ProxyServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A real zo-gate on 127.0.0.1 in front of a given upstream URL, with a keyring written by the
 * test (not by production code): an active HMAC key for alice and the service prefix, an
 * active Ed25519 key for bob, a retired key and a key not yet valid.
 */
public final class ProxyFixture implements AutoCloseable {
  public static final String ALICE = "did:zo:agent:alice";
  public static final String BOB = "spiffe://zo/actor/bob";
  public static final String HMAC_KID = "k-hmac";
  public static final String ED_KID = "k-ed";
  public static final String RETIRED_KID = "k-retired";
  public static final String FUTURE_KID = "k-future";

  public final Path dir;
  public final int port;
  public final TestSigner hmac;
  public final TestSigner ed25519;
  public final TestSigner retired;
  public final TestSigner future;
  private ProxyServer server;
  private final String extraYaml;
  private final Optional<Governor> governor;
  private final String upstreamUrl;
  private final Map<String, String> env;

  public ProxyFixture(Path dir, String upstreamUrl, String extraYaml, Optional<Governor> governor,
      Map<String, String> env) throws Exception {
    this.dir = dir;
    this.upstreamUrl = upstreamUrl;
    this.extraYaml = extraYaml;
    this.governor = governor;
    this.env = env;
    this.port = freePort();
    SecureRandom random = new SecureRandom();
    byte[] s1 = new byte[32];
    byte[] s2 = new byte[32];
    byte[] s3 = new byte[32];
    random.nextBytes(s1);
    random.nextBytes(s2);
    random.nextBytes(s3);
    KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    byte[] spki = ed.getPublic().getEncoded();
    byte[] rawPublic = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
    Base64.Encoder b64 = Base64.getEncoder();
    String keyring = """
        { "keys": [
          { "kid": "%s", "alg": "HMAC-SHA256", "secret": "%s", "actors": ["%s", "did:zo:svc:*"],
            "status": "active", "notBefore": "2020-01-01T00:00:00Z", "notAfter": null },
          { "kid": "%s", "alg": "Ed25519", "publicKey": "%s", "actors": ["%s"], "status": "active" },
          { "kid": "%s", "alg": "HMAC-SHA256", "secret": "%s", "actors": ["%s"], "status": "retired" },
          { "kid": "%s", "alg": "HMAC-SHA256", "secret": "%s", "actors": ["%s"], "status": "active",
            "notBefore": "2999-01-01T00:00:00Z" } ] }
        """.formatted(HMAC_KID, b64.encodeToString(s1), ALICE, ED_KID, b64.encodeToString(rawPublic), BOB,
        RETIRED_KID, b64.encodeToString(s2), ALICE, FUTURE_KID, b64.encodeToString(s3), ALICE);
    Files.writeString(dir.resolve("keyring.json"), keyring, StandardCharsets.UTF_8);
    this.hmac = TestSigner.hmac(HMAC_KID, s1);
    this.ed25519 = TestSigner.ed25519(ED_KID, ed.getPrivate());
    this.retired = TestSigner.hmac(RETIRED_KID, s2);
    this.future = TestSigner.hmac(FUTURE_KID, s3);
    start();
  }

  public void start() throws Exception {
    String yaml = """
        listen: 127.0.0.1:%d
        upstream:
          url: %s
        auth:
          keyring: keyring.json
        """.formatted(port, upstreamUrl) + extraYaml;
    Path config = dir.resolve("zo-gate.yaml");
    Files.writeString(config, yaml);
    ProxyConfig cfg = ConfigLoader.load(config, env);
    server = Gateway.open(cfg, env, governor);
  }

  public void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  public String authority() {
    return "127.0.0.1:" + port;
  }

  public ProxyServer server() {
    return server;
  }

  /** Signs with the HMAC key as alice and sends a POST /mcp with the body. */
  public RawHttp.Response post(String body) throws IOException {
    return post(hmac, ALICE, body, Map.of());
  }

  public RawHttp.Response post(TestSigner signer, String actor, String body, Map<String, String> extra)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.put("Accept", "application/json, text/event-stream");
    h.putAll(signer.headers(actor, "POST", authority(), "/mcp", bytes));
    h.putAll(extra);
    return RawHttp.request(port, "POST", "/mcp", h, bytes);
  }

  @Override
  public void close() {
    stop();
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
