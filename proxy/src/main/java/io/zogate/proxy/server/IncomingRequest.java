package io.zogate.proxy.server;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.List;

/** The parts of an HTTP request the pipeline reads; a thin view over {@code HttpExchange}. */
public interface IncomingRequest {
  String method();

  /** The request target exactly as on the request line. */
  URI target();

  /** Every value of a header (case-insensitive name), in order; empty when absent. */
  List<String> header(String name);

  InputStream body();

  InetSocketAddress remote();

  /**
   * The client certificate chain the TLS handshake verified, leaf first; empty without TLS or
   * when the client presented none.
   */
  default List<X509Certificate> clientCertificates() {
    return List.of();
  }
}
