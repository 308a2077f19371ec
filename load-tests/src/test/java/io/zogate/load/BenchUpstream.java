package io.zogate.load;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fastest honest MCP upstream on the JDK stack: a fixed JSON-RPC answer to id 1. What every
 * row of the pass-through benchmark forwards to. It counts what it receives ({@code GET /count}
 * answers {@code <total> <withActor>}: every {@code POST /mcp}, and those carrying the
 * {@code x-zo-actor} header zo-gate sets from a verified signature), which the benchmark
 * compares with what its clients saw.
 *
 * <p>Run as its own process by {@link PassThroughBenchmark}: {@code java -cp <test-classes>
 * io.zogate.load.BenchUpstream PORT}.
 */
final class BenchUpstream implements AutoCloseable {
  static final byte[] REPLY =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\"echo\"}]}}".getBytes(StandardCharsets.UTF_8);
  private final HttpServer server;
  private final ExecutorService pool;
  private final AtomicLong total = new AtomicLong();
  private final AtomicLong withActor = new AtomicLong();

  BenchUpstream() throws IOException {
    this(0);
  }

  BenchUpstream(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
    pool = Executors.newFixedThreadPool(16);
    server.createContext("/mcp", ex -> {
      try (ex; InputStream in = ex.getRequestBody()) {
        in.readAllBytes();
        total.incrementAndGet();
        if (ex.getRequestHeaders().getFirst("x-zo-actor") != null) {
          withActor.incrementAndGet();
        }
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, REPLY.length);
        ex.getResponseBody().write(REPLY);
      }
    });
    server.createContext("/count", ex -> {
      try (ex) {
        byte[] b = (total.get() + " " + withActor.get() + "\n").getBytes(StandardCharsets.US_ASCII);
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
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

  /** {@code BenchUpstream PORT}: serves until the process is stopped. */
  public static void main(String[] args) throws Exception {
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    BenchUpstream up = new BenchUpstream(Integer.parseInt(args[0]));
    System.out.println("bench upstream listening on 127.0.0.1:" + up.port());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      up.close();
      stopped.countDown();
    }, "bench-upstream-shutdown"));
    stopped.await();
  }
}
