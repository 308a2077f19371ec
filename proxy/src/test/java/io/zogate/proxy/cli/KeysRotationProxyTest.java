package io.zogate.proxy.cli;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.zogate.proxy.testing.ProxyFixture.ALICE;
import static io.zogate.proxy.testing.ProxyFixture.BOB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.zogate.proxy.cli.MainTest.Run;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import io.zogate.proxy.testing.TestSigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zero-downtime rotation against a real proxy: the running proxy picks up {@code keys rotate}
 * and {@code keys retire} without a restart (its keyring poller runs about once a second), the
 * old key keeps working until retired, and a broken file leaves the keyring in force. Requests
 * are signed by the independent {@link TestSigner} with the secret {@code keys} printed.
 */
class KeysRotationProxyTest {
  static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
  static final Duration RELOAD = Duration.ofSeconds(10); // the poller runs every second; slack for a busy CI

  @TempDir Path dir;
  WireMockServer upstream;
  ProxyFixture proxy;
  final List<String> accessLog = new CopyOnWriteArrayList<>();
  final Logger access = Logger.getLogger("io.zogate.proxy.access");
  final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      accessLog.add(r.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  Level previousLevel;

  @BeforeEach
  void start() throws Exception {
    upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").globalTemplating(true));
    upstream.start();
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"jsonrpc\":\"2.0\",\"id\":{{jsonPath request.body '$.id'}},\"result\":{}}")));
    proxy = new ProxyFixture(dir, upstream.baseUrl() + "/mcp", "", Optional.empty(), Map.of());
    previousLevel = access.getLevel();
    access.setLevel(Level.INFO);
    access.addHandler(capture);
  }

  @AfterEach
  void stop() {
    access.removeHandler(capture);
    access.setLevel(previousLevel);
    if (proxy != null) {
      proxy.close();
    }
    if (upstream != null) {
      upstream.stop();
    }
  }

  RawHttp.Response ping(TestSigner signer, String actor) throws Exception {
    return proxy.post(signer, actor, PING, Map.of());
  }

  static String reason(RawHttp.Response r) {
    return r.status() == 200 ? "ok" : r.json().path("error").path("data").path("reason").asText();
  }

  Run keys(String... args) {
    String[] full = new String[args.length + 3];
    full[0] = "keys";
    full[1] = args[0];
    full[2] = "--keyring";
    full[3] = dir.resolve("keyring.json").toString();
    System.arraycopy(args, 1, full, 4, args.length - 1);
    Run r = MainTest.run(full);
    assertThat(r.exit()).as(r.err()).isZero();
    return r;
  }

  @Test
  void rotateThenRetireWithoutRestartingTheProxy() throws Exception {
    Path keyring = dir.resolve("keyring.json");
    assertThat(ping(proxy.hmac, ALICE).status()).isEqualTo(200);

    // Rotate: the new key verifies after the next reload, the old one keeps verifying.
    Run rot = keys("rotate", "--kid", ProxyFixture.HMAC_KID, "--new-kid", "k-hmac-2");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyring))).isEqualTo("rw-------");
    TestSigner rotated = TestSigner.hmac("k-hmac-2", KeysCommandTest.secretOf(rot));
    await().atMost(RELOAD).pollInterval(Duration.ofMillis(200))
        .until(() -> ping(rotated, ALICE).status() == 200);
    assertThat(reason(ping(rotated, "did:zo:svc:build"))).isEqualTo("ok"); // the old key's actors came along
    assertThat(reason(ping(proxy.hmac, ALICE))).isEqualTo("ok");

    // Ed25519: the printed seed is the only copy of the private key.
    Run rotEd = keys("rotate", "--kid", ProxyFixture.ED_KID, "--new-kid", "k-ed-2");
    TestSigner rotatedEd = TestSigner.ed25519("k-ed-2",
        KeysCommandTest.ed25519Private(KeysCommandTest.secretOf(rotEd)));
    await().atMost(RELOAD).pollInterval(Duration.ofMillis(200))
        .until(() -> ping(rotatedEd, BOB).status() == 200);

    // Retire the old key: unknown_key to the caller, the real cause in the log.
    keys("retire", "--kid", ProxyFixture.HMAC_KID);
    await().atMost(RELOAD).pollInterval(Duration.ofMillis(200))
        .until(() -> reason(ping(proxy.hmac, ALICE)).equals("unknown_key"));
    RawHttp.Response refused = ping(proxy.hmac, ALICE);
    assertThat(refused.status()).isEqualTo(401);
    assertThat(reason(refused)).isEqualTo("unknown_key");
    assertThat(refused.bodyText()).doesNotContain("retired");
    assertThat(accessLog).anyMatch(l -> l.contains("unknown_key") && l.contains("key k-hmac is retired"));
    assertThat(reason(ping(rotated, ALICE))).isEqualTo("ok");
    assertThat(reason(ping(rotatedEd, BOB))).isEqualTo("ok");
  }

  @Test
  void aBrokenKeyringFileLeavesTheKeyringInForce() throws Exception {
    Path keyring = dir.resolve("keyring.json");
    Run rot = keys("rotate", "--kid", ProxyFixture.HMAC_KID, "--new-kid", "k-hmac-2");
    TestSigner rotated = TestSigner.hmac("k-hmac-2", KeysCommandTest.secretOf(rot));
    await().atMost(RELOAD).pollInterval(Duration.ofMillis(200))
        .until(() -> ping(rotated, ALICE).status() == 200);

    Files.write(keyring, "{\"keys\": [ garbage".getBytes(StandardCharsets.UTF_8));
    Thread.sleep(2500); // at least two polls have seen the broken file
    assertThat(reason(ping(rotated, ALICE))).isEqualTo("ok");
    assertThat(reason(ping(proxy.hmac, ALICE))).isEqualTo("ok");
    assertThat(reason(ping(proxy.retired, ALICE))).isEqualTo("unknown_key");

    // keys refuses to build on the broken file, so it cannot turn a typo into an outage either.
    Run fix = MainTest.run("keys", "retire", "--keyring", keyring.toString(), "--kid", ProxyFixture.HMAC_KID);
    assertThat(fix.exit()).isEqualTo(2);
    assertThat(Files.readString(keyring)).isEqualTo("{\"keys\": [ garbage");
  }
}
