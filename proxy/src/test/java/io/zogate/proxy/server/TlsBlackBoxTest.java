package io.zogate.proxy.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.zogate.proxy.testing.ProxyFixture.ALICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import io.zogate.proxy.testing.TestPki;
import io.zogate.proxy.testing.TestPki.Issued;
import io.zogate.proxy.testing.TlsHttp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real proxy serving HTTPS on 127.0.0.1 with certificates minted by Bouncy Castle for each
 * run, driven by a TLS client that presents whatever client certificate the test gives it:
 * the handshake's refusals (wrong CA, self-signed, expired, not yet valid, no clientAuth EKU,
 * TLS 1.1, plain HTTP) and step 6's (no certificate, identity differs from the actor).
 */
class TlsBlackBoxTest {
  static final String TOOLS_LIST = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
  static final String SVC = "did:zo:svc:billing";

  static WireMockServer upstream;
  static Issued serverCa;
  static Issued server;
  static Issued clientCa;
  static Issued otherCa;

  @TempDir Path dir;
  ProxyFixture proxy;

  @BeforeAll
  static void setUp() {
    upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").globalTemplating(true));
    upstream.start();
    serverCa = TestPki.ca("server CA");
    server = TestPki.server(serverCa);
    clientCa = TestPki.ca("client CA");
    otherCa = TestPki.ca("other CA");
  }

  @AfterAll
  static void tearDown() {
    upstream.stop();
  }

