package io.zogate.proxy.auth;

import io.zogate.proxy.governance.GroupCommit;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * A replay store in a SQLite file, shared by every zo-gate process on one host that serves the
 * same authority, and kept across restarts.
 *
 * <p>Claims are group committed ({@link GroupCommit}): concurrent claims in this process are
 * written in batches, one short {@code BEGIN IMMEDIATE} transaction (one fsync) per batch, and
 * a claim returns only after its batch committed; a claim alone is written at once. Each claim
 * in a batch is decided on its own, behind a savepoint: an upsert that inserts the pair or
 * takes over an expired row (and does nothing if the pair is held, including by an earlier
 * claim of the same batch), then a capacity check on a counter row that triggers keep equal
 * to the row count, so no claim runs {@code COUNT(*)}. A failed batch is rolled back whole and
 * fails every claim in it. {@code IMMEDIATE} takes the write lock up front, so two processes
 * never deadlock upgrading a read lock, and {@code busy_timeout} makes a waiting writer queue
 * instead of failing. WAL lets readers run beside the writer; by default {@code synchronous=FULL} makes
 * each committed nonce survive power loss (see {@link Durability}). Every
 * {@link SQLException} becomes {@link StoreUnavailableException}: the proxy fails closed.
 */
public final class SqliteReplayStore implements ReplayStore {
  static final int BUSY_TIMEOUT_MILLIS = 2_000;
  private static final int PURGE_BATCH = 5_000;
  /** Connections kept open between claims; more are opened under load and closed after. */
  private static final int MAX_IDLE_SESSIONS = 8;
  /** Claims in one transaction at most. */
  static final int MAX_CLAIM_BATCH = 256;
  /** Claims waiting at most; one more waits up to the busy timeout for room, then is refused. */
  static final int CLAIM_QUEUE_CAPACITY = 4 * MAX_CLAIM_BATCH;

  /** How hard each committed claim is pushed to disk. */
  public enum Durability {
    /**
     * {@code synchronous=FULL}: fsync per claim; a claim that returned survives power loss.
     * The default, because a nonce lost in a crash can be replayed after the restart.
     */
    EVERY_CLAIM,
    /**
     * {@code synchronous=NORMAL}: survives a process crash, but the last claims before a power
     * loss may be lost. About 8x the claims/s here; an operator's explicit choice.
     */
    PROCESS_CRASH_ONLY
  }

  private static final String[] SCHEMA = {
    "CREATE TABLE IF NOT EXISTS replay_nonce ("
        + " actor TEXT NOT NULL, nonce TEXT NOT NULL, expires_at INTEGER NOT NULL,"
        + " PRIMARY KEY (actor, nonce)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS replay_nonce_expiry ON replay_nonce (expires_at)",
    "CREATE TABLE IF NOT EXISTS replay_meta ("
        + " id INTEGER PRIMARY KEY CHECK (id = 0), held INTEGER NOT NULL, created_at INTEGER NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS replay_nonce_added AFTER INSERT ON replay_nonce"
        + " BEGIN UPDATE replay_meta SET held = held + 1 WHERE id = 0; END",
    "CREATE TRIGGER IF NOT EXISTS replay_nonce_removed AFTER DELETE ON replay_nonce"
        + " BEGIN UPDATE replay_meta SET held = held - 1 WHERE id = 0; END",
  };

  private static final String CLAIM =
      "INSERT INTO replay_nonce (actor, nonce, expires_at) VALUES (?, ?, ?)"
          + " ON CONFLICT (actor, nonce) DO UPDATE SET expires_at = excluded.expires_at"
          + " WHERE replay_nonce.expires_at < ?";
  private static final String HELD = "SELECT held FROM replay_meta WHERE id = 0";
  private static final String PURGE =
      "DELETE FROM replay_nonce WHERE (actor, nonce) IN"
          + " (SELECT actor, nonce FROM replay_nonce WHERE expires_at < ? LIMIT " + PURGE_BATCH + ")";

