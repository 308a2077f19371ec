package io.zogate.proxy.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsExchange;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** {@link IncomingRequest} over the JDK server's exchange. */
final class ExchangeRequest implements IncomingRequest {
  private final HttpExchange exchange;

  ExchangeRequest(HttpExchange exchange) {
    this.exchange = exchange;
  }

  @Override
  public String method() {
    return exchange.getRequestMethod();
  }

  @Override
  public URI target() {
    return exchange.getRequestURI();
  }

  @Override
  public List<String> header(String name) {
    List<String> values = exchange.getRequestHeaders().get(name);
    return values == null ? List.of() : values;
  }

  @Override
  public InputStream body() {
    return exchange.getRequestBody();
  }

  @Override
  public InetSocketAddress remote() {
    return exchange.getRemoteAddress();
  }

  @Override
  public List<X509Certificate> clientCertificates() {
    if (!(exchange instanceof HttpsExchange https)) {
      return List.of();
    }
    SSLSession session = https.getSSLSession();
    if (session == null) {
      return List.of();
    }
    Certificate[] peer;
    try {
      peer = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
    List<X509Certificate> chain = new ArrayList<>(peer.length);
    for (Certificate c : peer) {
      if (!(c instanceof X509Certificate x)) {
        return List.of();
      }
      chain.add(x);
    }
    return List.copyOf(chain);
  }
}
