package io.zogate.proxy.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;

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
}
