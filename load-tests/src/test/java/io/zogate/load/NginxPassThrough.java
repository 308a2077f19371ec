package io.zogate.load;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * nginx (Debian's package) as a plain pass-through to the same upstream, for scale: one worker
 * process, keep-alive to the upstream, no logging. Started from a configuration written for the
 * run and stopped with it.
 */
final class NginxPassThrough implements AutoCloseable {
  private final Process process;
  private final int port;

  private NginxPassThrough(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Null when nginx is not installed (the row then says so). */
  static NginxPassThrough startOrNull(Path dir, int upstreamPort) throws IOException, InterruptedException {
    Path nginx = Path.of("/usr/sbin/nginx");
    if (!Files.isExecutable(nginx)) {
      return null;
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path prefix = Files.createDirectories(dir.resolve("nginx"));
    Path conf = prefix.resolve("nginx.conf");
    Files.writeString(conf, """
        worker_processes 1;
        daemon off;
        pid %s/nginx.pid;
        error_log %s/error.log warn;
        events { worker_connections 1024; }
        http {
          access_log off;
          upstream up { server 127.0.0.1:%d; keepalive 64; keepalive_requests 1000000; }
          server {
            listen 127.0.0.1:%d;
            keepalive_requests 1000000;
            location /mcp {
              proxy_pass http://up;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
            }
          }
        }
        """.formatted(prefix, prefix, upstreamPort, port));
    Process p = new ProcessBuilder(nginx.toString(), "-p", prefix.toString(), "-c", conf.toString())
        .redirectErrorStream(true).redirectOutput(prefix.resolve("stdout.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return new NginxPassThrough(p, port);
      } catch (IOException notYet) {
        if (!p.isAlive()) {
          throw new IOException("nginx exited: see " + prefix.resolve("error.log"));
        }
        Thread.sleep(50);
      }
    }
    p.destroyForcibly();
    throw new IOException("nginx did not start listening within 10 s");
  }

  int port() {
    return port;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