  private final String url;
  private final SQLiteConfig.SynchronousMode synchronous;
  private final Path file;
  private final long capacity;
  private final Clock clock;
  private final long createdAtMillis;
  private final Set<Session> open = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Session> idle = new ConcurrentLinkedQueue<>();
  private final ScheduledExecutorService purger;
  /**
   * SQLite's busy handler polls with growing sleeps, not a queue: under steady contention one
   * writer can starve past busy_timeout. This process's writers (a batch of claims, a purge
   * batch) therefore queue fairly here, so only one of them at a time competes (with other
   * processes) for the file's write lock.
   */
  private final ReentrantLock writeTurn = new ReentrantLock(true);
  /** Claims queue here and are written in batches, one transaction each ({@link #writeBatch}). */
  private final GroupCommit<PendingClaim> claims;
  private volatile boolean closed;

  /**
   * One connection with its prepared statements. A JDBC connection is not thread-safe, so a
   * session is used by one thread at a time, borrowed from a small idle pool: claims on
   * request threads reuse connections without leaking one per thread of a changing pool.
   */
  private static final class Session implements AutoCloseable {
    final Connection connection;
    final Statement plain;
    final PreparedStatement claim;
    final PreparedStatement held;
    final PreparedStatement purge;
    /** Each claim of a batch runs behind this savepoint (prepared once: it runs per claim). */
    final PreparedStatement savepoint;
    final PreparedStatement releaseSavepoint;
    final PreparedStatement rollbackToSavepoint;

    /** @param nowMillis recorded as the store's creation time if this creates the schema */
    /**
     * @param first whether this is the store's first connection: only it switches the file to
     *     WAL (a persistent setting) and creates the schema, because changing the journal mode
     *     needs a lock that is not retried under busy_timeout and would fail beside busy writers
     */
    Session(String url, SQLiteConfig.SynchronousMode synchronous, boolean first, long nowMillis)
        throws SQLException {
      SQLiteConfig config = new SQLiteConfig();
      if (first) {
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
      }
      config.setSynchronous(synchronous);
      config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
      this.connection = config.createConnection(url);
      try {
        this.plain = connection.createStatement();
        if (first) {
          ensureSchema(this, nowMillis);
        }
        this.claim = connection.prepareStatement(CLAIM);
        this.held = connection.prepareStatement(HELD);
        this.purge = connection.prepareStatement(PURGE);
        this.savepoint = connection.prepareStatement("SAVEPOINT claim");
        this.releaseSavepoint = connection.prepareStatement("RELEASE claim");
        this.rollbackToSavepoint = connection.prepareStatement("ROLLBACK TO claim");
      } catch (SQLException e) {
        connection.close();
        throw e;
      }
    }

    void begin() throws SQLException {
      // IMMEDIATE takes the write lock now; a deferred transaction upgrading later could
      // fail with SQLITE_BUSY at once, which busy_timeout does not retry.
      plain.execute("BEGIN IMMEDIATE");
    }

    void commit() throws SQLException {
      plain.execute("COMMIT");
    }

    void rollbackQuietly() {
      try {
        plain.execute("ROLLBACK");
      } catch (SQLException ignored) {
        // No transaction open (BEGIN failed), or the connection is gone.
      }
    }

    long held() throws SQLException {
      try (ResultSet rs = held.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("replay_meta row missing");
        }
        return rs.getLong(1);
      }
    }

    /** Deletes up to one batch of expired pairs; returns how many. */
    int purge(long now) throws SQLException {
      purge.setLong(1, now);
      return purge.executeUpdate();
    }

