package io.zogate.proxy.cli;

import io.zogate.proxy.auth.ActorKey;
import io.zogate.proxy.auth.GeneratedEd25519;
import io.zogate.proxy.auth.KeyAlgorithm;
import io.zogate.proxy.auth.KeyStatus;
import io.zogate.proxy.auth.Keyring;
import io.zogate.proxy.auth.KeyringException;
import io.zogate.proxy.auth.KeyringFile;
import io.zogate.proxy.auth.Secret;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code keys generate | rotate | retire | list} (CONTRACT.md section 5): manages the keyring
 * file the proxy re-reads about once a second.
 *
 * <p>Every change is one read-modify-write under an exclusive lock on a sibling {@code FILE.lock}
 * (so two {@code keys} runs cannot lose each other's update) and ends in {@link
 * KeyringFile#write}, which replaces the file atomically with mode 0600. A keyring that does not
 * parse is never overwritten. A new secret (the HMAC secret, or the Ed25519 private seed that the
 * keyring never holds) is printed once, alone on stdout, and only after the file is written;
 * everything else goes to stderr, so {@code keys generate ... > file} captures the secret only.
 * Nothing here logs.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
    description = "Manages the keyring file: generate, rotate, retire, list.",
    subcommands = {KeysCommand.Generate.class, KeysCommand.Rotate.class, KeysCommand.Retire.class,
        KeysCommand.ListKeys.class})
final class KeysCommand implements Runnable {
  @Spec CommandSpec spec;

