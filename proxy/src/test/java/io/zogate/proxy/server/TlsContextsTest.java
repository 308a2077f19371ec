package io.zogate.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.config.ConfigException;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.TestPki;
import io.zogate.proxy.testing.TestPki.Issued;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading and checking {@code tls:} at start-up, and the client trust rules on their own. */
class TlsContextsTest {
  static Issued ca;
  static Issued ecServer;
  static Issued rsaServer;
  static Issued clientCa;

  @TempDir Path dir;

  @BeforeAll
  static void mint() {
    ca = TestPki.ca("server CA");
    ecServer = TestPki.server(ca);
    rsaServer = TestPki.issue(ca, TestPki.spec().subject("CN=rsa server").ip("127.0.0.1")
        .ekus(KeyPurposeId.id_kp_serverAuth).keys(TestPki.rsa()));
    clientCa = TestPki.ca("client CA");
  }

  Path file(String name, String text) {
    return TestPki.write(dir.resolve(name), text);
  }

  ProxyConfig.Tls tls(Path cert, Path key, Optional<Path> clientCa, boolean require, boolean bind) {
    return new ProxyConfig.Tls(cert, key, clientCa, require, bind, false);
  }

  ProxyConfig.Tls plain(Issued server, String keyPem) {
    return tls(file("cert.pem", TestPki.pem(server.chain())), file("key.pem", keyPem), Optional.empty(), false, false);
  }

  static String message(ProxyConfig.Tls t) {
    try {
      TlsContexts.serverContext(t);
    } catch (ConfigException e) {
      assertThat(e.getMessage()).doesNotContain("\n");
      return e.getMessage();
    }
    throw new AssertionError("no ConfigException");
  }

  @Test
  void everyPemKeyFormatIsRead() {
    assertThatCode(() -> TlsContexts.serverContext(plain(ecServer, TestPki.pkcs8Pem(ecServer.privateKey()))))
        .doesNotThrowAnyException();
    assertThat(TestPki.traditionalPem(ecServer.keys())).contains("BEGIN EC PRIVATE KEY");
    assertThatCode(() -> TlsContexts.serverContext(plain(ecServer, TestPki.traditionalPem(ecServer.keys()))))
        .doesNotThrowAnyException();
    assertThat(TestPki.traditionalPem(rsaServer.keys())).contains("BEGIN RSA PRIVATE KEY");
    assertThatCode(() -> TlsContexts.serverContext(plain(rsaServer, TestPki.traditionalPem(rsaServer.keys()))))
        .doesNotThrowAnyException();
    assertThatCode(() -> TlsContexts.serverContext(plain(rsaServer, TestPki.pkcs8Pem(rsaServer.privateKey()))))
        .doesNotThrowAnyException();
  }