    @Override
    public void close() {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // Closing anyway.
      }
    }
  }

  /**
   * Opens (creating if needed) the store file and checks it is a usable SQLite database.
   *
   * @throws StoreUnavailableException if the file cannot be opened, created or written
   */
  public SqliteReplayStore(Path file, long capacity, Clock clock) throws StoreUnavailableException {
    this(file, capacity, clock, Durability.EVERY_CLAIM);
  }

  public SqliteReplayStore(Path file, long capacity, Clock clock, Durability durability)
      throws StoreUnavailableException {
    this.synchronous = durability == Durability.EVERY_CLAIM
        ? SQLiteConfig.SynchronousMode.FULL
        : SQLiteConfig.SynchronousMode.NORMAL;
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.file = file.toAbsolutePath();
    this.url = "jdbc:sqlite:" + this.file;
    this.capacity = capacity;
    this.clock = Objects.requireNonNull(clock, "clock");
    Session session;
    try {
      session = new Session(url, synchronous, true, clock.millis());
      open.add(session);
    } catch (SQLException e) {
      throw unavailable("cannot open", e);
    }
    try (ResultSet rs = session.plain.executeQuery("SELECT created_at FROM replay_meta WHERE id = 0")) {
      if (!rs.next()) {
        throw new SQLException("replay_meta row missing");
      }
      this.createdAtMillis = rs.getLong(1);
    } catch (SQLException e) {
      closeAll();
      throw unavailable("cannot open", e);
    }
    release(session);
    this.claims = new GroupCommit<>(this::writeBatch, CLAIM_QUEUE_CAPACITY, MAX_CLAIM_BATCH, BUSY_TIMEOUT_MILLIS,
        TimeUnit.MILLISECONDS);
    this.purger = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "zo-gate-replay-purge-sqlite");
      thread.setDaemon(true);
      return thread;
    });
    purger.scheduleWithFixedDelay(this::purgeInBackground, 10, 10, TimeUnit.SECONDS);
  }

  private static void ensureSchema(Session session, long nowMillis) throws SQLException {
    session.begin();
    try {
      for (String ddl : SCHEMA) {
        session.plain.execute(ddl);
      }
      try (PreparedStatement init = session.connection.prepareStatement(
          "INSERT INTO replay_meta (id, held, created_at) VALUES (0, 0, ?)"
              + " ON CONFLICT (id) DO NOTHING")) {
        init.setLong(1, nowMillis);
        init.executeUpdate();
      }
      session.commit();
    } catch (SQLException e) {
      session.rollbackQuietly();
      throw e;
    }
  }

  /** One claim waiting for its batch; its outcome counts only if the batch committed. */
  private static final class PendingClaim extends GroupCommit.Slot {
    enum Outcome { CLAIMED, REUSED, FULL }

    final String actorId;
    final String nonce;
    final long expiresAtMillis;
    Outcome outcome;

    PendingClaim(String actorId, String nonce, long expiresAtMillis) {
      this.actorId = actorId;
      this.nonce = nonce;
      this.expiresAtMillis = expiresAtMillis;
    }
  }

  @Override
  public void claim(String actorId, String nonce, long expiresAtMillis)
      throws RefusalException, StoreUnavailableException {
    Objects.requireNonNull(actorId, "actorId");
    Objects.requireNonNull(nonce, "nonce");
    if (closed) {
      throw new StoreUnavailableException("sqlite replay store " + file + " is closed");
    }
    PendingClaim p = new PendingClaim(actorId, nonce, expiresAtMillis);
    claims.commit(p);
    Throwable failure = p.failure();
    if (failure instanceof GroupCommit.Refused refused) {
      throw new StoreUnavailableException("sqlite replay store " + file + ": not written: " + refused.getMessage());
    }
    if (failure instanceof SQLException e) {
      throw unavailable("claim failed", e);
    }
    if (failure instanceof StoreUnavailableException e) {
      throw new StoreUnavailableException(e.getMessage(), e);
    }
    if (failure != null) {
      throw new StoreUnavailableException("sqlite replay store " + file + ": claim failed: " + failure, failure);
    }
    switch (p.outcome) {
      case CLAIMED -> { }
      case REUSED -> throw new RefusalException(Reason.NONCE_REUSED, "nonce reused by actor " + actorId);
      case FULL -> throw new StoreUnavailableException(
          "sqlite replay store " + file + " is full (" + capacity + " unexpired nonces)");
      default -> throw new IllegalStateException("no outcome");
    }
  }

  private void awaitWriteTurn() throws StoreUnavailableException {
    try {
      if (!writeTurn.tryLock(BUSY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
        throw new StoreUnavailableException(
            "sqlite replay store " + file + ": busy for " + BUSY_TIMEOUT_MILLIS + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("sqlite replay store " + file + ": interrupted");
    }
  }

  /**
   * The group committer's half of a claim: every pending claim of the batch in one transaction
   * (one fsync under {@code synchronous=FULL}), each decided on its own exactly as a claim alone
   * would be, in queue order: an earlier claim of the same pair in the batch makes a later one a
   * replay, and a claim that finds the store full is undone to its savepoint (with the purge
   * it tried) without touching the others. Any SQL error rolls the whole batch back and fails it.
   */
  private void writeBatch(List<PendingClaim> batch) throws SQLException, StoreUnavailableException {
    awaitWriteTurn();
    Session session = null;
    try {
      session = borrow();
      session.begin();
      boolean committed = false;
      try {
        for (PendingClaim p : batch) {
          long now = clock.millis();
          p.outcome = null;
          session.savepoint.execute();
          session.claim.setString(1, p.actorId);
          session.claim.setString(2, p.nonce);
          session.claim.setLong(3, p.expiresAtMillis);
          session.claim.setLong(4, now);
          if (session.claim.executeUpdate() == 0) {
            p.outcome = PendingClaim.Outcome.REUSED;
          } else {
            boolean full = false;
            if (session.held() > capacity) {
              session.purge(now);
              full = session.held() > capacity;
            }
            if (full) {
              session.rollbackToSavepoint.execute();
              p.outcome = PendingClaim.Outcome.FULL;
            } else {
              p.outcome = PendingClaim.Outcome.CLAIMED;
            }
          }
          session.releaseSavepoint.execute();
        }
        session.commit();
        committed = true;
      } finally {
        if (!committed) {
          session.rollbackQuietly();
        }
      }
      release(session);
    } catch (SQLException | RuntimeException e) {
      discard(session);
      throw e;
    } finally {
      writeTurn.unlock();
    }
  }

  /** Claims waiting for a batch, for tests. */
  int queuedClaims() {
    return claims.queued();
  }

  /** Whether a batch of claims is being written, for tests. */
  boolean writingClaims() {
    return claims.writing();
  }

  /** Transactions committed by claims (each one fsync with {@link Durability#EVERY_CLAIM}), for tests. */
  long claimTransactions() {
    return claims.transactions();
  }

  /**
   * The creation time of the store file: no nonce from before it was recorded, so older
   * requests cannot be told from replays. For a file that outlives restarts this is far in the
   * past, so a restart does not refuse fresh requests.
   */
  @Override
  public long earliestAcceptableTsMillis() {
    return createdAtMillis;
  }

  @Override
  public void purgeExpired() throws StoreUnavailableException {
    long now = clock.millis();
    Session session = null;
    try {
      session = borrow();
      int deleted;
      do {
        // One short transaction per batch, so claims interleave with a long purge.
        awaitWriteTurn();
        try {
          session.begin();
          deleted = session.purge(now);
          session.commit();
        } catch (SQLException e) {
          session.rollbackQuietly();
          throw e;
        } finally {
          writeTurn.unlock();
        }
      } while (deleted == PURGE_BATCH);
      release(session);
    } catch (SQLException e) {
      discard(session);
      throw unavailable("purge failed", e);
    } catch (StoreUnavailableException | RuntimeException e) {
      release(session);
      throw e;
    }
  }

  private void purgeInBackground() {
    try {
      purgeExpired();
    } catch (StoreUnavailableException e) {
      // The next claim reports the failure to its caller; the purger just tries again later.
    }
  }

  private Session borrow() throws SQLException {
    if (closed) {
      throw new SQLException("replay store is closed");
    }
    Session session = idle.poll();
    return session != null ? session : openSession();
  }

  private Session openSession() throws SQLException {
    Session session = new Session(url, synchronous, false, clock.millis());
    open.add(session);
    return session;
  }

  private void release(Session session) {
    if (session == null) {
      return;
    }
    if (closed || idle.size() >= MAX_IDLE_SESSIONS) {
      discard(session);
    } else {
      idle.offer(session);
    }
  }

  /** After an error a connection's state is unknown: close it, the next claim opens another. */
  private void discard(Session session) {
    if (session != null) {
      open.remove(session);
      session.close();
    }
  }

  private StoreUnavailableException unavailable(String what, SQLException e) {
    return new StoreUnavailableException(
        "sqlite replay store " + file + ": " + what + ": " + e.getMessage(), e);
  }

  private void closeAll() {
    closed = true;
    idle.clear();
    for (Session session : open) {
      session.close();
    }
    open.clear();
  }

  @Override
  public void close() {
    if (purger != null) {
      purger.shutdownNow();
    }
    // Queued claims are written first (bounded), then the connections close.
    if (claims != null) {
      claims.close(2L * BUSY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }
    closeAll();
  }
}