  /**
   * {@link FileChannel#lock} excludes other processes only; threads of one JVM (tests, an
   * embedding program) queue here first, or the second would get OverlappingFileLockException.
   */
  private static final Object IN_PROCESS_LOCK = new Object();

  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CommandLine.ParameterException(spec.commandLine(),
        "keys needs a command: generate, rotate, retire or list");
  }

  /** The validity window options shared by generate and rotate. */
  static final class Validity {
    @Option(names = "--not-before", paramLabel = "T",
        description = "RFC 3339 UTC time (2026-11-01T00:00:00Z) before which the key is not valid")
    String notBefore;

    @Option(names = "--not-after", paramLabel = "T",
        description = "RFC 3339 UTC time after which the key is not valid")
    String notAfter;

    Instant notBefore() {
      return instant("--not-before", notBefore);
    }

    Instant notAfter() {
      Instant t = instant("--not-after", notAfter);
      if (t != null && t.isBefore(Instant.now())) {
        throw new Main.UsageException("--not-after " + notAfter + " is in the past: the key would never verify");
      }
      Instant nb = notBefore();
      if (t != null && nb != null && t.isBefore(nb)) {
        throw new Main.UsageException("--not-after is before --not-before");
      }
      return t;
    }

    private static Instant instant(String option, String text) {
      if (text == null) {
        return null;
      }
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e) {
        throw new Main.UsageException(option + ": not an RFC 3339 UTC time such as 2026-11-01T00:00:00Z: " + text);
      }
    }
  }

  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Adds a new active key and prints its secret once (HMAC: the shared secret; "
          + "Ed25519: the private seed, which the keyring never stores).")
  static final class Generate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--keyring", required = true, paramLabel = "FILE",
        description = "the keyring file (created, mode 0600, if absent)") Path keyring;
    @Option(names = "--kid", required = true, paramLabel = "K", description = "1-64 chars of [A-Za-z0-9._-]; must be new")
    String kid;
    @Option(names = "--actor", required = true, paramLabel = "A",
        description = "an actor id, or a prefix ending in * after : or / (repeatable)") List<String> actors;
    @Option(names = "--alg", defaultValue = "HMAC-SHA256", paramLabel = "ALG",
        description = "HMAC-SHA256 (default) or Ed25519") String alg;
    @Mixin Validity validity;

    @Override
    public Integer call() throws IOException {
      KeyAlgorithm algorithm = KeyAlgorithm.fromWireName(alg)
          .orElseThrow(() -> new Main.UsageException("--alg must be HMAC-SHA256 or Ed25519, got " + alg));
      Instant notBefore = validity.notBefore();
      Instant notAfter = validity.notAfter();
      NewKey fresh = NewKey.generate(algorithm, kid, actors, notBefore, notAfter);
      update(keyring, true, ring -> {
        if (ring.find(kid).isPresent()) {
          throw new Main.UsageException("kid " + kid + " already exists in " + keyring + "; choose a new kid");
        }
        return ring.with(fresh.key);
      });
      PrintWriter err = spec.commandLine().getErr();
      err.println("zo-gate: added " + describe(fresh.key) + " to " + keyring);
      fresh.print(spec);
      return Main.OK;
    }
  }

  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = "Adds a new active key with the algorithm and actors of --kid, and prints its secret once. "
          + "The old key stays active (clients can move over without downtime) until 'keys retire'.")
  static final class Rotate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--keyring", required = true, paramLabel = "FILE") Path keyring;
    @Option(names = "--kid", required = true, paramLabel = "OLD", description = "the key being replaced") String kid;
    @Option(names = "--new-kid", required = true, paramLabel = "NEW", description = "the new key's kid; must be new")
    String newKid;
    @Mixin Validity validity;

    @Override
    public Integer call() throws IOException {
      Instant notBefore = validity.notBefore();
      Instant notAfter = validity.notAfter();
      if (!io.zogate.proxy.auth.ActorHeaders.isValidKid(newKid)) {
        throw new Main.UsageException("--new-kid must be 1-64 chars of [A-Za-z0-9._-]");
      }
      NewKey[] made = new NewKey[1];
      ActorKey[] old = new ActorKey[1];
      update(keyring, false, ring -> {
        old[0] = ring.find(kid)
            .orElseThrow(() -> new Main.UsageException("--kid: no key " + kid + " in " + keyring));
        if (ring.find(newKid).isPresent()) {
          throw new Main.UsageException("kid " + newKid + " already exists in " + keyring + "; choose a new kid");
        }
        made[0] = NewKey.generate(old[0].algorithm(), newKid, old[0].actorTexts(), notBefore, notAfter);
        return ring.with(made[0].key);
      });
      PrintWriter err = spec.commandLine().getErr();
      err.println("zo-gate: added " + describe(made[0].key) + " to " + keyring);
      if (old[0].status() == KeyStatus.ACTIVE) {
        err.println("zo-gate: key " + kid + " stays active until you run: keys retire --keyring " + keyring
            + " --kid " + kid);
      } else {
        err.println("zo-gate: key " + kid + " was already " + old[0].status().wireName());
      }
      made[0].print(spec);
      return Main.OK;
    }
  }

  @Command(name = "retire", mixinStandardHelpOptions = true,
      description = "Sets a key's status to retired: the proxy refuses it (unknown_key) from its next reload, about a second.")
  static final class Retire implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--keyring", required = true, paramLabel = "FILE") Path keyring;
    @Option(names = "--kid", required = true, paramLabel = "K") String kid;

    @Override
    public Integer call() throws IOException {
      boolean[] changed = new boolean[1];
      update(keyring, false, ring -> {
        ActorKey key = ring.find(kid)
            .orElseThrow(() -> new Main.UsageException("--kid: no key " + kid + " in " + keyring));
        if (key.status() == KeyStatus.RETIRED) {
          return null; // nothing to write
        }
        changed[0] = true;
        return ring.replacing(key.withStatus(KeyStatus.RETIRED));
      });
      spec.commandLine().getErr().println(changed[0]
          ? "zo-gate: retired key " + kid + " in " + keyring
          : "zo-gate: key " + kid + " was already retired; " + keyring + " not changed");
      return Main.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Lists kid, algorithm, status, validity and actors (never secrets; an Ed25519 key's public-key fingerprint).")
  static final class ListKeys implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--keyring", required = true, paramLabel = "FILE") Path keyring;

    @Override
    public Integer call() {
      // No lock: writers replace the file by rename, so a reader sees one whole version.
      Keyring ring = load(keyring, false).orElseThrow();
      warnIfOpen(keyring, spec.commandLine().getErr());
      Instant now = Instant.now();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"KID", "ALG", "STATUS", "NOT-BEFORE", "NOT-AFTER", "ACTORS", "PUBLIC-KEY"});
      for (ActorKey key : ring.keys()) {
        rows.add(new String[] {
            key.kid(),
            key.algorithm().wireName(),
            state(key, now),
            key.notBefore().map(Instant::toString).orElse("-"),
            key.notAfter().map(Instant::toString).orElse("-"),
            String.join(",", key.actorTexts()),
            key.ed25519PublicKey().map(KeysCommand::fingerprint).orElse("-")});
      }
      PrintWriter out = spec.commandLine().getOut();
      int[] widths = new int[rows.get(0).length];
      for (String[] row : rows) {
        for (int i = 0; i < row.length; i++) {
          widths[i] = Math.max(widths[i], row[i].length());
        }
      }
      for (String[] row : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < row.length; i++) {
          line.append(row[i]);
          if (i < row.length - 1) {
            line.append(" ".repeat(widths[i] - row[i].length() + 2));
          }
        }
        out.println(line.toString().stripTrailing());
      }
      out.flush();
      return Main.OK;
    }
  }

  /** The stored status, and why an active key does not verify right now. */
  static String state(ActorKey key, Instant now) {
    if (key.status() != KeyStatus.ACTIVE) {
      return key.status().wireName();
    }
    if (key.notBefore().isPresent() && now.isBefore(key.notBefore().get())) {
      return "active(not-yet-valid)";
    }
    if (key.notAfter().isPresent() && now.isAfter(key.notAfter().get())) {
      return "active(expired)";
    }
    return "active";
  }

  /** {@code SHA256:} and unpadded base64 of the raw public key's hash, as ssh-keygen prints. Public data only. */
  static String fingerprint(byte[] publicKey) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(publicKey);
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String describe(ActorKey key) {
    return "key " + key.kid() + " (" + key.algorithm().wireName() + ", actors " + String.join(",", key.actorTexts())
        + (key.notBefore().isPresent() ? ", not before " + key.notBefore().get() : "")
        + (key.notAfter().isPresent() ? ", not after " + key.notAfter().get() : "") + ")";
  }

  /** A generated key and the secret to hand to its client. Not a record: no generated toString. */
  private static final class NewKey {
    final ActorKey key;
    final Secret secret;

    private NewKey(ActorKey key, Secret secret) {
      this.key = key;
      this.secret = secret;
    }

    static NewKey generate(KeyAlgorithm algorithm, String kid, List<String> actors, Instant notBefore,
        Instant notAfter) {
      try {
        if (algorithm == KeyAlgorithm.HMAC_SHA256) {
          ActorKey key = ActorKey.generateHmac(kid, actors).withValidity(notBefore, notAfter);
          return new NewKey(key, key.hmacSecret().orElseThrow());
        }
        GeneratedEd25519 pair = ActorKey.generateEd25519(kid, actors);
        return new NewKey(pair.actorKey().withValidity(notBefore, notAfter), pair.privateSeed());
      } catch (IllegalArgumentException e) {
        // ActorKey's messages name the kid and the offending actor pattern, never key material.
        throw new Main.UsageException(e.getMessage());
      }
    }

    /** The secret alone on stdout, the explanation on stderr. Called once, after the file is written. */
    void print(CommandSpec spec) {
      PrintWriter err = spec.commandLine().getErr();
      if (key.algorithm() == KeyAlgorithm.HMAC_SHA256) {
        err.println("zo-gate: the key's base64 HMAC secret follows on stdout. It is shown once: give it to the"
            + " client over a secure channel; 'keys list' never shows it.");
      } else {
        err.println("zo-gate: the key's base64 Ed25519 private seed follows on stdout. It is shown once and stored"
            + " nowhere (the keyring holds only the public key): give it to the client now"
            + " ('sign --private-key FILE' reads it).");
      }
      err.flush();
      byte[] raw = secret.revealCopy();
      try {
        PrintWriter out = spec.commandLine().getOut();
        out.println(Base64.getEncoder().encodeToString(raw));
        out.flush();
      } finally {
        Arrays.fill(raw, (byte) 0);
      }
    }
  }

  /**
   * Reads the keyring, applies {@code change} and writes the result, all under the keyring's
   * lock. {@code change} returns null when there is nothing to write; it throws {@link
   * Main.UsageException} to refuse. A file that does not parse is reported and left alone.
   */
  static void update(Path keyring, boolean createIfMissing, UnaryOperator<Keyring> change) throws IOException {
    Path file = keyring.toAbsolutePath().normalize();
    Path dir = file.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new Main.UsageException("--keyring " + keyring + ": directory " + dir + " does not exist");
    }
    Path lock = file.resolveSibling(file.getFileName() + ".lock");
    boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
    synchronized (IN_PROCESS_LOCK) {
      try (FileChannel channel = posix
              ? FileChannel.open(lock, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), OWNER_ONLY)
              : FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        FileLock held = channel.lock(); // blocks until no other process holds it
        try {
          Keyring current = load(file, createIfMissing).orElse(Keyring.empty());
          Keyring next = change.apply(current);
          if (next == null) {
            return;
          }
          checkOwner(file);
          KeyringFile.write(file, next);
        } finally {
          held.release();
        }
      }
    }
  }

  /** The parsed keyring; empty only when the file is absent and {@code absentIsEmpty}. */
  static Optional<Keyring> load(Path file, boolean absentIsEmpty) {
    if (!Files.exists(file)) {
      if (absentIsEmpty) {
        return Optional.empty();
      }
      throw new Main.UsageException("--keyring " + file + " does not exist (keys generate creates it)");
    }
    try {
      return Optional.of(KeyringFile.load(file));
    } catch (KeyringException e) {
      // The message names the field or position, never key material; the file is left as it is.
      throw new Main.UsageException(e.getMessage() + " (file left unchanged)");
    }
  }

  /**
   * Refuses to rewrite a keyring owned by another user: the rewritten file is owned by whoever
   * runs {@code keys}, mode 0600, so a proxy running as the old owner could no longer read it
   * (it would keep the old keyring and fail at its next start). Run {@code keys} as the
   * proxy's user instead ({@code sudo -u zo-gate ...}).
   */
  static void checkOwner(Path file) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    long me;
    Object owner;
    try {
      me = new com.sun.security.auth.module.UnixSystem().getUid();
      owner = Files.getAttribute(file, "unix:uid");
    } catch (UnsupportedOperationException | IllegalArgumentException | LinkageError | NoSuchFileException e) {
      return; // not a Unix file system: nothing to compare
    }
    if (owner instanceof Integer uid && uid.longValue() != me) {
      String name = Files.getOwner(file).getName();
      throw new Main.UsageException("keyring " + file + " is owned by " + name + " (uid " + uid + "), not by uid " + me
          + ": run keys as that user (e.g. sudo -u " + name + " ...), or the rewritten file (mode 0600) would be"
          + " unreadable to the proxy; file left unchanged");
    }
  }

  /** A keyring readable by group or others holds secrets in the open: say so (list only warns). */
  static void warnIfOpen(Path file, PrintWriter err) {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      Set<PosixFilePermission> open = Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
      if (perms.stream().anyMatch(open::contains)) {
        err.println("zo-gate: warning: " + file + " is " + PosixFilePermissions.toString(perms)
            + "; a keyring should be mode 0600 (chmod 600 " + file + ")");
        err.flush();
      }
    } catch (IOException | UnsupportedOperationException e) {
      // Not POSIX, or vanished since it was read: nothing useful to add.
    }
  }
}
