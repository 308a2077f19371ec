package io.zogate.proxy.server;

import io.zogate.proxy.auth.CertificateIdentity;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * Step 6 of the actor proof: with mTLS, the client certificate the handshake verified is
 * there when required, and with actor binding the verified actor id equals the certificate's
 * identity byte for byte. Runs after the signature, so only a caller who holds a key for the
 * actor learns that the certificate is the problem. Without TLS it passes everything.
 */
final class ClientCertificateCheck implements Stage.Check {
  private final Optional<ProxyConfig.Tls> tls;
  private final Clock clock;

  ClientCertificateCheck(Optional<ProxyConfig.Tls> tls, Clock clock) {
    this.tls = tls;
    this.clock = clock;
  }

  @Override
  public void check(ProxyCall call) throws RefusalException {
    if (tls.isEmpty()) {
      return;
    }
    ProxyConfig.Tls t = tls.get();
    if (!t.requireClientCert() && !t.bindActorToCertificate()) {
      return;
    }
    List<X509Certificate> chain = call.request().clientCertificates();
    if (chain.isEmpty()) {
      // Binding needs a certificate as much as requireClientCert does (the handshake only
      // asks for one when requireClientCert is off).
      throw new RefusalException(Reason.CLIENT_CERT_REQUIRED, "no client certificate");
    }
    X509Certificate leaf = chain.get(0);
    try {
      // The handshake checked validity when the connection was made (or the session first
      // established); a kept-alive connection or a resumed session can outlive the certificate.
      leaf.checkValidity(Date.from(clock.instant()));
    } catch (CertificateExpiredException | CertificateNotYetValidException e) {
      throw new RefusalException(Reason.CLIENT_CERT_REQUIRED,
          "client certificate outside its validity period now (serial " + leaf.getSerialNumber().toString(16) + ")");
    }
    if (t.bindActorToCertificate()) {
      Optional<String> identity = CertificateIdentity.of(leaf, t.allowCnIdentity());
      if (identity.isEmpty()) {
        throw new RefusalException(Reason.CLIENT_CERT_ACTOR_MISMATCH,
            "client certificate has no usable identity (serial " + leaf.getSerialNumber().toString(16) + ")");
      }
      // String.equals on two Java strings is code unit for code unit, which for these is byte for
      // byte in UTF-8: no case folding, no normalisation, no trimming.
      if (!identity.get().equals(call.actor().actorId())) {
        throw new RefusalException(Reason.CLIENT_CERT_ACTOR_MISMATCH,
            "client certificate identity differs from the actor (serial "
                + leaf.getSerialNumber().toString(16) + ")");
      }
    }
  }
}
