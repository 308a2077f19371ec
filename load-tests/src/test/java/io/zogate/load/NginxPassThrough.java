package io.zogate.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * nginx (Debian's package) as a plain pass-through to the same upstream, for scale: keep-alive
 * to the upstream, no logging, listening on 127.0.0.1 only, with a prefix and configuration
 * written for the run under {@code dir} (never the system's). Runs in the foreground
 * ({@code daemon off}), so stopping the process stops nginx.
 */
final class NginxPassThrough {
  static final Path NGINX = Path.of("/usr/sbin/nginx");

  private NginxPassThrough() {}

  static boolean installed() {
    return Files.isExecutable(NGINX);
  }

  /** Starts nginx with {@code workers} worker processes; the caller waits for the port. */
  static BenchProcess start(Path dir, int upstreamPort, int port, int workers) throws IOException {
    Path prefix = Files.createDirectories(dir.resolve("nginx"));
    Files.createDirectories(prefix.resolve("logs"));
    Path conf = prefix.resolve("nginx.conf");
    Files.writeString(conf, """
        worker_processes %d;
        daemon off;
        master_process on;
        pid %s/nginx.pid;
        error_log %s/error.log warn;
        events { worker_connections 1024; }
        http {
          access_log off;
          client_body_temp_path %s/client_body;
          proxy_temp_path %s/proxy;
          fastcgi_temp_path %s/fastcgi;
          uwsgi_temp_path %s/uwsgi;
          scgi_temp_path %s/scgi;
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
        """.formatted(workers, prefix, prefix, prefix, prefix, prefix, prefix, prefix, upstreamPort, port));
    return BenchProcess.start("nginx", List.of(NGINX.toString(), "-p", prefix + "/", "-c", conf.toString()), port,
        prefix.resolve("stdout.log"));
  }
}
