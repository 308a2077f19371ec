package io.zogate.proxy.testing;

import io.zogate.proxy.redis.RedisConnection;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.RedisClient;

/**
 * A real {@code redis-server} process on 127.0.0.1 for tests, never a mock: no persistence, a
 * free port, stopped and restarted on the same port to test outages. If {@code redis-server} is
 * not installed the test FAILS (it does not skip): the Redis stores would otherwise go
 * unchecked. {@code .ci/run} installs it from Debian's packages.
 */
public final class RedisServer implements AutoCloseable {
  private final Path log;
  public final int port;
  private Process process;

  private RedisServer(Path dir) throws IOException {
    this.log = dir.resolve("redis-" + System.nanoTime() + ".log");
    this.port = ProxyFixture.freePort();
  }

  /** Starts a fresh server; fails the test with a clear message if redis-server is missing. */
  public static RedisServer start(Path dir) throws Exception {
    RedisServer r = new RedisServer(dir);
    r.startAgain();
    return r;
  }

  static String executable() {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
      Path p = Path.of(d, "redis-server");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    for (String p : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
      if (Files.isExecutable(Path.of(p))) {
        return p;
      }
    }
    throw new AssertionError("redis-server is not installed, so the Redis store tests cannot run:"
        + " install it (Debian: apt-get install redis-server); .ci/run does this in CI");
  }

  /** (Re)starts the server on the same port, empty. */
  public void startAgain() throws Exception {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("already running");
    }
    process = new ProcessBuilder(executable(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction", "--protected-mode", "yes")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("redis-server exited " + process.exitValue() + ": " + Files.readString(log));
      }
      if (pings()) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("redis-server on " + port + " not answering after 20 s: " + Files.readString(log));
  }

  private boolean pings() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, 7);
      return n == 7 && new String(buf, StandardCharsets.US_ASCII).equals("+PONG\r\n");
    } catch (IOException e) {
      return false;
    }
  }

  /** Kills the server (SIGKILL: no goodbye to clients) and waits for it to go. */
  public void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  public String url() {
    return "redis://127.0.0.1:" + port + "/0";
  }

  public RedisConnection.Endpoint endpoint() {
    return RedisConnection.Endpoint.of(URI.create(url()));
  }

  /** A plain client for the test's own commands (FLUSHALL, SCRIPT FLUSH, CONFIG SET). */
  public RedisClient client() {
    return RedisClient.create("127.0.0.1", port);
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
