package io.zogate.proxy.traffic;

import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * GCRA state in one SQLite file, shared by every zo-gate process on the host.
 *
 * <p>Each decision is one short {@code BEGIN IMMEDIATE} transaction: read the TAT(s), decide with
 * {@link Gcra}, write the new TAT(s) only if every limit allows, commit. {@code IMMEDIATE} takes
 * the write lock before the read, so two processes can never both read the same TAT and both
 * spend the same budget: the count is exact across processes. The file is in WAL mode
 * ({@code synchronous=NORMAL}: a crash may lose the last moments of TATs, which only frees a
 * little budget; it never corrupts the file), and a writer waits up to {@code busyTimeout} for
 * the lock.
 *
 * <p>Time: each process passes its own clock's {@code nowMillis}. On one host they all read the
 * same system clock, so TATs written by one process mean the same to the others. (This is why
 * the store is for one host; across hosts use a store with one clock.) A wall-clock step back
 * makes keys look busier for the length of the step (stricter, never looser); a step forward
 * frees at most one burst.
 *
 * <p>Any {@link SQLException} (busy past the timeout, disk full, a damaged or unwritable file)
 * becomes {@link StoreUnavailableException}, and the connection is reopened on the next
 * decision. Expired rows are deleted, at most 1,000 at a time, once per {@code sweepInterval} by
 * whichever process notices first.
 *
 * <p>One connection per store; threads of one process take turns on it (SQLite admits one
 * writer at a time anyway). Decisions are deliberately not group committed (as the ledger and
 * the replay store are, {@link io.zogate.proxy.governance.GroupCommit}): with WAL and
 * {@code synchronous=NORMAL} a COMMIT waits for no fsync, so a decision's transaction is a few
 * microseconds of CPU and concurrent decisions hardly ever queue behind one another (800
 * decisions from 8 threads made 769 transactions). Batching them was measured and gained
 * nothing; see docs/BENCHMARKS.md, "Group commit for the SQLite rate limits".
 */
public final class SqliteRateLimitStore implements RateLimitStore {

  public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(2);
  private static final long SWEEP_INTERVAL_NANOS = 30_000_000_000L;

  private static final String SCHEMA =
      "CREATE TABLE IF NOT EXISTS rate_limit ("
          + "key TEXT PRIMARY KEY NOT NULL, tat_nanos INTEGER NOT NULL) WITHOUT ROWID";
  private static final String SELECT = "SELECT tat_nanos FROM rate_limit WHERE key = ?";
  private static final String UPSERT =
      "INSERT INTO rate_limit(key, tat_nanos) VALUES(?, ?) "
          + "ON CONFLICT(key) DO UPDATE SET tat_nanos = excluded.tat_nanos";
  private static final String SWEEP =
      "DELETE FROM rate_limit WHERE key IN "
          + "(SELECT key FROM rate_limit WHERE tat_nanos <= ? LIMIT 1000)";

  private final Path file;
  private final Duration busyTimeout;
  private final ReentrantLock lock = new ReentrantLock();
  // all guarded by lock
  private Connection conn;
  private Statement plain;
  private PreparedStatement select;
  private PreparedStatement upsert;
  private PreparedStatement sweep;
  private long nextSweepNanos = Long.MIN_VALUE;
  private boolean closed;

  /** Opens (creating if needed) the store with {@link #DEFAULT_BUSY_TIMEOUT}. */
  public SqliteRateLimitStore(Path file) throws StoreUnavailableException {
    this(file, DEFAULT_BUSY_TIMEOUT);
  }

  /**
   * Opens (creating if needed) the store. Opening checks the file, so a damaged or unwritable
   * file stops start-up instead of failing the first request.
   */
  public SqliteRateLimitStore(Path file, Duration busyTimeout) throws StoreUnavailableException {
    this.file = file.toAbsolutePath();
    this.busyTimeout = busyTimeout;
    if (busyTimeout.isNegative() || busyTimeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("busyTimeout out of range");
    }
    lock.lock();
    try {
      open();
    } catch (SQLException e) {
      closeQuietly();
      throw unavailable(e);
    } finally {
      lock.unlock();
    }
  }

