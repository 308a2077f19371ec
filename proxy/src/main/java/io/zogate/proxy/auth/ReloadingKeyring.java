package io.zogate.proxy.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The keyring in force, re-read when its file changes. A daemon thread polls the file (its
 * content hash, so an edit within one mtime tick or of the same size is still seen); the
 * request path only reads an {@link AtomicReference}. A new file that does not parse leaves the
 * old keyring in force and is logged once (CONTRACT.md section 5).
 */
public final class ReloadingKeyring implements Supplier<Keyring>, AutoCloseable {
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

  private static final Logger LOG = Logger.getLogger(ReloadingKeyring.class.getName());

  private final Path file;
  private final AtomicReference<Keyring> current;
  private final ScheduledExecutorService poller;
  // Only the poller thread touches these.
  private byte[] lastSeenHash;
  private boolean lastReadFailed;

  /**
   * Loads the file now (a bad file here is a start-up error) and then polls it.
   *
   * @throws KeyringException if the file cannot be read or parsed at start-up
   */
  public ReloadingKeyring(Path file, Duration pollInterval) throws KeyringException {
    this.file = Objects.requireNonNull(file, "file");
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("poll interval must be positive");
    }
    byte[] bytes = read(file);
    this.current = new AtomicReference<>(KeyringFile.parse(bytes, file.toString()));
    this.lastSeenHash = sha256(bytes);
    this.poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "zo-gate-keyring-reload");
      thread.setDaemon(true);
      return thread;
    });
    long millis = pollInterval.toMillis();
    poller.scheduleWithFixedDelay(this::poll, millis, millis, TimeUnit.MILLISECONDS);
  }

  public ReloadingKeyring(Path file) throws KeyringException {
    this(file, DEFAULT_POLL_INTERVAL);
  }

  @Override
  public Keyring get() {
    return current.get();
  }

  /** Checks the file once; package-visible so tests need not wait for the timer. */
  void poll() {
    byte[] bytes;
    try {
      bytes = read(file);
    } catch (KeyringException e) {
      if (!lastReadFailed) {
        LOG.warning(() -> e.getMessage() + "; the previous keyring stays in force");
      }
      lastReadFailed = true;
      return;
    }
    lastReadFailed = false;
    try {
      byte[] hash = sha256(bytes);
      if (Arrays.equals(hash, lastSeenHash)) {
        return;
      }
      lastSeenHash = hash; // a broken file is reported once, not every second
      Keyring loaded = KeyringFile.parse(bytes, file.toString());
      current.set(loaded);
      LOG.info(() -> "keyring " + file + " reloaded: " + loaded.keys().size() + " keys");
    } catch (KeyringException e) {
      LOG.warning(() -> e.getMessage() + "; the previous keyring stays in force");
    } catch (RuntimeException e) {
      // Never let the poller die: a dead poller would freeze the keyring silently.
      LOG.log(Level.WARNING, "keyring " + file + " reload failed: " + e.getClass().getName());
    }
  }

  private static byte[] read(Path file) throws KeyringException {
    try {
      if (Files.size(file) > KeyringFile.MAX_FILE_BYTES) {
        throw new KeyringException("keyring " + file + ": larger than "
            + KeyringFile.MAX_FILE_BYTES + " bytes");
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new KeyringException("keyring " + file + ": cannot read: " + e.getClass().getSimpleName());
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
