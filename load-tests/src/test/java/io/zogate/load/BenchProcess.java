package io.zogate.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One process under test (or the upstream), started by the benchmark with its output in a log
 * file and stopped by it: politely (SIGTERM), then forcibly after 10 s. Every live one is also
 * stopped by a shutdown hook of the benchmark's JVM, so a failed or interrupted run leaves
 * nothing listening.
 */
final class BenchProcess implements AutoCloseable {
  private static final Set<BenchProcess> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (BenchProcess p : LIVE) {
        p.close();
      }
    }, "bench-process-reaper"));
  }

  private final String name;
  private final Process process;
  private final int port;
  private final Path log;

  private BenchProcess(String name, Process process, int port, Path log) {
    this.name = name;
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts {@code command}, which is to listen on 127.0.0.1:{@code port}. */
  static BenchProcess start(String name, List<String> command, int port, Path log) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    BenchProcess bp = new BenchProcess(name, p, port, log);
    LIVE.add(bp);
    return bp;
  }

  /** The java binary of this JVM, so every Java process runs on the same JDK. */
  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  /** Waits until the port accepts connections; throws with the log if the process exits first. */
  BenchProcess awaitListening(long timeoutSeconds) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited " + process.exitValue() + " before listening: " + tail());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return this;
      } catch (IOException notYet) {
        Thread.sleep(20);
      }
    }
    throw new IllegalStateException(name + " not listening on " + port + " after " + timeoutSeconds + " s: " + tail());
  }

  String name() {
    return name;
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  Path log() {
    return log;
  }

  /** The last 2,000 characters of the log. */
  String tail() {
    try {
      String s = Files.readString(log);
      return s.length() > 2000 ? "..." + s.substring(s.length() - 2000) : s;
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Stops the process: SIGTERM, up to 10 s, then SIGKILL. Returns its exit code (or -1). */
  int stop() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      LIVE.remove(this);
    }
    return process.isAlive() ? -1 : process.exitValue();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      stop();
    } else {
      LIVE.remove(this);
    }
  }
}