  @Test
  void anOpensslEcParametersBlockBeforeTheKeyIsSkipped() {
    String params = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
    assertThatCode(() -> TlsContexts.serverContext(
        plain(ecServer, params + TestPki.traditionalPem(ecServer.keys())))).doesNotThrowAnyException();
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsRefused() {
    assertThat(message(plain(ecServer, TestPki.pkcs8Pem(TestPki.ec().getPrivate()))))
        .startsWith("tls.key:").contains("is not the private key");
    assertThat(message(plain(ecServer, TestPki.pkcs8Pem(rsaServer.privateKey()))))
        .contains("is not the private key");
  }

  @Test
  void missingFilesAreNamed() {
    Path key = file("key.pem", TestPki.pkcs8Pem(ecServer.privateKey()));
    Path cert = file("cert.pem", TestPki.pem(ecServer.chain()));
    assertThat(message(tls(dir.resolve("nope.pem"), key, Optional.empty(), false, false)))
        .startsWith("tls.cert:").contains("does not exist");
    assertThat(message(tls(cert, dir.resolve("nope.pem"), Optional.empty(), false, false)))
        .startsWith("tls.key:").contains("does not exist");
    assertThat(message(tls(cert, key, Optional.of(dir.resolve("nope.pem")), true, false)))
        .startsWith("tls.clientCa:").contains("does not exist");
  }

  @Test
  void unreadablePemIsRefused() {
    Path key = file("key.pem", TestPki.pkcs8Pem(ecServer.privateKey()));
    Path cert = file("cert.pem", TestPki.pem(ecServer.chain()));
    assertThat(message(tls(cert, file("bad-key.pem", "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n"),
        Optional.empty(), false, false))).startsWith("tls.key:");
    assertThat(message(tls(cert, file("empty-key.pem", ""), Optional.empty(), false, false)))
        .startsWith("tls.key:").contains("exactly one private key");
    assertThat(message(tls(cert, cert, Optional.empty(), false, false))).startsWith("tls.key:");
    assertThat(message(tls(file("bad-cert.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), key,
        Optional.empty(), false, false))).startsWith("tls.cert:");
    assertThat(message(tls(key, key, Optional.empty(), false, false))).startsWith("tls.cert:");
    assertThat(message(tls(cert, key, Optional.of(file("empty-ca.pem", "")), true, false))).startsWith("tls.clientCa:");
  }

  @Test
  void anEncryptedKeyIsRefusedWithAHint() {
    String pem = TestPki.encryptedPkcs8Pem();
    assertThat(pem).contains("BEGIN ENCRYPTED PRIVATE KEY");
    assertThat(message(plain(ecServer, pem))).startsWith("tls.key:").contains("encrypted");
  }

  @Test
  void clientCertificatesNeedAClientCa() {
    Path key = file("key.pem", TestPki.pkcs8Pem(ecServer.privateKey()));
    Path cert = file("cert.pem", TestPki.pem(ecServer.chain()));
    assertThat(message(tls(cert, key, Optional.empty(), true, false))).contains("tls.clientCa");
    assertThat(message(tls(cert, key, Optional.empty(), false, true))).contains("tls.clientCa");
  }

  @Test
  void parametersAllowOnlyTls12And13WithAeadSuitesAndAskForClientCertificates() throws Exception {
    Path key = file("key.pem", TestPki.pkcs8Pem(ecServer.privateKey()));
    Path cert = file("cert.pem", TestPki.pem(ecServer.chain()));
    Path cas = file("ca.pem", TestPki.pem(List.of(clientCa.cert())));
    ProxyConfig.Tls need = tls(cert, key, Optional.of(cas), true, true);
    SSLContext ctx = TlsContexts.serverContext(need);
    SSLParameters p = TlsContexts.parameters(ctx, need);
    assertThat(p.getProtocols()).containsExactly("TLSv1.3", "TLSv1.2");
    assertThat(p.getCipherSuites()).isNotEmpty().allSatisfy(s -> assertThat(s).doesNotContain("CBC")
        .doesNotStartWith("TLS_RSA_").doesNotStartWith("TLS_DHE_").doesNotContain("NULL").doesNotContain("anon"));
    assertThat(p.getCipherSuites()).contains("TLS_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    assertThat(p.getNeedClientAuth()).isTrue();
    ProxyConfig.Tls want = tls(cert, key, Optional.of(cas), false, true);
    SSLParameters w = TlsContexts.parameters(TlsContexts.serverContext(want), want);
    assertThat(w.getNeedClientAuth()).isFalse();
    assertThat(w.getWantClientAuth()).isTrue();
    ProxyConfig.Tls none = tls(cert, key, Optional.empty(), false, false);
    SSLParameters n = TlsContexts.parameters(TlsContexts.serverContext(none), none);
    assertThat(n.getNeedClientAuth()).isFalse();
    assertThat(n.getWantClientAuth()).isFalse();
  }

  /** The JDK's own PKIX trust manager over the client CA, with nothing of ours around it. */
  static X509TrustManager jdkPkix(X509Certificate anchor) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", anchor);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(ks);
    return (X509TrustManager) tmf.getTrustManagers()[0];
  }

  static X509Certificate[] chain(Issued i) {
    return i.chain().toArray(new X509Certificate[0]);
  }

  @Test
  void theJdkPkixTrustManagerAlreadyRequiresClientAuthEkuForClients() throws Exception {
    X509TrustManager jdk = jdkPkix(clientCa.cert());
    Issued good = TestPki.issue(clientCa, TestPki.spec().uri("did:zo:agent:a"));
    Issued serverOnly = TestPki.issue(clientCa, TestPki.spec().uri("did:zo:agent:a").ekus(KeyPurposeId.id_kp_serverAuth));
    assertThatCode(() -> jdk.checkClientTrusted(chain(good), "EC")).doesNotThrowAnyException();
    assertThatThrownBy(() -> jdk.checkClientTrusted(chain(serverOnly), "EC")).isInstanceOf(CertificateException.class);
    // ... but not when the presented certificate is itself the trust anchor: why ClientTrust exists.
    assertThatCode(() -> jdk.checkClientTrusted(chain(clientCa), "EC")).doesNotThrowAnyException();
  }

  @Test
  void clientTrustRefusesWhatTheJdkRefusesAndTheAnchorAsALeaf() throws Exception {
    X509ExtendedTrustManager ours = TlsContexts.clientTrust(List.of(clientCa.cert()));
    Issued good = TestPki.issue(clientCa, TestPki.spec().uri("did:zo:agent:a"));
    assertThatCode(() -> ours.checkClientTrusted(chain(good), "EC")).doesNotThrowAnyException();
    for (Issued bad : List.of(
        TestPki.issue(clientCa, TestPki.spec().ekus(KeyPurposeId.id_kp_serverAuth)),
        TestPki.issue(clientCa, TestPki.spec().ekus(KeyPurposeId.anyExtendedKeyUsage)),
        TestPki.issue(clientCa, TestPki.spec().validity(java.time.Instant.now().minusSeconds(7200),
            java.time.Instant.now().minusSeconds(60))),
        TestPki.issue(TestPki.ca("stranger"), TestPki.spec()),
        clientCa)) {
      assertThatThrownBy(() -> ours.checkClientTrusted(chain(bad), "EC")).isInstanceOf(CertificateException.class);
    }
    assertThatThrownBy(() -> ours.checkServerTrusted(chain(good), "EC")).isInstanceOf(CertificateException.class);
  }

  @Test
  void aBadTlsSectionStopsGatewayStartUp() {
    TestPki.write(dir.resolve("server.pem"), TestPki.pem(ecServer.chain()));
    TestPki.write(dir.resolve("server-key.pem"), TestPki.pkcs8Pem(rsaServer.privateKey()));
    String yaml = """
        tls:
          cert: server.pem
          key: server-key.pem
        """;
    assertThatThrownBy(() -> new ProxyFixture(dir, "http://127.0.0.1:9/mcp", yaml, Optional.empty(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("tls.key:");
  }
}
