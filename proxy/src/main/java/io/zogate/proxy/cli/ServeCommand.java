package io.zogate.proxy.cli;

import io.zogate.proxy.config.ConfigException;
import io.zogate.proxy.config.ConfigLoader;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.server.Gateway;
import io.zogate.proxy.server.ProxyServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "serve", mixinStandardHelpOptions = true, description = "Runs the proxy (--config FILE), or a self-contained demo (--demo).")
final class ServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration (CONTRACT.md section 6)")
  Path config;

  @Option(names = "--demo", description = "127.0.0.1 with an embedded MCP upstream, a generated dev key and a printed signed curl example")
  boolean demo;

  @Option(names = "--port", description = "with --demo: the port to listen on (default ${DEFAULT-VALUE}; 0 picks a free one)")
  int port = 8787;

  @Override
  public Integer call() throws Exception {
    if ((config == null) == !demo) {
      throw new Main.UsageException("serve needs exactly one of --config FILE or --demo");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (demo) {
      try (Demo d = Demo.start(port)) {
        out.println(d.instructions());
        out.flush();
        awaitShutdown(d.server());
      }
      return Main.OK;
    }
    ProxyServer server;
    try {
      ProxyConfig cfg = ConfigLoader.load(config, System.getenv());
      server = Gateway.open(cfg, System.getenv(), Optional.empty());
    } catch (ConfigException e) {
      throw new Main.UsageException(e.getMessage());
    } catch (IOException e) {
      throw new Main.UsageException("cannot listen: " + e.getMessage());
    }
    out.println("zo-gate listening on " + server.url());
    out.flush();
    awaitShutdown(server);
    return Main.OK;
  }

  private static void awaitShutdown(ProxyServer server) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "zo-gate-shutdown"));
    stopped.await();
  }
}
