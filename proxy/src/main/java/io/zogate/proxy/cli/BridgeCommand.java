package io.zogate.proxy.cli;

import io.zogate.proxy.auth.ActorKey;
import io.zogate.proxy.auth.ActorSigner;
import io.zogate.proxy.auth.KeyringException;
import io.zogate.proxy.auth.KeyringFile;
import io.zogate.proxy.bridge.SigningBridge;
import io.zogate.proxy.config.HostPort;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bridge}: a loopback endpoint that signs each request for MCP clients that cannot
 * (CONTRACT.md section 5). See {@link SigningBridge} for what it relays and what it refuses.
 */
@Command(name = "bridge", mixinStandardHelpOptions = true,
    description = "Signs requests for MCP clients that cannot: listens on loopback, signs each request as the actor "
        + "and relays it to zo-gate, answer unchanged.")
final class BridgeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--keyring", required = true, paramLabel = "FILE") Path keyring;
  @Option(names = "--kid", required = true, paramLabel = "K") String kid;
  @Option(names = "--actor", required = true, paramLabel = "A") String actor;
  @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
      description = "where MCP clients connect, e.g. 127.0.0.1:8788 (loopback only unless --allow-non-loopback)")
  String listen;
  @Option(names = "--to", required = true, paramLabel = "URL", description = "zo-gate's URL, e.g. http://127.0.0.1:8787/mcp")
  URI to;
  @Option(names = "--token-file", paramLabel = "FILE",
      description = "require Authorization: Bearer <the file's content, trimmed> on every request")
  Path tokenFile;
  @Option(names = "--private-key", paramLabel = "FILE", description = "Ed25519 keys: file with the base64 32-byte private seed")
  Path privateKey;
  @Option(names = "--allow-non-loopback",
      description = "allow a non-loopback --listen address (anyone who reaches it acts as the actor)")
  boolean allowNonLoopback;
  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
      description = "how long to wait for the answer's headers (default ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    try (SigningBridge bridge = open()) {
      PrintWriter out = spec.commandLine().getOut();
      out.println("zo-gate bridge listening on " + bridge.url() + " -> " + to + " as " + actor + " (key " + kid + ")");
      out.flush();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        bridge.close();
        stopped.countDown();
      }, "zo-gate-bridge-shutdown"));
      stopped.await();
    }
    return Main.OK;
  }

  /** A key that the proxy would refuse for every request is a configuration error, found now. */
  private void checkKeyMayActFor() {
    try {
      ActorKey key = KeyringFile.load(keyring).find(kid).orElseThrow();
      if (!key.isActiveAt(Instant.now())) {
        throw new Main.UsageException("--kid: " + key.inactiveReason(Instant.now()));
      }
      if (!key.mayActFor(actor)) {
        throw new Main.UsageException("--kid: key " + kid + " may not sign for actor " + actor);
      }
    } catch (KeyringException e) {
      throw new Main.UsageException("--keyring: " + e.getMessage());
    }
  }

  /** Everything checked and bound; any problem is a usage error (exit 2). */
  SigningBridge open() {
    if (timeoutSeconds < 1) {
      throw new Main.UsageException("--timeout must be at least 1 second");
    }
    HostPort hp;
    try {
      hp = HostPort.parse(listen);
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException("--listen: " + e.getMessage());
    }
    InetSocketAddress address = hp.toSocketAddress();
    if (address.isUnresolved()) {
      throw new Main.UsageException("--listen: cannot resolve " + hp.host());
    }
    Optional<byte[]> token = Optional.empty();
    if (tokenFile != null) {
      try {
        String t = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        if (t.isEmpty()) {
          throw new Main.UsageException("--token-file: the file is empty");
        }
        token = Optional.of(t.getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new Main.UsageException("--token-file: cannot read " + tokenFile + ": " + e.getClass().getSimpleName());
      }
    }
    ActorSigner signer = SignCommand.signer(keyring, kid, actor, privateKey);
    checkKeyMayActFor();
    SigningBridge.Settings settings = new SigningBridge.Settings(signer, address, to, token, allowNonLoopback,
        Duration.ofSeconds(timeoutSeconds));
    try {
      return SigningBridge.start(settings);
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException(e.getMessage());
    } catch (IOException e) {
      throw new Main.UsageException("--listen: cannot listen on " + hp + ": " + e.getMessage());
    }
  }
}
