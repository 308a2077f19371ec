package io.zogate.adversarial.harness;

import io.zogate.proxy.config.ConfigLoader;
import io.zogate.proxy.config.ProxyConfig;
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
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The real zo-gate on 127.0.0.1, assembled from the same public parts as {@code Gateway.open}
 * but with a {@link MutableClock}, so timestamp boundaries are exact. The keyring is written
 * here, not by production code. Signers by name:
 *
 * <ul>
 *   <li>{@code alice}: HMAC {@code k-hmac} for did:zo:agent:alice and did:zo:svc:*
 *   <li>{@code alice2}: a second HMAC key {@code k-hmac2} for alice (replay across kids)
 *   <li>{@code bob}: Ed25519 {@code k-ed} for spiffe://zo/actor/bob
 *   <li>{@code retired}, {@code future}, {@code expired}: HMAC keys for alice that are not active
 *   <li>{@code stranger}: an HMAC key the proxy does not know ({@code k-nobody})
 * </ul>
 *
 * <p>Several instances built from one {@link Keys} with one shared authority stand for zo-gate
 * on several hosts behind a load balancer; an instance may run with its clock skewed for good.
 */
public final class Gate implements AutoCloseable {
  public static final String ALICE = "did:zo:agent:alice";
  public static final String BOB = "spiffe://zo/actor/bob";

  public final Path dir;
  public final int port;
  public final MutableClock clock = new MutableClock();
  private final Map<String, Signer> signers = new LinkedHashMap<>();
  private final Map<String, String> actors = new LinkedHashMap<>();
  private final String upstreamUrl;
  private final String extraYaml;
  private final Map<String, String> env;
  private final long startOffsetMillis;
  private final String sharedAuthority;
  private final long clockSkewMillis;
  private ProxyServer server;

  /**
   * The keyring's secrets, generated once. Instances built from the same {@code Keys} accept the
   * same signatures (several zo-gate instances behind one authority).
   */
  public static final class Keys {
    private final byte[][] secrets = new byte[6][32];
    private final KeyPair ed;

    private Keys() throws Exception {
      SecureRandom random = new SecureRandom();
      for (byte[] secret : secrets) {
        random.nextBytes(secret);
      }
      ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    public static Keys generate() throws Exception {
      return new Keys();
    }

    String keyring() {
      Base64.Encoder b64 = Base64.getEncoder();
      byte[][] s = secrets;
      byte[] spki = ed.getPublic().getEncoded();
      byte[] rawPublic = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
      return """
          { "keys": [
            { "kid": "k-hmac", "alg": "HMAC-SHA256", "secret": "%s", "actors": ["%s", "did:zo:svc:*"],
              "status": "active", "notBefore": "2020-01-01T00:00:00Z", "notAfter": null },
            { "kid": "k-hmac2", "alg": "HMAC-SHA256", "secret": "%s", "actors": ["%s"], "status": "active" },
            { "kid": "k-ed", "alg": "Ed25519", "publicKey": "%s", "actors": ["%s"], "status": "active" },
            { "kid": "k-retired", "alg": "HMAC-SHA256", "secret": "%s", "actors": ["%s"], "status": "retired" },
            { "kid": "k-future", "alg": "HMAC-SHA256", "secret": "%s", "actors": ["%s"], "status": "active",
              "notBefore": "2999-01-01T00:00:00Z" },
            { "kid": "k-expired", "alg": "HMAC-SHA256", "secret": "%s", "actors": ["%s"], "status": "active",
              "notBefore": "2020-01-01T00:00:00Z", "notAfter": "2021-01-01T00:00:00Z" } ] }
          """.formatted(b64.encodeToString(s[0]), ALICE, b64.encodeToString(s[1]), ALICE,
          b64.encodeToString(rawPublic), BOB, b64.encodeToString(s[2]), ALICE, b64.encodeToString(s[3]), ALICE,
          b64.encodeToString(s[4]), ALICE);
    }
  }

  public Gate(Path dir, String upstreamUrl, String extraYaml, Map<String, String> env) throws Exception {
    this(dir, upstreamUrl, extraYaml, env, -Duration.ofHours(1).toMillis());
  }

