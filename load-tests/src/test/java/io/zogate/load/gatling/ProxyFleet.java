package io.zogate.load.gatling;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code zo-gate.jar}, started as separate OS processes ({@code java -jar zo-gate.jar
 * serve --config}) on 127.0.0.1, each with its own generated configuration, all in front of
 * one upstream. Closing it stops every process (politely, then forcibly); a JVM shutdown hook
 * does the same if the simulation never reaches its after-hook.
 */
final class ProxyFleet implements AutoCloseable {
  static final String PROXY_HEAP = "-Xmx256m";

  record Instance(int index, int port, Process process, Path log) {
    String authority() {
      return "127.0.0.1:" + port;
    }

    String url() {
      return "http://" + authority() + "/mcp";
    }
  }

  private final List<Instance> instances = new ArrayList<>();
  private final Thread reaper = new Thread(this::close, "zo-gate-fleet-reaper");

  private ProxyFleet() {
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /**
   * Starts {@code count} proxies with {@code rateLimit: { store, perActor }} and waits until
   * each listens. {@code store} is {@code memory} or {@code sqlite:PATH}.
   */
  static ProxyFleet start(Path jar, Path dir, int count, String store, String perActor,
      String upstreamUrl, Path keyring) throws Exception {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no proxy jar at " + jar
          + ": build it first (mvn -B -q install -DskipTests), or pass -Dzogate.jar=...");
    }
    ProxyFleet fleet = new ProxyFleet();
    try {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      for (int i = 0; i < count; i++) {
        int port = freePort();
        Path config = dir.resolve("proxy-" + i + ".yaml");
        Files.writeString(config, """
            listen: 127.0.0.1:%d
            upstream:
              url: %s
            auth:
              keyring: %s
            replay: { store: memory }
            rateLimit: { store: "%s", perActor: %s }
            """.formatted(port, upstreamUrl, keyring, store, perActor));
        Path log = dir.resolve("proxy-" + i + ".log");
        Process p = new ProcessBuilder(java, "-Xms32m", PROXY_HEAP, "-XX:+UseSerialGC",
            "-jar", jar.toString(), "serve", "--config", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
        fleet.instances.add(new Instance(i, port, p, log));
      }
      for (Instance in : fleet.instances) {
        awaitListening(in);
      }
      return fleet;
    } catch (Exception | Error e) {
      fleet.close();
      throw e;
    }
  }

  List<Instance> instances() {
    return instances;
  }

  /**
   * Sends {@code perInstance} signed requests to each proxy, one at a time, each as its own
   * throw-away actor (so none of them spends a measured actor's budget): JIT warm-up of the
   * admit path before the clock starts. Bounded by count and by a 20 s deadline.
   */
  void warmUp(ContractSigner signer, String actorPrefix, byte[] body, int perInstance) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    int n = 0;
    for (int r = 0; r < perInstance && System.nanoTime() < deadline; r++) {
      for (Instance in : instances) {
        String actor = actorPrefix + (n++);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(in.url()))
            .timeout(Duration.ofSeconds(5))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (Map.Entry<String, String> h : signer.headers(actor, "POST", in.authority(), "/mcp", body).entrySet()) {
          b.header(h.getKey(), h.getValue());
        }
        HttpResponse<String> resp = client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (resp.statusCode() != 200) {
          throw new IllegalStateException("warm-up request to proxy " + in.index() + " answered "
              + resp.statusCode() + ": " + resp.body());
        }
      }
    }
  }

  /** VmRSS and VmHWM of each proxy process, in KiB, from /proc (Linux); -1 where unknown. */
  List<long[]> rssKib() {
    List<long[]> out = new ArrayList<>();
    for (Instance in : instances) {
      out.add(new long[] {procStatus(in.process().pid(), "VmRSS"), procStatus(in.process().pid(), "VmHWM")});
    }
    return out;
  }

  static long procStatus(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return -1;
  }

  /** Which processes died during the run (a crash is an error of the run, not a refusal). */
  List<String> deadInstances() {
    List<String> dead = new ArrayList<>();
    for (Instance in : instances) {
      if (!in.process().isAlive()) {
        dead.add("proxy " + in.index() + " exited " + in.process().exitValue() + " (log " + in.log() + ")");
      }
    }
    return dead;
  }

  @Override
  public synchronized void close() {
    for (Instance in : instances) {
      in.process().destroy();
    }
    for (Instance in : instances) {
      try {
        if (!in.process().waitFor(10, TimeUnit.SECONDS)) {
          in.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        in.process().destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    if (Thread.currentThread() != reaper) {
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  private static void awaitListening(Instance in) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!in.process().isAlive()) {
        throw new IllegalStateException("proxy " + in.index() + " exited " + in.process().exitValue()
            + ": " + Files.readString(in.log()));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", in.port()), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("proxy " + in.index() + " not listening after 60 s: " + Files.readString(in.log()));
  }
}
