package io.zogate.load;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The plainest pass-through on the same JDK stack, the baseline the issue sets: HttpServer in,
 * java.net.http.HttpClient out, no checks of any kind.
 */
final class PlainPassThrough implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService pool;

  PlainPassThrough(int upstreamPort, int workers) throws IOException {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    URI target = URI.create("http://127.0.0.1:" + upstreamPort + "/mcp");
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
    pool = Executors.newFixedThreadPool(workers);
    server.createContext("/mcp", ex -> {
      try (ex; InputStream in = ex.getRequestBody()) {
        byte[] body = in.readAllBytes();
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(target)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(r.statusCode(), r.body().length);
        ex.getResponseBody().write(r.body());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
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
