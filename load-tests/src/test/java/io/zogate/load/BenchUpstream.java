package io.zogate.load;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The fastest honest MCP upstream on the JDK stack: a fixed JSON-RPC answer to id 1, and 202
 * for anything without a body worth answering. What every variant of the benchmark forwards to.
 */
final class BenchUpstream implements AutoCloseable {
  static final byte[] REPLY =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\"echo\"}]}}".getBytes(StandardCharsets.UTF_8);
  private final HttpServer server;
  private final ExecutorService pool;

  BenchUpstream() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
    pool = Executors.newFixedThreadPool(16);
    server.createContext("/mcp", ex -> {
      try (ex; InputStream in = ex.getRequestBody()) {
        in.readAllBytes();
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, REPLY.length);
        ex.getResponseBody().write(REPLY);
      }
    });
    server.setExecutor(pool);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
