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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The plainest pass-through on the same JDK stack, the baseline the issue sets: HttpServer in,
 * java.net.http.HttpClient out, no checks of any kind.
 *
 * <p>Run as its own process by {@link PassThroughBenchmark}: {@code java -cp <test-classes>
 * io.zogate.load.PlainPassThrough UPSTREAM_PORT PORT WORKERS}.
 */
final class PlainPassThrough implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService pool;

  PlainPassThrough(int upstreamPort, int workers) throws IOException {
    this(upstreamPort, 0, workers);
  }

  PlainPassThrough(int upstreamPort, int port, int workers) throws IOException {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    URI target = URI.create("http://127.0.0.1:" + upstreamPort + "/mcp");
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
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

  /** {@code PlainPassThrough UPSTREAM_PORT PORT WORKERS}: serves until the process is stopped. */
  public static void main(String[] args) throws Exception {
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    PlainPassThrough p = new PlainPassThrough(Integer.parseInt(args[0]), Integer.parseInt(args[1]),
        Integer.parseInt(args[2]));
    System.out.println("plain pass-through listening on 127.0.0.1:" + p.port());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      p.close();
      stopped.countDown();
    }, "plain-pass-through-shutdown"));
    stopped.await();
  }
}
