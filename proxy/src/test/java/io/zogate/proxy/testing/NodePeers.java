package io.zogate.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Node side of the interop tests: {@code interop/} (npm packages pinned by its
 * package-lock.json, installed by {@code npm ci}, as {@code .ci/run} does), bounded runs of node
 * scripts, and node servers on 127.0.0.1 that are stopped with the test. Nothing here skips:
 * without Node or the packages the tests fail and say what to run.
 */
public final class NodePeers {
  private NodePeers() {}

  /** The repository's interop/ directory, from the module directory or the repository root. */
  public static Path interopDir() {
    for (Path p : List.of(Path.of("interop"), Path.of("..", "interop"))) {
      if (Files.isRegularFile(p.resolve("client.mjs"))) {
        return p.toAbsolutePath().normalize();
      }
    }
    throw new AssertionError("interop/ not found from " + Path.of("").toAbsolutePath());
  }

  /** Fails unless each npm package is installed in interop/node_modules. */
  public static void requireModules(Path interop, String... modules) {
    for (String module : modules) {
      assertThat(interop.resolve("node_modules").resolve(module).resolve("package.json"))
          .as("%s is not installed: run (cd interop && npm ci --no-audit --no-fund), as .ci/run does", module)
          .isRegularFile();
    }
  }

  /** The preload that keeps a node process on 127.0.0.1 (listening and connecting), as a URL for --import. */
  public static String loopbackPreload(Path interop) {
    return interop.resolve("loopback.mjs").toUri().toString();
  }

  /**
   * Node 22 from npm ({@code node-<os>-<arch>}, an optional dependency pinned in
   * interop/package.json, with the real binary in the package), for tools that need it while the
   * machine's node may be older. Fails when this platform has none.
   */
  public static Path node22(Path interop, Path logDir) throws Exception {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String npmOs = os.contains("linux") ? "linux" : os.contains("mac") ? "darwin" : os;
    String npmArch = arch.equals("amd64") || arch.equals("x86_64") ? "x64" : arch.equals("aarch64") ? "arm64" : arch;
    Path node = interop.resolve("node_modules").resolve("node-" + npmOs + "-" + npmArch).resolve("bin/node");
    assertThat(node).as("Node 22 from npm for %s-%s (interop/package.json optionalDependencies; run npm ci in interop/)",
        npmOs, npmArch).isRegularFile().isExecutable();
    String version = run(interop, logDir, List.of(node.toString(), "--version"), Map.of(), 20).strip();
    assertThat(version).as("%s --version", node).startsWith("v22.");
    return node;
  }

  /** Runs a command in interop/, bounded; its output (stdout and stderr) when it exits 0. */
  public static String run(Path interop, Path logDir, List<String> command, Map<String, String> env, int timeoutSeconds)
      throws Exception {
    Result r = runAllowingExit(interop, logDir, command, env, timeoutSeconds);
    assertThat(r.exitCode()).as("%s exited with\n%s", command, r.output()).isZero();
    return r.output();
  }

  /** What a bounded run left: its exit code and its output (stdout and stderr, interleaved). */
  public record Result(int exitCode, String output) {}

  /** Runs a command in interop/, bounded (killed and failed past the timeout), whatever its exit code. */
  public static Result runAllowingExit(Path interop, Path logDir, List<String> command, Map<String, String> env,
      int timeoutSeconds) throws Exception {
    Path log = Files.createTempFile(logDir, "cmd", ".log");
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(interop.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile());
      pb.environment().putAll(env);
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command.get(0) + " (Node is needed for this test): " + e.getMessage(), e);
    }
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError(command + " did not finish in " + timeoutSeconds + " s:\n" + Files.readString(log));
    }
    return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  /** A node server started in interop/, listening on a port of 127.0.0.1; closing stops it. */
  public static final class Server implements AutoCloseable {
    public final int port;
    private final Process process;
    private final Path log;

    private Server(int port, Process process, Path log) {
      this.port = port;
      this.process = process;
      this.log = log;
    }

    /**
     * Starts {@code command} (which must listen on {@code port}), waits until the port accepts
     * connections, and checks that it listens on 127.0.0.1 only.
     */
    public static Server start(Path interop, Path log, List<String> command, Map<String, String> env, int port,
        Duration startTimeout) throws Exception {
      ProcessBuilder pb = new ProcessBuilder(command).directory(interop.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile());
      pb.environment().putAll(env);
      Process process;
      try {
        process = pb.start();
      } catch (IOException e) {
        throw new AssertionError("cannot run " + command.get(0) + " (Node is needed for this test): " + e.getMessage(), e);
      }
      Server server = new Server(port, process, log);
      try {
        server.awaitListening(startTimeout);
        assertThat(listenAddresses(port)).as("%s listens on loopback only", command).containsOnly("0100007F");
      } catch (Throwable t) {
        server.close();
        throw t;
      }
      return server;
    }

    public String log() throws IOException {
      return Files.readString(log, StandardCharsets.UTF_8);
    }

    private void awaitListening(Duration max) throws Exception {
      long deadline = System.nanoTime() + max.toNanos();
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new AssertionError("the server exited: " + log());
        }
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 500);
          return;
        } catch (IOException e) {
          Thread.sleep(100);
        }
      }
      throw new AssertionError("the server did not listen on " + port + " within " + max + ": " + log());
    }

    @Override
    public void close() throws InterruptedException {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** The local addresses (kernel hex) of the listening sockets on a port, from /proc/net/tcp{,6}. */
  public static List<String> listenAddresses(int port) throws IOException {
    String hexPort = String.format(":%04X", port);
    List<String> found = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path p = Path.of(table);
      if (!Files.isReadable(p)) {
        continue;
      }
      for (String line : Files.readAllLines(p)) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 3 && f[1].endsWith(hexPort) && f[3].equals("0A")) {
          found.add(f[1].substring(0, f[1].length() - hexPort.length()));
        }
      }
    }
    assertThat(found).as("a listening socket on port %d in /proc/net/tcp*", port).isNotEmpty();
    return found;
  }
}