  /**
   * @param startOffsetMillis the clock offset while the stores open (negative: the memory
   *     store's floor lies that far back; 0: the floor is the real start, as in production)
   */
  public Gate(Path dir, String upstreamUrl, String extraYaml, Map<String, String> env, long startOffsetMillis)
      throws Exception {
    this(dir, upstreamUrl, extraYaml, env, startOffsetMillis, Keys.generate(), null, 0);
  }

  /**
   * One instance of several that serve one authority.
   *
   * @param keys the keyring shared by every instance
   * @param sharedAuthority the authority every instance serves and clients sign ({@code
   *     auth.authorities}), or null for this instance's own listen address
   * @param clockSkewMillis how far this instance's clock is from the true time, for good (a host
   *     whose clock drifted); clients keep signing with the true time ({@link #clientMillis})
   */
  public Gate(Path dir, String upstreamUrl, String extraYaml, Map<String, String> env, long startOffsetMillis,
      Keys keys, String sharedAuthority, long clockSkewMillis) throws Exception {
    this.startOffsetMillis = startOffsetMillis;
    this.dir = dir;
    this.upstreamUrl = upstreamUrl;
    this.extraYaml = extraYaml;
    this.env = Map.copyOf(env);
    this.sharedAuthority = sharedAuthority;
    this.clockSkewMillis = clockSkewMillis;
    this.port = freePort();
    Files.writeString(dir.resolve("keyring.json"), keys.keyring(), StandardCharsets.UTF_8);
    byte[][] s = keys.secrets;
    add("alice", Signer.hmac("k-hmac", s[0]), ALICE);
    add("svc", Signer.hmac("k-hmac", s[0]), "did:zo:svc:indexer");
    add("alice2", Signer.hmac("k-hmac2", s[1]), ALICE);
    add("bob", Signer.ed25519("k-ed", keys.ed.getPrivate()), BOB);
    add("retired", Signer.hmac("k-retired", s[2]), ALICE);
    add("future", Signer.hmac("k-future", s[3]), ALICE);
    add("expired", Signer.hmac("k-expired", s[4]), ALICE);
    add("stranger", Signer.hmac("k-nobody", s[5]), ALICE);
    start();
  }

  private void add(String name, Signer signer, String actor) {
    signers.put(name, signer);
    actors.put(name, actor);
  }

  public Signer signer(String name) {
    Signer s = signers.get(name);
    if (s == null) {
      throw new IllegalArgumentException("unknown signer '" + name + "' (known: " + signers.keySet() + ")");
    }
    return s;
  }

  public String actorOf(String name) {
    signer(name);
    return actors.get(name);
  }

  /**
   * Starts the proxy. By default its clock is set an hour back while the stores open, so that a
   * memory store's "nothing before I started" floor lies before every timestamp a case signs; the
   * clock then follows the system clock again (plus this instance's skew, if it has one).
   */
  public void start() throws Exception {
    String yaml = """
        listen: 127.0.0.1:%d
        upstream:
          url: %s
          timeout: 2s
          idleTimeout: 1s
          maxStreamDuration: 4s
          maxResponseBytes: 64KiB
          maxEventBytes: 8KiB
        auth:
          keyring: keyring.json
        """.formatted(port, upstreamUrl)
        + (sharedAuthority == null ? "" : "  authorities: [\"" + sharedAuthority + "\"]\n") + extraYaml;
    Path config = dir.resolve("zo-gate.yaml");
    Files.writeString(config, yaml);
    ProxyConfig cfg = ConfigLoader.load(config, env);
    clock.offset(startOffsetMillis + clockSkewMillis);
    try {
      // The proxy exactly as `serve` assembles it, on the suite's clock.
      server = Gateway.open(cfg, env, Optional.empty(), clock);
    } finally {
      clock.offset(clockSkewMillis);
    }
  }

  public void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  public void restart() throws Exception {
    stop();
    start();
  }

  /** What clients sign and send as {@code Host}: the shared authority, else the listen address. */
  public String authority() {
    return sharedAuthority != null ? sharedAuthority : "127.0.0.1:" + port;
  }

  /** The true time as a client with a good clock sees it (the proxy's clock minus its skew). */
  public long clientMillis() {
    return clock.millis() - clockSkewMillis;
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
