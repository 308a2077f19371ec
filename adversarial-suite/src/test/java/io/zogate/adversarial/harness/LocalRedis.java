package io.zogate.adversarial.harness;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} on 127.0.0.1 for the {@code redis-shared-state} cases, never a mock:
 * a free port, {@code noeviction} (zo-gate refuses anything else), 64 databases (one per proxy
 * cluster, so cases do not share budgets), and an append-only file, so a Redis killed and
 * started again on the same port still holds what it acknowledged, as docs/OPERATIONS.md asks of
 * a production Redis. Redis writes the AOF before it sends the replies, so what it acknowledged
 * is in the kernel's page cache and survives SIGKILL; {@code appendfsync no} spares the shared
 * disk an fsync per write ({@code always}, which production needs against power cuts, would
 * only make the cases slower and flakier here). If {@code redis-server} is not installed the
 * cases FAIL (they are not skipped); {@code .ci/run} installs it.
 *
 * <p>Its own commands ({@code CONFIG SET}, {@code SCRIPT FLUSH}, {@code CLIENT PAUSE},
 * {@code FLUSHDB}) go over a few lines of RESP written here, not through the proxy's Redis
 * client, so the harness does not share code with what it tests.
 */
public final class LocalRedis implements AutoCloseable {
  public static final int DATABASES = 64;
  private static final int IO_TIMEOUT_MILLIS = 10_000;

  public final int port;
  private final Path dir;
  private final Path log;
  private Process process;

  private LocalRedis(Path dir) throws IOException {
    this.dir = dir;
    this.log = dir.resolve("redis.log");
    this.port = Gate.freePort();
  }

  /** Starts a fresh, empty server. */
  public static LocalRedis start() throws Exception {
    LocalRedis r = new LocalRedis(Files.createTempDirectory("zo-adversarial-redis"));
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
    throw new IllegalStateException("redis-server is not installed, so the redis-shared-state cases cannot run:"
        + " install it (Debian: apt-get install redis-server); .ci/run does this in CI");
  }

  /** (Re)starts the server on the same port and directory: what it persisted is loaded again. */
  public synchronized void startAgain() throws Exception {
    if (running()) {
      throw new IllegalStateException("redis-server on " + port + " is already running");
    }
    process = new ProcessBuilder(executable(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--protected-mode", "yes", "--dir", dir.toString(), "--save", "", "--appendonly", "yes",
        "--appendfsync", "no", "--maxmemory-policy", "noeviction", "--databases", Integer.toString(DATABASES))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("redis-server exited " + process.exitValue() + ": " + Files.readString(log));
      }
      if (pings()) {
        return;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("redis-server on " + port + " not answering after 20 s: " + Files.readString(log));
  }

  public synchronized boolean running() {
    return process != null && process.isAlive();
  }

  /** SIGKILL: no goodbye to its clients, as a crash or a lost host. Waits for it to go. */
  public synchronized void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("redis-server on " + port + " did not exit after SIGKILL");
      }
    }
  }

  public String url(int database) {
    return "redis://127.0.0.1:" + port + "/" + database;
  }

  private boolean pings() {
    try {
      return "PONG".equals(command(0, 500, "PING"));
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Runs one command on {@code database} over a new connection and returns the reply: a String
   * for simple strings and bulk strings, a Long for integers, a List for arrays, null for nil.
   *
   * @throws IOException if the server cannot be reached or answers with an error
   */
  public Object command(int database, String... args) throws IOException {
    return command(database, IO_TIMEOUT_MILLIS, args);
  }

  private Object command(int database, int timeoutMillis, String... args) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
      s.setSoTimeout(timeoutMillis);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      if (database != 0) {
        write(out, "SELECT", Integer.toString(database));
        read(in);
      }
      write(out, args);
      return read(in);
    }
  }

  /**
   * Puts the server back the way the suite expects after a case that changed it: running,
   * no memory limit, not paused. Waits out a pause rather than fighting it.
   */
  public void restore() throws Exception {
    if (!running()) {
      startAgain();
    }
    command(0, "CLIENT", "UNPAUSE");
    command(0, "CONFIG", "SET", "maxmemory", "0");
  }

  private static void write(OutputStream out, String... args) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (String a : args) {
      byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
      b.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      b.writeBytes(bytes);
      b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.write(b.toByteArray());
    out.flush();
  }

  private static Object read(InputStream in) throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new EOFException("redis closed the connection");
    }
    String line = line(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new IOException("redis error: " + line);
      case ':':
        return Long.parseLong(line);
      case '$': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        byte[] bytes = in.readNBytes(n + 2);
        if (bytes.length != n + 2) {
          throw new EOFException("short bulk string");
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
      }
      case '*': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        List<Object> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          items.add(read(in));
        }
        return items;
      }
      default:
        throw new IOException("unexpected RESP type '" + (char) type + "'");
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != '\r') {
      if (c < 0) {
        throw new EOFException("redis closed the connection mid-line");
      }
      sb.append((char) c);
    }
    if (in.read() != '\n') {
      throw new IOException("CR without LF in a RESP line");
    }
    return sb.toString();
  }

  @Override
  public void close() throws Exception {
    kill();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
