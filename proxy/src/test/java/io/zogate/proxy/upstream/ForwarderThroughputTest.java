package io.zogate.proxy.upstream;

import static io.zogate.proxy.upstream.Fixtures.call;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A rough comparison, printed and not asserted (timings are ratios on a shared machine, never
 * pass/fail): small sequential POSTs through the Forwarder against a trivial loopback upstream,
 * and the same through java.net.http.HttpClient.
 */
@Timeout(180)
class ForwarderThroughputTest {

  private static final int REQUESTS = 5000;
  private static final byte[] ANSWER =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}".getBytes(StandardCharsets.UTF_8);

  @Test
  void printsForwarderAndJdkClientThroughput() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    ExecutorService executor = Executors.newFixedThreadPool(2);
    server.setExecutor(executor);
    server.createContext(
        "/mcp",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, ANSWER.length);
          exchange.getResponseBody().write(ANSWER);
          exchange.close();
        });
    server.start();
    URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mcp");
    try (Forwarder forwarder = new Forwarder(UpstreamSettings.defaults(url))) {
      UpstreamRequest request = call(1);
      for (int i = 0; i < 500; i++) {
        forwarder.forward(request, new RecordingResponder());
      }
      long started = System.nanoTime();
      int relayed = 0;
      for (int i = 0; i < REQUESTS; i++) {
        if (forwarder.forward(request, new RecordingResponder()) instanceof ForwardResult.Relayed) {
          relayed++;
        }
      }
      double forwarderRate = REQUESTS / ((System.nanoTime() - started) / 1e9);

      HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpRequest jdkRequest =
          HttpRequest.newBuilder(url)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofByteArray(request.body()))
              .build();
      for (int i = 0; i < 500; i++) {
        jdk.send(jdkRequest, HttpResponse.BodyHandlers.ofByteArray());
      }
      started = System.nanoTime();
      for (int i = 0; i < REQUESTS; i++) {
        jdk.send(jdkRequest, HttpResponse.BodyHandlers.ofByteArray());
      }
      double jdkRate = REQUESTS / ((System.nanoTime() - started) / 1e9);

      System.out.printf(
          "upstream throughput, %d sequential POSTs on loopback: Forwarder (HttpClient 5 classic,"
              + " validated + re-encoded) %.0f req/s; java.net.http.HttpClient (raw) %.0f req/s;"
              + " ratio %.2f%n",
          REQUESTS, forwarderRate, jdkRate, forwarderRate / jdkRate);
      assertThat(relayed).as("every forwarded call relayed").isEqualTo(REQUESTS);
      assertThat(forwarder.pendingWatchdogs()).isZero();
    } finally {
      server.stop(0);
      executor.shutdownNow();
    }
  }
}