  private void open() throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout((int) busyTimeout.toMillis());
    conn = config.createConnection("jdbc:sqlite:" + file);
    plain = conn.createStatement();
    try (ResultSet rs = plain.executeQuery("PRAGMA journal_mode=WAL")) {
      if (!rs.next() || !"wal".equalsIgnoreCase(rs.getString(1))) {
        throw new SQLException("could not switch " + file + " to WAL");
      }
    }
    plain.execute("PRAGMA synchronous=NORMAL");
    plain.execute(SCHEMA);
    select = conn.prepareStatement(SELECT);
    upsert = conn.prepareStatement(UPSERT);
    sweep = conn.prepareStatement(SWEEP);
  }

  @Override
  public List<Decision> acquireAll(List<Limit> limits, long nowMillis)
      throws StoreUnavailableException {
    MemoryRateLimitStore.requireDistinct(limits);
    long now = Gcra.toNanos(nowMillis);
    lock.lock();
    try {
      if (closed) {
        throw new StoreUnavailableException("rate-limit store closed");
      }
      if (conn == null) {
        open();
      }
      List<Decision> out = decide(limits, now);
      if (now >= nextSweepNanos) {
        nextSweepNanos = now + SWEEP_INTERVAL_NANOS;
        sweepQuietly(now);
      }
      return out;
    } catch (SQLException e) {
      closeQuietly(); // reopen on the next decision: the file may be back by then
      throw unavailable(e);
    } finally {
      lock.unlock();
    }
  }

  private List<Decision> decide(List<Limit> limits, long now) throws SQLException {
    Decision[] out = new Decision[limits.size()];
    boolean all = true;
    plain.execute("BEGIN IMMEDIATE");
    boolean done = false;
    try {
      for (int i = 0; i < out.length; i++) {
        Limit l = limits.get(i);
        select.setString(1, l.key());
        long stored = Gcra.NO_STATE;
        try (ResultSet rs = select.executeQuery()) {
          if (rs.next()) {
            stored = rs.getLong(1);
          }
        }
        out[i] = Gcra.decide(stored, now, l.rate());
        all &= out[i].allowed();
      }
      if (all) {
        for (int i = 0; i < out.length; i++) {
          upsert.setString(1, limits.get(i).key());
          upsert.setLong(2, out[i].tatNanos());
          upsert.executeUpdate();
        }
      }
      plain.execute("COMMIT");
      done = true;
      return List.of(out);
    } finally {
      if (!done) {
        try {
          plain.execute("ROLLBACK");
        } catch (SQLException ignored) {
          // the connection is closed by the caller anyway
        }
      }
    }
  }

  private void sweepQuietly(long now) {
    // A failed sweep must not fail a decision that is already committed; the next decision
    // will meet any real problem itself.
    try {
      sweep.setLong(1, now);
      sweep.executeUpdate();
    } catch (SQLException ignored) {
      // retried at the next interval
    }
  }

  /** Deletes up to 1,000 expired rows now; returns how many (tests and maintenance). */
  public int sweep(long nowMillis) throws StoreUnavailableException {
    lock.lock();
    try {
      if (conn == null) {
        open();
      }
      sweep.setLong(1, Gcra.toNanos(nowMillis));
      return sweep.executeUpdate();
    } catch (SQLException e) {
      closeQuietly();
      throw unavailable(e);
    } finally {
      lock.unlock();
    }
  }

  private StoreUnavailableException unavailable(SQLException e) {
    return new StoreUnavailableException("rate-limit store " + file + ": " + e.getMessage(), e);
  }

  private void closeQuietly() {
    if (conn != null) {
      try {
        conn.close(); // closes the statements too
      } catch (SQLException ignored) {
        // nothing more to do
      }
    }
    conn = null;
    plain = null;
    select = null;
    upsert = null;
    sweep = null;
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      closeQuietly();
    } finally {
      lock.unlock();
    }
  }
}
