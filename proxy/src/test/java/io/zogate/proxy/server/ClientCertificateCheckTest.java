package io.zogate.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.auth.VerifiedActor;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.testing.TestPki;
import io.zogate.proxy.upstream.ClientResponder;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Step 6 alone, with a fake request carrying whatever chain the test gives it. */
class ClientCertificateCheckTest {
  static final String ALICE = "did:zo:agent:alice";
  static TestPki.Issued ca;
  static TestPki.Issued alice;
  static final Clock NOW = Clock.systemUTC();

  @BeforeAll
  static void mint() {
    ca = TestPki.ca("check CA");
    alice = TestPki.issue(ca, TestPki.spec().uri(ALICE)
        .validity(Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofHours(1))));
  }

  static ProxyConfig.Tls tls(boolean require, boolean bind) {
    return new ProxyConfig.Tls(Path.of("c"), Path.of("k"), Optional.of(Path.of("ca")), require, bind, false);
  }

  static ProxyCall call(List<X509Certificate> chain, String actor) {
    IncomingRequest req = new IncomingRequest() {
      @Override
      public String method() {
        return "POST";
      }

      @Override
      public URI target() {
        return URI.create("/mcp");
      }

      @Override
      public List<String> header(String name) {
        return List.of();
      }

      @Override
      public InputStream body() {
        return InputStream.nullInputStream();
      }

      @Override
      public InetSocketAddress remote() {
        return new InetSocketAddress("127.0.0.1", 1);
      }

      @Override
      public List<X509Certificate> clientCertificates() {
        return chain;
      }
    };
    ClientResponder unused = new ClientResponder() {
      @Override
      public void sendJson(int status, Map<String, String> headers, byte[] body) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void sendEmpty(int status, Map<String, String> headers) {
        throw new UnsupportedOperationException();
      }

      @Override
      public EventStream openEventStream(Map<String, String> headers) {
        throw new UnsupportedOperationException();
      }
    };
    ProxyCall call = new ProxyCall(req, "trace", unused);
    call.actor(new VerifiedActor(actor, "k", 1L, "1", "nonce"));
    return call;
  }

  static Optional<Reason> outcome(ClientCertificateCheck check, ProxyCall call) {
    try {
      check.check(call);
      return Optional.empty();
    } catch (RefusalException e) {
      return Optional.of(e.refusal().reason());
    }
  }

  @Test
  void withoutTlsEverythingPasses() {
    ClientCertificateCheck off = new ClientCertificateCheck(Optional.empty(), NOW);
    assertThat(outcome(off, call(List.of(), ALICE))).isEmpty();
    assertThat(outcome(off, call(alice.chain(), "did:zo:agent:mallory"))).isEmpty();
  }

  @Test
  void neitherRequiredNorBoundPasses() {
    ClientCertificateCheck check = new ClientCertificateCheck(Optional.of(tls(false, false)), NOW);
    assertThat(outcome(check, call(List.of(), ALICE))).isEmpty();
    assertThat(outcome(check, call(alice.chain(), "did:zo:agent:mallory"))).isEmpty();
  }

  @Test
  void aMissingCertificateIsClientCertRequiredWhenRequiredOrBound() {
    assertThat(outcome(new ClientCertificateCheck(Optional.of(tls(true, false)), NOW), call(List.of(), ALICE)))
        .contains(Reason.CLIENT_CERT_REQUIRED);
    assertThat(outcome(new ClientCertificateCheck(Optional.of(tls(false, true)), NOW), call(List.of(), ALICE)))
        .contains(Reason.CLIENT_CERT_REQUIRED);
  }

  @Test
  void bindingComparesTheIdentityByteForByte() {
    ClientCertificateCheck check = new ClientCertificateCheck(Optional.of(tls(true, true)), NOW);
    assertThat(outcome(check, call(alice.chain(), ALICE))).isEmpty();
    for (String other : List.of("did:zo:agent:Alice", "did:zo:agent:alice ", "did:zo:agent:alic", "DID:zo:agent:alice")) {
      assertThat(outcome(check, call(alice.chain(), other))).contains(Reason.CLIENT_CERT_ACTOR_MISMATCH);
    }
    // Without binding, a required certificate may name anyone.
    assertThat(outcome(new ClientCertificateCheck(Optional.of(tls(true, false)), NOW),
        call(alice.chain(), "did:zo:agent:bob"))).isEmpty();
  }

  @Test
  void aCertificateWithoutIdentityIsAMismatch() {
    TestPki.Issued anon = TestPki.issue(ca, TestPki.spec().subject("CN=" + ALICE));
    assertThat(outcome(new ClientCertificateCheck(Optional.of(tls(true, true)), NOW), call(anon.chain(), ALICE)))
        .contains(Reason.CLIENT_CERT_ACTOR_MISMATCH);
  }

  @Test
  void aCertificateThatExpiredSinceTheHandshakeIsRefused() {
    Clock later = Clock.fixed(Instant.now().plus(Duration.ofHours(2)), ZoneOffset.UTC);
    assertThat(outcome(new ClientCertificateCheck(Optional.of(tls(true, true)), later), call(alice.chain(), ALICE)))
        .contains(Reason.CLIENT_CERT_REQUIRED);
  }
}
