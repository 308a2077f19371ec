package io.zogate.load.gatling;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} on 127.0.0.1 for the Redis simulation: a free port, no
 * persistence, {@code noeviction} (zo-gate refuses to start on anything else). Fails the run
 * with a clear message if {@code redis-server} is not on the PATH.
 */
final class LocalRedis implements AutoCloseable {
  final int port;
  private final Process process;

  private LocalRedis(int port, Process process) {
    this.port = port;
    this.process = process;
  }

  static LocalRedis start(Path dir) throws Exception {
    String exe = null;
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, "redis-server"))) {
        exe = Path.of(d, "redis-server").toString();
        break;
      }
    }
    if (exe == null) {
      throw new IllegalStateException("redis-server is not on the PATH (Debian: apt-get install redis-server)");
    }
    int port = ProxyFleet.freePort();
    Path log = dir.resolve("redis.log");
    Process p = new ProcessBuilder(exe, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction", "--protected-mode", "yes",
        "--dir", dir.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    LocalRedis r = new LocalRedis(port, p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("redis-server exited " + p.exitValue() + ": " + Files.readString(log));
      }
      if (r.pings()) {
        return r;
      }
      Thread.sleep(20);
    }
    r.close();
    throw new IllegalStateException("redis-server on " + port + " not answering after 20 s");
  }

  String url() {
    return "redis://127.0.0.1:" + port + "/0";
  }

  private boolean pings() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = in.readNBytes(7);
      return new String(buf, StandardCharsets.US_ASCII).equals("+PONG\r\n");
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
