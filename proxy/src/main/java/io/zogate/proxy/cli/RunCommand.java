package io.zogate.proxy.cli;

import io.zogate.proxy.auth.Keyring;
import io.zogate.proxy.auth.KeyringException;
import io.zogate.proxy.auth.KeyringFile;
import io.zogate.proxy.auth.ReplayStore;
import io.zogate.proxy.config.ConfigException;
import io.zogate.proxy.config.ConfigLoader;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.config.StoreLocation;
import io.zogate.proxy.fallback.CommandGate;
import io.zogate.proxy.fallback.RunRefusal;
import io.zogate.proxy.governance.Governor;
import io.zogate.proxy.governance.Ledger;
import io.zogate.proxy.server.Gateway;
import io.zogate.proxy.server.ProxyServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code run --config FILE -- CMD ARGS...}: the command wrapper for SSH sessions (CONTRACT.md
 * section 7, {@link CommandGate}). Reads the {@code zo-run-proof-v1} proof from {@code
 * ZO_RUN_*}; needs a persistent replay store (a memory store forgets every nonce when the
 * process ends, so each {@code run} would accept any replay).
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Verifies the ZO_RUN_* proof, asks governance about the exact argv, and executes it (no shell) only if allowed.",
    footer = "Exit status: the command's own; 126 refused (proof or policy); 127 cannot start; 1 replay store or ledger unavailable; 2 usage or configuration.")
final class RunCommand implements Callable<Integer> {
  /** Tests: replaces this process's environment, host name, working directory and streams. */
  record Hooks(Map<String, String> environment, String hostName, Path workingDirectory, CommandGate.Streams streams) {}

  static volatile Hooks hooks;

  @Spec CommandSpec spec;

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "YAML configuration (CONTRACT.md section 6)")
  Path config;

  @Parameters(arity = "1..*", paramLabel = "CMD", description = "after --: the absolute path of the command, then its arguments, passed literally")
  List<String> command;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    try {
      CommandGate.checkArgv(command);
    } catch (RunRefusal r) {
      throw new Main.UsageException("run: " + r.getMessage());
    }
    Hooks h = hooks;
    CommandGate.Context ctx;
    try {
      ctx = h == null ? CommandGate.Context.current()
          : new CommandGate.Context(h.hostName(), h.workingDirectory(), h.environment());
    } catch (IOException e) {
      throw new Main.UsageException("run: cannot read the host name or working directory: " + e.getMessage());
    }
    Clock clock = Clock.systemUTC();
    ProxyConfig cfg;
    Keyring keyring;
    Governor governor;
    try {
      cfg = ConfigLoader.load(config, ctx.environment());
      if (cfg.replay().store() instanceof StoreLocation.Memory) {
        throw new ConfigException("replay.store: run needs a persistent replay store (sqlite:PATH or redis://...); "
            + "a memory store forgets every nonce when the process ends");
      }
      try {
        keyring = KeyringFile.load(cfg.auth().keyring());
      } catch (KeyringException e) {
        throw new ConfigException("auth.keyring: " + e.getMessage());
      }
      governor = Gateway.governor(cfg);
    } catch (ConfigException e) {
      throw new Main.UsageException(e.getMessage());
    }
    try (ReplayStore replay = open(() -> ProxyServer.openReplayStore(cfg, ctx.environment(), clock));
        Ledger ledger = open(() -> ProxyServer.openLedger(cfg, clock))) {
      CommandGate gate = new CommandGate(keyring, clock, cfg.auth().maxSkew(), replay, governor, ledger,
          h == null ? CommandGate.Streams.INHERIT : h.streams());
      return gate.run(command, ctx, err);
    }
  }

  private interface Opener<T> {
    T open() throws ConfigException;
  }

  private static <T> T open(Opener<T> opener) {
    try {
      return opener.open();
    } catch (ConfigException e) {
      throw new Main.UsageException(e.getMessage());
    }
  }
}
