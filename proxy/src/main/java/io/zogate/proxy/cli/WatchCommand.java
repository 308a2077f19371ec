package io.zogate.proxy.cli;

import io.zogate.proxy.config.ConfigException;
import io.zogate.proxy.config.ConfigLoader;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.fallback.FileAuditor;
import io.zogate.proxy.fallback.TreeWatcher;
import io.zogate.proxy.fallback.WatchSettings;
import io.zogate.proxy.governance.Governor;
import io.zogate.proxy.governance.Ledger;
import io.zogate.proxy.governance.LedgerUnavailableException;
import io.zogate.proxy.server.Gateway;
import io.zogate.proxy.server.ProxyServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code watch --config FILE}: the fallback watcher (CONTRACT.md section 7, docs/OPERATIONS.md
 * "Fallback: watch"). Needs {@code watch:} and {@code ledger:} in the configuration; the policy
 * is the proxy's. Exit codes: 2 for a configuration problem at start-up, 1 when the ledger
 * cannot be written or the root vanishes (the watcher stops rather than watch without a
 * record), 0 after a normal shutdown (SIGTERM).
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
    description = "Watches watch.root and records every change as AUDIT_PASS or AUDIT_FAIL in the ledger.")
final class WatchCommand implements Callable<Integer> {
  private static final Logger LOG = Logger.getLogger(WatchCommand.class.getName());

  /** Tests: receives the watcher once it has started, so a test can close it. */
  static volatile Consumer<TreeWatcher> onStarted = w -> {};

  @Spec CommandSpec spec;

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "YAML configuration (CONTRACT.md section 6)")
  Path config;

  @Override
  public Integer call() {
    ProxyConfig cfg;
    WatchSettings settings;
    Governor governor;
    Ledger ledger;
    try {
      cfg = ConfigLoader.load(config, System.getenv());
      ProxyConfig.Watch w = cfg.watch()
          .orElseThrow(() -> new ConfigException("config " + config + ": no watch section (watch: { root, actor, privileged })"));
      if (cfg.ledger().isEmpty()) {
        throw new ConfigException("config " + config + ": watch needs a ledger (ledger: sqlite:PATH) to record its audits");
      }
      settings = WatchSettings.from(w);
      governor = Gateway.governor(cfg);
      ledger = ProxyServer.openLedger(cfg, Clock.systemUTC());
    } catch (ConfigException e) {
      throw new Main.UsageException(e.getMessage());
    }
    PrintWriter err = spec.commandLine().getErr();
    try (Ledger l = ledger;
        TreeWatcher watcher = new TreeWatcher(settings.root(), new FileAuditor(settings, governor, l))) {
      Thread hook = new Thread(watcher::close, "zo-gate-watch-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        watcher.start();
        PrintWriter out = spec.commandLine().getOut();
        out.println("zo-gate watching " + settings.root() + " as " + settings.actor()
            + (settings.privileged().isEmpty() ? "" : "; privileged: " + settings.privileged()));
        out.flush();
        onStarted.accept(watcher);
        watcher.run();
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // The hook is running: that is how we got here.
        }
      }
      return Main.OK;
    } catch (LedgerUnavailableException e) {
      LOG.log(Level.SEVERE, "watch: the ledger cannot be written; stopping: " + e.getMessage());
      err.println("zo-gate: watch: ledger unavailable, stopping (fail closed): " + e.getMessage());
      err.flush();
      return Main.RUNTIME_FAILURE;
    } catch (IOException e) {
      LOG.log(Level.SEVERE, "watch: stopping: " + e.getMessage());
      err.println("zo-gate: watch: " + e.getMessage());
      err.flush();
      return Main.RUNTIME_FAILURE;
    }
  }
}
