package io.zogate.proxy.traffic;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Serves {@code GET <metrics.path>} on a listener of its own ({@code metrics.listen}), never on
 * the proxy's port: scrapes neither need a signature nor compete with proxied requests for the
 * proxy's workers, and the operator can bind it to loopback or a management network alone.
 * Any other path is 404, any other method 405.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(MetricsEndpoint.class.getName());

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Binds and starts; a bad path is the caller's to refuse before this. */
  public static MetricsEndpoint start(InetSocketAddress address, String path, ProxyMetrics metrics)
      throws IOException {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("metrics path must start with /: " + path);
    }
    HttpServer server = HttpServer.create(address, 16);
    // One thread: a scrape is a few kilobytes every few seconds.
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "zo-gate-metrics");
      t.setDaemon(true);
      return t;
    });
    server.createContext("/", exchange -> handle(exchange, path, metrics));
    server.setExecutor(executor);
    server.start();
    LOG.info(() -> "zo-gate metrics on http://" + server.getAddress().getHostString() + ":"
        + server.getAddress().getPort() + path);
    return new MetricsEndpoint(server, executor);
  }

  private static void handle(HttpExchange exchange, String path, ProxyMetrics metrics) {
    try (exchange) {
      exchange.getRequestBody().close();
      if (!exchange.getRequestURI().getRawPath().equals(path)) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      if (!exchange.getRequestMethod().equals("GET")) {
        exchange.getResponseHeaders().set("Allow", "GET");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = metrics.scrape();
      exchange.getResponseHeaders().set("Content-Type", ProxyMetrics.CONTENT_TYPE);
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.FINE, () -> "metrics scrape not answered: " + e.getClass().getSimpleName());
    }
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