  @BeforeEach
  void resetUpstream() {
    upstream.resetAll();
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"jsonrpc\":\"2.0\",\"id\":{{jsonPath request.body '$.id'}},\"result\":{\"ok\":true}}")));
  }

  @AfterEach
  void stopProxy() {
    if (proxy != null) {
      proxy.close();
    }
  }

  void start(boolean requireClientCert, boolean bind, boolean allowCn) throws Exception {
    TestPki.write(dir.resolve("server.pem"), TestPki.pem(server.chain()));
    TestPki.write(dir.resolve("server-key.pem"), TestPki.pkcs8Pem(server.privateKey()));
    TestPki.write(dir.resolve("client-ca.pem"), TestPki.pem(List.of(clientCa.cert())));
    String tls = """
        tls:
          cert: server.pem
          key: server-key.pem
          clientCa: client-ca.pem
          requireClientCert: %s
          bindActorToCertificate: %s
          allowCnIdentity: %s
        """.formatted(requireClientCert, bind, allowCn);
    proxy = new ProxyFixture(dir, upstream.baseUrl() + "/mcp", tls, Optional.empty(), Map.of());
  }

  void startStrict() throws Exception {
    start(true, true, false);
  }

  static Issued client(TestPki.Spec spec) {
    return TestPki.issue(clientCa, spec);
  }

  static SSLContext as(Issued client) {
    return TlsHttp.context(serverCa.cert(), client);
  }

  RawHttp.Response call(SSLContext ctx, String actor, String... protocols) throws IOException {
    byte[] body = TOOLS_LIST.getBytes(StandardCharsets.UTF_8);
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.put("Accept", "application/json, text/event-stream");
    h.putAll(proxy.hmac.headers(actor, "POST", proxy.authority(), "/mcp", body));
    return TlsHttp.request(proxy.port, ctx, protocols, "POST", "/mcp", h, body);
  }

  int upstreamCalls() {
    return upstream.findAll(postRequestedFor(urlEqualTo("/mcp"))).size();
  }

  void assertRefusedByTls(SSLContext ctx, String actor) {
    assertThatThrownBy(() -> call(ctx, actor)).isInstanceOf(IOException.class);
    assertThat(upstreamCalls()).isZero();
  }

  @Test
  void aClientCertificateFromTheClientCaWhoseUriSanIsTheActorIsServed() throws Exception {
    startStrict();
    RawHttp.Response r = call(as(client(TestPki.spec().uri(ALICE))), ALICE);
    assertThat(r.outcome()).isEqualTo("200");
    assertThat(r.json().path("result").path("ok").asBoolean()).isTrue();
    assertThat(upstream.findAll(postRequestedFor(urlEqualTo("/mcp"))).get(0).getHeader("x-zo-actor")).isEqualTo(ALICE);
  }

  @Test
  void bothTls12AndTls13AreServed() throws Exception {
    startStrict();
    SSLContext ctx = as(client(TestPki.spec().uri(ALICE)));
    assertThat(call(ctx, ALICE, "TLSv1.2").outcome()).isEqualTo("200");
    assertThat(call(ctx, ALICE, "TLSv1.3").outcome()).isEqualTo("200");
    try (SSLSocket s = TlsHttp.connect(proxy.port, ctx)) {
      assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
    }
  }

  @Test
  void aMatchingCertificateWithAnotherActorInTheHeaderIsAMismatch() throws Exception {
    startStrict();
    RawHttp.Response r = call(as(client(TestPki.spec().uri(ALICE))), SVC);
    assertThat(r.outcome()).isEqualTo("401 -32030 client_cert_actor_mismatch");
    assertThat(upstreamCalls()).isZero();
  }

  @Test
  void aCertificateFromAnotherCaFailsTheHandshake() throws Exception {
    startStrict();
    assertRefusedByTls(as(TestPki.issue(otherCa, TestPki.spec().uri(ALICE))), ALICE);
  }

  @Test
  void whenCertificatesAreOnlyWantedAnotherCaStillFailsTheHandshakeAndNoneIsClientCertRequired()
      throws Exception {
    start(false, true, false);
    assertRefusedByTls(as(TestPki.issue(otherCa, TestPki.spec().uri(ALICE))), ALICE);
    RawHttp.Response r = call(as(null), ALICE);
    assertThat(r.outcome()).isEqualTo("401 -32030 client_cert_required");
    assertThat(call(as(client(TestPki.spec().uri(ALICE))), ALICE).outcome()).isEqualTo("200");
  }

  @Test
  void withoutBindingAWantedCertificateMayBeAbsent() throws Exception {
    start(false, false, false);
    assertThat(call(as(null), ALICE).outcome()).isEqualTo("200");
    // present but naming someone else: not checked without binding
    assertThat(call(as(client(TestPki.spec().uri(SVC))), ALICE).outcome()).isEqualTo("200");
  }

  @Test
  void noClientCertificateFailsTheHandshakeWhenRequired() throws Exception {
    startStrict();
    assertRefusedByTls(as(null), ALICE);
  }

  @Test
  void aSelfSignedClientCertificateIsRefused() throws Exception {
    startStrict();
    assertRefusedByTls(as(TestPki.selfSigned(TestPki.spec().subject("CN=" + ALICE).uri(ALICE))), ALICE);
  }

  @Test
  void theClientCaItselfPresentedAsAClientCertificateIsRefused() throws Exception {
    startStrict();
    assertRefusedByTls(as(clientCa), ALICE);
  }

  @Test
  void anExpiredClientCertificateIsRefused() throws Exception {
    startStrict();
    Instant now = Instant.now();
    assertRefusedByTls(as(client(TestPki.spec().uri(ALICE)
        .validity(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1))))), ALICE);
  }

  @Test
  void aClientCertificateNotYetValidIsRefused() throws Exception {
    startStrict();
    Instant now = Instant.now();
    assertRefusedByTls(as(client(TestPki.spec().uri(ALICE)
        .validity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(30))))), ALICE);
  }

  @Test
  void aClientCertificateForServersOnlyIsRefused() throws Exception {
    startStrict();
    assertRefusedByTls(as(client(TestPki.spec().uri(ALICE).ekus(KeyPurposeId.id_kp_serverAuth))), ALICE);
  }

  @Test
  void aClientCertificateWithoutAnyExtendedKeyUsageIsAccepted() throws Exception {
    startStrict();
    assertThat(call(as(client(TestPki.spec().uri(ALICE).ekus())), ALICE).outcome()).isEqualTo("200");
  }

  @Test
  void whenCnAndUriSanDisagreeTheIdentityIsTheSan() throws Exception {
    start(true, true, true);
    SSLContext ctx = as(client(TestPki.spec().subject("CN=did:zo:svc:from-cn").uri("did:zo:svc:from-san")));
    assertThat(call(ctx, "did:zo:svc:from-cn").outcome()).isEqualTo("401 -32030 client_cert_actor_mismatch");
    assertThat(call(ctx, "did:zo:svc:from-san").outcome()).isEqualTo("200");
  }

  @Test
  void aSingleCnIsTheIdentityOnlyWhenAllowed() throws Exception {
    Issued cnOnly = client(TestPki.spec().subject("CN=" + SVC + ",O=zo"));
    start(true, true, true);
    assertThat(call(as(cnOnly), SVC).outcome()).isEqualTo("200");
    proxy.close();
    start(true, true, false);
    assertThat(call(as(cnOnly), SVC).outcome()).isEqualTo("401 -32030 client_cert_actor_mismatch");
  }

  @Test
  void severalCnsAreNoIdentity() throws Exception {
    start(true, true, true);
    X500NameBuilder name = new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.CN, "did:zo:svc:one").addRDN(BCStyle.CN, "did:zo:svc:two");
    SSLContext ctx = as(client(TestPki.spec().subject(name.build())));
    assertThat(call(ctx, "did:zo:svc:one").outcome()).isEqualTo("401 -32030 client_cert_actor_mismatch");
    assertThat(call(ctx, "did:zo:svc:two").outcome()).isEqualTo("401 -32030 client_cert_actor_mismatch");
  }

  @Test
  void aCnWithAnEmbeddedCnIsOneStringNotTwoNames() throws Exception {
    start(true, true, true);
    // One CN whose value is "did:zo:svc:a,CN=did:zo:svc:b"; its DN text is
    // "CN=did:zo:svc:a\,CN=did:zo:svc:b". A parser of that text could see a second CN.
    X500NameBuilder embedded = new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.CN, "did:zo:svc:a,CN=did:zo:svc:b");
    SSLContext ctx = as(client(TestPki.spec().subject(embedded.build())));
    assertThat(call(ctx, "did:zo:svc:b").outcome()).isEqualTo("401 -32030 client_cert_actor_mismatch");
    assertThat(call(ctx, "did:zo:svc:a").outcome()).isEqualTo("401 -32030 client_cert_actor_mismatch");
    // Escaped characters in the value: a backslash and a plus, taken literally.
    X500NameBuilder escaped = new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.CN, "did:zo:svc:a\\,CN=did:zo:svc:b+CN=did:zo:svc:c");
    SSLContext ctx2 = as(client(TestPki.spec().subject(escaped.build())));
    for (String actor : List.of("did:zo:svc:a", "did:zo:svc:b", "did:zo:svc:c")) {
      assertThat(call(ctx2, actor).outcome()).isEqualTo("401 -32030 client_cert_actor_mismatch");
    }
    assertThat(upstreamCalls()).isZero();
  }

  @Test
  void aTls11ClientHelloIsRefusedWhileTheSameHelloAsTls12IsAnswered() throws Exception {
    startStrict();
    byte[] tls12 = TlsHttp.exchangeRaw(proxy.port, TlsHttp.clientHello(0x0303), 3000);
    assertThat(tls12).isNotEmpty();
    assertThat(tls12[0]).as("a handshake record (ServerHello)").isEqualTo((byte) 0x16);
    // The JDK server closes without a ServerHello (in practice without even an alert).
    byte[] tls11 = TlsHttp.exchangeRaw(proxy.port, TlsHttp.clientHello(0x0302), 3000);
    if (tls11.length > 0) {
      assertThat(tls11[0]).as("an alert record, never a ServerHello").isEqualTo((byte) 0x15);
    }
    // And a JDK client limited to TLS 1.1 gets no session either.
    assertThatThrownBy(() -> call(as(client(TestPki.spec().uri(ALICE))), ALICE, "TLSv1.1"))
        .isInstanceOf(IOException.class);
    assertThat(upstreamCalls()).isZero();
  }

  @Test
  void plainHttpToTheTlsPortGetsNoHttpAnswer() throws Exception {
    startStrict();
    byte[] body = TOOLS_LIST.getBytes(StandardCharsets.UTF_8);
    StringBuilder req = new StringBuilder("POST /mcp HTTP/1.1\r\nHost: " + proxy.authority() + "\r\n");
    proxy.hmac.headers(ALICE, "POST", proxy.authority(), "/mcp", body)
        .forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    req.append("Content-Type: application/json\r\nContent-Length: ").append(body.length)
        .append("\r\nConnection: close\r\n\r\n").append(TOOLS_LIST);
    byte[] answer = TlsHttp.exchangeRaw(proxy.port, req.toString().getBytes(StandardCharsets.ISO_8859_1), 3000);
    assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1 200").doesNotStartWith("HTTP/");
    assertThat(upstreamCalls()).isZero();
  }
}
