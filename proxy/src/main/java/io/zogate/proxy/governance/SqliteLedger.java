package io.zogate.proxy.governance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The ledger in a SQLite file, through plain JDBC (the driver is found by its {@code jdbc:sqlite:}
 * URL, so governance depends on nothing but {@code java.sql}).
 *
 * <p>One table, one row per entry, {@code seq} the primary key. Appends are written in short
 * transactions, one per batch: concurrent appends in this process queue up ({@link GroupCommit}),
 * and one appender at a time, in its own thread, writes every append pending at that moment (up
 * to {@link #MAX_BATCH}) in one transaction, one fsync, chained in queue order; each appender
 * returns only after its batch committed. An append alone is written at once. {@code BEGIN IMMEDIATE} takes the file's
 * write lock first, so the head read inside it is the head the batch chains to even when
 * several processes share the file. A failed batch is rolled back whole and fails every append
 * in it. WAL, {@code synchronous=FULL} (a returned append survives power loss) and a busy
 * timeout. An intent whose request id the table already holds is refused by a check inside the
 * transaction and, behind it, a partial unique index. Triggers refuse UPDATE and DELETE: a
 * guard against mistakes, not against someone who can write the file; the hash chain and an
 * off-host checkpoint are what catch that. Every {@link SQLException} becomes {@link
 * LedgerUnavailableException}, and the connection is reopened for the next append.
 */
public final class SqliteLedger implements Ledger {
  static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(2);
  /** Appends in one transaction at most. */
  static final int MAX_BATCH = 256;
  /** Appends waiting at most; one more waits up to the busy timeout for room, then is refused. */
  static final int QUEUE_CAPACITY = 4 * MAX_BATCH;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String[] SCHEMA = {
    "CREATE TABLE IF NOT EXISTS ledger ("
        + " seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
        + " time_ms INTEGER NOT NULL,"
        + " kind TEXT NOT NULL,"
        + " request_id TEXT, trace_id TEXT, actor TEXT, operation TEXT, tool TEXT,"
        + " decision TEXT, rule TEXT, risk TEXT,"
        + " ref_seq INTEGER, result TEXT, status INTEGER, reason TEXT,"
        + " targets TEXT NOT NULL,"
        + " prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_intent_request_id ON ledger (request_id) WHERE kind = 'intent'",
    "CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger"
        + " BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger"
        + " BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END",
  };

  static final String COLUMNS = "seq, time_ms, kind, request_id, trace_id, actor, operation, tool, decision, rule,"
      + " risk, ref_seq, result, status, reason, targets, prev_hash, hash";
  private static final String INSERT = "INSERT INTO ledger (" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  private static final String HEAD = "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1";
  private static final String INTENT_EXISTS = "SELECT seq FROM ledger WHERE kind = 'intent' AND request_id = ?";

  private final Path file;
  private final String url;
  private final Clock clock;
  private final Duration busyTimeout;
  /** Appends queue here; one appender at a time writes the pending ones as a batch ({@link #writeBatch}). */
  private final GroupCommit<PendingAppend> commits;
  /** Taken by the committer for a batch and by {@link #head()}. */
  private final ReentrantLock connectionTurn = new ReentrantLock();
  /** The one connection, used only under {@link #connectionTurn}; null after an error until reopened. */
  private Connection connection;
  /** Prepared once per connection, under {@link #connectionTurn}; null with it. */
  private PreparedStatement insertStatement;
  private PreparedStatement existsStatement;
  private PreparedStatement headStatement;
  private volatile boolean closed;

  /**
   * Opens (creating if needed) the ledger file and its table.
   *
   * @throws LedgerUnavailableException if the file cannot be opened, created or written
   */
  public SqliteLedger(Path file, Clock clock) throws LedgerUnavailableException {
    this(file, clock, DEFAULT_BUSY_TIMEOUT);
  }

  public SqliteLedger(Path file, Clock clock, Duration busyTimeout) throws LedgerUnavailableException {
    this.file = file.toAbsolutePath();
    this.url = "jdbc:sqlite:" + this.file;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.busyTimeout = Objects.requireNonNull(busyTimeout, "busyTimeout");
    Path dir = this.file.getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      throw new LedgerUnavailableException("ledger " + this.file + ": directory " + dir + " does not exist");
    }
    try {
      Connection c = connect(url, busyTimeout);
      try (Statement s = c.createStatement()) {
        // Switching to WAL needs a lock busy_timeout does not retry, so only the first connection
        // does it; the mode is stored in the file and later connections find it set.
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("BEGIN IMMEDIATE");
        try {
          for (String ddl : SCHEMA) {
            s.execute(ddl);
          }
          s.execute("COMMIT");
        } catch (SQLException e) {
          rollbackQuietly(c);
          throw e;
        }
        try (ResultSet rs = s.executeQuery(HEAD)) {
          // Reads the head once, so a file that is not a usable ledger fails here, at start-up.
          rs.next();
        }
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      this.connection = c;
    } catch (SQLException e) {
      throw new LedgerUnavailableException("ledger " + this.file + ": cannot open: " + e.getMessage(), e);
    }
    this.commits = new GroupCommit<>(this::writeBatch, QUEUE_CAPACITY, MAX_BATCH, busyTimeout.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  public Path file() {
    return file;
  }

  private static Connection connect(String url, Duration busyTimeout) throws SQLException {
    Connection c = DriverManager.getConnection(url);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout=" + busyTimeout.toMillis());
      s.execute("PRAGMA synchronous=FULL");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  @Override
  public LedgerEntry appendIntent(LedgerRecord intent) throws LedgerUnavailableException, RequestIdReusedException {
    requireKind(intent, LedgerRecord.Kind.INTENT);
    return append(intent);
  }

  @Override
  public LedgerEntry appendOutcome(LedgerRecord outcome) throws LedgerUnavailableException {
    requireKind(outcome, LedgerRecord.Kind.OUTCOME);
    try {
      return append(outcome);
    } catch (RequestIdReusedException e) {
      throw new IllegalStateException("only intents are unique", e);
    }
  }

  @Override
  public LedgerEntry appendRefusal(LedgerRecord refusal) throws LedgerUnavailableException {
    requireKind(refusal, LedgerRecord.Kind.REFUSAL);
    try {
      return append(refusal);
    } catch (RequestIdReusedException e) {
      throw new IllegalStateException("only intents are unique", e);
    }
  }

  @Override
  public LedgerEntry appendAudit(LedgerRecord audit) throws LedgerUnavailableException {
    if (audit.kind() != LedgerRecord.Kind.AUDIT_PASS && audit.kind() != LedgerRecord.Kind.AUDIT_FAIL) {
      throw new IllegalArgumentException("expected an audit entry, got " + audit.kind().wire());
    }
    try {
      return append(audit);
    } catch (RequestIdReusedException e) {
      throw new IllegalStateException("only intents are unique", e);
    }
  }

  private static void requireKind(LedgerRecord r, LedgerRecord.Kind kind) {
    if (r.kind() != kind) {
      throw new IllegalArgumentException("expected a " + kind.wire() + " entry, got " + r.kind().wire());
    }
  }

  /** One append waiting for its batch; the results count only if the batch committed. */
  private static final class PendingAppend extends GroupCommit.Slot {
    final LedgerRecord record;
    final String targets;
    LedgerEntry entry;
    boolean requestIdReused;

    PendingAppend(LedgerRecord record, String targets) {
      this.record = record;
      this.targets = targets;
    }
  }

  private LedgerEntry append(LedgerRecord r) throws LedgerUnavailableException, RequestIdReusedException {
    if (closed) {
      throw new LedgerUnavailableException("ledger " + file + " is closed");
    }
    try {
      // A record that cannot be encoded (a lone surrogate) is refused here, alone, rather than
      // failing the transaction of every append batched with it.
      LedgerCanonical.encode(0, 0, r);
    } catch (IllegalArgumentException e) {
      throw new LedgerUnavailableException("ledger " + file + ": append failed: " + e.getMessage(), e);
    }
    PendingAppend p = new PendingAppend(r, targetsJson(r));
    commits.commit(p);
    Throwable failure = p.failure();
    if (failure instanceof GroupCommit.Refused refused) {
      throw new LedgerUnavailableException("ledger " + file + ": not written: " + refused.getMessage());
    }
    if (failure != null) {
      // A failed batch: rolled back whole. (IllegalArgumentException: the head row holds no
      // valid hash, so nothing can be chained to it.)
      throw new LedgerUnavailableException(failure instanceof LedgerUnavailableException
          ? failure.getMessage()
          : "ledger " + file + ": append failed: " + failure.getMessage(), failure);
    }
    if (p.requestIdReused) {
      throw new RequestIdReusedException(r.requestId());
    }
    return p.entry;
  }

  /**
   * The committer's half of an append: every pending append of the batch in one transaction,
   * chained in queue order to the head read inside that transaction (another process may have
   * appended since the last batch). Any error rolls the whole batch back and fails it; an
   * intent whose request id is taken (in the file or earlier in the batch) is refused alone.
   */
  private void writeBatch(List<PendingAppend> batch) throws LedgerUnavailableException, SQLException {
    connectionTurn.lock();
    try {
      Connection c = open();
      boolean committed = false;
      try (Statement s = c.createStatement()) {
        if (insertStatement == null) {
          insertStatement = c.prepareStatement(INSERT);
          existsStatement = c.prepareStatement(INTENT_EXISTS);
          headStatement = c.prepareStatement(HEAD);
        }
        PreparedStatement insert = insertStatement;
        PreparedStatement exists = existsStatement;
        s.execute("BEGIN IMMEDIATE");
        try {
          LedgerHead head = LedgerHead.EMPTY;
          try (ResultSet rs = headStatement.executeQuery()) {
            if (rs.next()) {
              head = new LedgerHead(rs.getLong(1), rs.getString(2));
            }
          }
          for (PendingAppend p : batch) {
            LedgerRecord r = p.record;
            p.entry = null;
            p.requestIdReused = false;
            if (r.kind() == LedgerRecord.Kind.INTENT) {
              exists.setString(1, r.requestId());
              try (ResultSet rs = exists.executeQuery()) {
                if (rs.next()) {
                  p.requestIdReused = true;
                  continue;
                }
              }
            }
            long seq = head.seq() + 1;
            long time = clock.millis();
            String hash = LedgerCanonical.hash(head.hash(), seq, time, r);
            insert.setLong(1, seq);
            insert.setLong(2, time);
            insert.setString(3, r.kind().wire());
            insert.setString(4, r.requestId());
            insert.setString(5, r.traceId());
            insert.setString(6, r.actor());
            insert.setString(7, r.operation());
            insert.setString(8, r.tool());
            insert.setString(9, r.decision());
            insert.setString(10, r.rule());
            insert.setString(11, r.risk());
            setLong(insert, 12, r.refSeq());
            insert.setString(13, r.result());
            setLong(insert, 14, r.status() == null ? null : r.status().longValue());
            insert.setString(15, r.reason());
            insert.setString(16, p.targets);
            insert.setString(17, head.hash());
            insert.setString(18, hash);
            insert.executeUpdate();
            p.entry = new LedgerEntry(seq, time, r, head.hash(), hash);
            head = p.entry.head();
          }
          s.execute("COMMIT");
          committed = true;
        } finally {
          if (!committed) {
            rollbackQuietly(c);
          }
        }
      } catch (SQLException | RuntimeException e) {
        // The connection's state is unknown after an error (a failed COMMIT may leave a
        // transaction open); the next batch starts on a fresh one.
        discard();
        throw e;
      }
    } finally {
      if (closed) {
        discard(); // a batch queued before close, written after it
      }
      connectionTurn.unlock();
    }
  }

  @Override
  public Optional<LedgerHead> head() throws LedgerUnavailableException {
    awaitConnectionTurn();
    try {
      if (closed) {
        throw new LedgerUnavailableException("ledger " + file + " is closed");
      }
      Connection c = open();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(HEAD)) {
        return rs.next() ? Optional.of(new LedgerHead(rs.getLong(1), rs.getString(2))) : Optional.empty();
      } catch (SQLException | IllegalArgumentException e) {
        discard();
        throw new LedgerUnavailableException("ledger " + file + ": cannot read the head: " + e.getMessage(), e);
      }
    } finally {
      connectionTurn.unlock();
    }
  }

  private void awaitConnectionTurn() throws LedgerUnavailableException {
    try {
      if (!connectionTurn.tryLock(busyTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new LedgerUnavailableException("ledger " + file + ": busy for " + busyTimeout.toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LedgerUnavailableException("ledger " + file + ": interrupted");
    }
  }

  /** Under {@link #connectionTurn}. */
  private Connection open() throws LedgerUnavailableException {
    if (connection == null) {
      if (!Files.exists(file)) {
        // Never recreate a ledger that vanished: a fresh empty chain would hide the loss.
        throw new LedgerUnavailableException("ledger " + file + " no longer exists");
      }
      try {
        connection = connect(url, busyTimeout);
      } catch (SQLException e) {
        throw new LedgerUnavailableException("ledger " + file + ": cannot reopen: " + e.getMessage(), e);
      }
    }
    return connection;
  }

  private void discard() {
    Connection c = connection;
    connection = null;
    insertStatement = null; // closed with their connection
    existsStatement = null;
    headStatement = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // Closing anyway.
      }
    }
  }

  private static void rollbackQuietly(Connection c) {
    try (Statement s = c.createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException ignored) {
      // No transaction open, or the connection is gone.
    }
  }

  private static void setLong(PreparedStatement p, int index, Long value) throws SQLException {
    if (value == null) {
      p.setNull(index, Types.INTEGER);
    } else {
      p.setLong(index, value);
    }
  }

  private static String targetsJson(LedgerRecord r) {
    try {
      return JSON.writeValueAsString(r.targets());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a list of strings always serialises", e);
    }
  }

  /** Transactions committed by this object (each one fsync), for tests and measurements. */
  long transactionsCommitted() {
    return commits.transactions();
  }

  /** Appends waiting for a batch, for tests. */
  int queuedAppends() {
    return commits.queued();
  }

  /** Whether a batch is being written, for tests. */
  boolean writingBatch() {
    return commits.writing();
  }

  /** Whether close has begun refusing appends, for tests. */
  boolean closing() {
    return commits.closed();
  }

  /** Entries committed by this object. */
  long entriesCommitted() {
    return commits.committed();
  }

  /**
   * Stops taking appends, waits for the ones already queued to be written (bounded: twice the
   * busy timeout; those not started by then fail, never an acknowledged one), then closes the
   * connection. A batch still being written after that closes it when it ends.
   */
  @Override
  public void close() {
    closed = true;
    commits.close(2 * busyTimeout.toMillis(), TimeUnit.MILLISECONDS);
    boolean locked = false;
    try {
      locked = connectionTurn.tryLock(busyTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (locked) {
      try {
        discard();
      } finally {
        connectionTurn.unlock();
      }
    }
  }

  /**
   * Walks the ledger file from entry 1 and checks every link ({@link LedgerVerifier}), and,
   * given a checkpoint, that the chain reaches it and agrees with it. Reads in one transaction,
   * so appends by a running proxy do not disturb the walk.
   *
   * @throws LedgerUnavailableException the file is missing or cannot be read as a ledger
   */
  public static LedgerVerifier.Report verify(Path file, LedgerCheckpoint checkpoint) throws LedgerUnavailableException {
    Path f = file.toAbsolutePath();
    if (!Files.isRegularFile(f)) {
      throw new LedgerUnavailableException("ledger " + f + " does not exist");
    }
    LedgerVerifier verifier = new LedgerVerifier(checkpoint);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + f);
        Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout=" + DEFAULT_BUSY_TIMEOUT.toMillis());
      s.execute("BEGIN");
      try (ResultSet rs = s.executeQuery("SELECT " + COLUMNS + " FROM ledger ORDER BY seq")) {
        while (rs.next()) {
          LedgerVerifier.StoredRow row = new LedgerVerifier.StoredRow(rs.getLong(1), rs.getLong(2),
              rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
              rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11), longOrNull(rs, 12),
              rs.getString(13), longOrNull(rs, 14), rs.getString(15), rs.getString(16), rs.getString(17),
              rs.getString(18));
          if (!verifier.accept(row)) {
            break;
          }
        }
      } finally {
        s.execute("COMMIT");
      }
    } catch (SQLException e) {
      throw new LedgerUnavailableException("ledger " + f + ": cannot read: " + e.getMessage(), e);
    }
    return verifier.finish();
  }

  private static Long longOrNull(ResultSet rs, int column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : v;
  }
}
