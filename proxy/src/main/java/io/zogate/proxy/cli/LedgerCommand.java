package io.zogate.proxy.cli;

import io.zogate.proxy.config.ConfigException;
import io.zogate.proxy.config.ConfigLoader;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.config.StoreLocation;
import io.zogate.proxy.governance.LedgerCheckpoint;
import io.zogate.proxy.governance.LedgerKey;
import io.zogate.proxy.governance.LedgerUnavailableException;
import io.zogate.proxy.governance.LedgerVerifier;
import io.zogate.proxy.governance.SqliteLedger;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ledger verify} and {@code ledger checkpoint} (CONTRACT.md section 5, docs/LEDGER.md).
 * Both read only {@code ledger} from the configuration, and never write to the ledger. The
 * checkpoint key is {@code --key FILE}, by default the ledger file's path plus {@code .key};
 * {@code checkpoint} creates it (mode 0600) the first time.
 */
@Command(name = "ledger", mixinStandardHelpOptions = true, description = "Checks the audit ledger, or exports its signed head.",
    subcommands = {LedgerCommand.Verify.class, LedgerCommand.Checkpoint.class})
final class LedgerCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CommandLine.ParameterException(spec.commandLine(), "ledger needs a command: verify or checkpoint");
  }

  /** The ledger file the configuration names. */
  static Path ledgerFile(Path config) {
    ProxyConfig cfg;
    try {
      cfg = ConfigLoader.load(config, System.getenv());
    } catch (ConfigException e) {
      throw new Main.UsageException(e.getMessage());
    }
    StoreLocation store = cfg.ledger()
        .orElseThrow(() -> new Main.UsageException("config " + config + ": no ledger configured"));
    if (store instanceof StoreLocation.Sqlite sqlite) {
      return sqlite.file();
    }
    throw new Main.UsageException("ledger: " + store + " is not supported; use sqlite:PATH");
  }

  static Path keyFile(Path ledger, Path key) {
    return key != null ? key : ledger.resolveSibling(ledger.getFileName() + ".key");
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Walks the whole chain; exit 0 only if it is intact (and, with --checkpoint, reaches and agrees with the checkpoint).")
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE") Path config;
    @Option(names = "--checkpoint", paramLabel = "FILE", description = "a checkpoint from 'ledger checkpoint', kept off this host")
    Path checkpoint;
    @Option(names = "--key", paramLabel = "FILE", description = "the checkpoint key (default: the ledger file's path + .key)")
    Path key;

    @Override
    public Integer call() {
      Path ledger = ledgerFile(config);
      PrintWriter out = spec.commandLine().getOut();
      LedgerCheckpoint cp = null;
      if (checkpoint != null) {
        try {
          cp = LedgerCheckpoint.parse(Files.readString(checkpoint, StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
          throw new Main.UsageException("--checkpoint " + checkpoint + ": " + e.getMessage());
        }
        LedgerKey k;
        try {
          k = LedgerKey.load(keyFile(ledger, key));
        } catch (IOException e) {
          throw new Main.UsageException(e.getMessage());
        }
        if (!cp.verifySignature(k)) {
          out.println("FAILED: the checkpoint's signature does not verify with key " + k.kid()
              + " (checkpoint kid " + cp.kid() + "): it was not made with this ledger key, or was altered");
          out.flush();
          return Main.RUNTIME_FAILURE;
        }
      }
      LedgerVerifier.Report r;
      try {
        r = SqliteLedger.verify(ledger, cp);
      } catch (LedgerUnavailableException e) {
        out.println("FAILED: " + e.getMessage());
        out.flush();
        return Main.RUNTIME_FAILURE;
      }
      if (r.problem().isPresent()) {
        LedgerVerifier.Problem p = r.problem().get();
        out.println("FAILED: entry " + p.seq() + ": " + p.what());
        out.println(r.entries() + " entries intact before it (up to seq " + r.head().seq() + ", hash " + r.head().hash() + ")");
        out.flush();
        return Main.RUNTIME_FAILURE;
      }
      out.println("OK: " + r.entries() + " entries, head seq " + r.head().seq() + " hash " + r.head().hash()
          + (cp == null ? "" : "; agrees with the checkpoint at seq " + cp.seq()));
      out.flush();
      return Main.OK;
    }
  }

  @Command(name = "checkpoint", mixinStandardHelpOptions = true,
      description = "Verifies the chain, then prints its head signed with the ledger key, to be kept off this host.")
  static final class Checkpoint implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE") Path config;
    @Option(names = "--key", paramLabel = "FILE", description = "the ledger key (default: the ledger file's path + .key, created if absent)")
    Path key;

    @Override
    public Integer call() {
      Path ledger = ledgerFile(config);
      Path keyPath = keyFile(ledger, key);
      LedgerVerifier.Report r;
      try {
        r = SqliteLedger.verify(ledger, null);
      } catch (LedgerUnavailableException e) {
        spec.commandLine().getErr().println("zo-gate: " + e.getMessage());
        return Main.RUNTIME_FAILURE;
      }
      if (r.problem().isPresent()) {
        // Signing a broken chain would vouch for it.
        spec.commandLine().getErr().println("zo-gate: not signing a broken ledger: " + r.problem().get());
        return Main.RUNTIME_FAILURE;
      }
      LedgerKey k;
      try {
        if (Files.exists(keyPath)) {
          k = LedgerKey.load(keyPath);
        } else {
          k = LedgerKey.generate(keyPath);
          spec.commandLine().getErr().println("zo-gate: created ledger key " + k.kid() + " in " + keyPath);
        }
      } catch (IOException e) {
        throw new Main.UsageException(e.getMessage());
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println(LedgerCheckpoint.sign(r.head(), k, Instant.now()).toJson());
      out.flush();
      return Main.OK;
    }
  }
}
