package io.zogate.load.gatling;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * A fast MCP upstream on 127.0.0.1 in the simulation's JVM, and the ground truth of what the
 * proxies admitted: every request that reaches it was admitted by some proxy, and it counts
 * them per verified actor ({@code x-zo-actor}, which the proxy sets from the signature) with
 * the first and last arrival on this JVM's monotonic clock.
 */
final class CountingUpstream implements AutoCloseable {
  static {
    // Before the first HttpServer: without it each response can wait ~40 ms for a delayed ACK.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  static final byte[] REPLY =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\"echo\"}]}}".getBytes(StandardCharsets.UTF_8);

  /** Arrivals of one actor. */
  static final class Arrivals {
    final AtomicLong count = new AtomicLong();
    final LongAccumulator firstNanos = new LongAccumulator(Math::min, Long.MAX_VALUE);
    final LongAccumulator lastNanos = new LongAccumulator(Math::max, Long.MIN_VALUE);
  }

  private final HttpServer server;
  private final ExecutorService pool = Executors.newFixedThreadPool(8);
  private final ConcurrentHashMap<String, Arrivals> byActor = new ConcurrentHashMap<>();
  private final AtomicLong withoutActor = new AtomicLong();

  CountingUpstream() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
    server.createContext("/mcp", ex -> {
      long at = System.nanoTime();
      try (ex; InputStream in = ex.getRequestBody()) {
        in.readAllBytes();
        String actor = ex.getRequestHeaders().getFirst("x-zo-actor");
        if (actor == null) {
          withoutActor.incrementAndGet();
        } else {
          Arrivals a = byActor.computeIfAbsent(actor, k -> new Arrivals());
          a.count.incrementAndGet();
          a.firstNanos.accumulate(at);
          a.lastNanos.accumulate(at);
        }
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, REPLY.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(REPLY);
        }
      }
    });
    server.setExecutor(pool);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
  }

  Map<String, Arrivals> byActor() {
    return byActor;
  }

  long count(String actor) {
    Arrivals a = byActor.get(actor);
    return a == null ? 0 : a.count.get();
  }

  long withoutActor() {
    return withoutActor.get();
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
