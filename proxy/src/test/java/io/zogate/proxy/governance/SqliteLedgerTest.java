package io.zogate.proxy.governance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite ledger against a real file: the chain, tampering of every kind, crashes, threads. */
class SqliteLedgerTest {
  @TempDir Path dir;

  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-28T12:00:00Z"), ZoneOffset.UTC);

  Path file() {
    return dir.resolve("ledger.db");
  }

  static LedgerRecord intent(String requestId) {
    Action a = new Action("did:zo:agent:alice", ActionKind.READ, "tools/call", "read_file", List.of("/workspace/a.txt"),
        null);
    return LedgerRecord.intent(requestId, "trace-" + requestId, a, Decision.of(Decision.Verdict.ALLOW, Risk.LOW, "rules[0]"));
  }

  /** Writes n intent/outcome pairs (2n entries) and returns the ledger's head. */
  LedgerHead fill(int pairs) throws Exception {
    try (SqliteLedger ledger = new SqliteLedger(file(), CLOCK)) {
      for (int i = 0; i < pairs; i++) {
        LedgerEntry in = ledger.appendIntent(intent("req_" + i));
        ledger.appendOutcome(LedgerRecord.outcome(in, "t" + i, LedgerRecord.Result.RELAYED, 200, null));
      }
      return ledger.head().orElseThrow();
    }
  }

  LedgerVerifier.Report verify() throws Exception {
    return SqliteLedger.verify(file(), null);
  }

  LedgerVerifier.Report verify(LedgerCheckpoint cp) throws Exception {
    return SqliteLedger.verify(file(), cp);
  }

  /** Raw SQL on the file, as an attacker with write access would run it (triggers dropped first). */
  void tamper(String... sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file()); Statement s = c.createStatement()) {
      s.execute("DROP TRIGGER IF EXISTS ledger_no_update");
      s.execute("DROP TRIGGER IF EXISTS ledger_no_delete");
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  static LedgerVerifier.Problem problem(LedgerVerifier.Report r) {
    assertThat(r.intact()).as("expected a broken chain").isFalse();
    return r.problem().orElseThrow();
  }

  @Test
  void appendsChainAndVerify() throws Exception {
    try (SqliteLedger ledger = new SqliteLedger(file(), CLOCK)) {
      assertThat(ledger.head()).isEmpty();
      LedgerEntry in = ledger.appendIntent(intent("req_a"));
      assertThat(in.seq()).isEqualTo(1);
      assertThat(in.prevHash()).isEqualTo(LedgerHead.ZERO_HASH);
      LedgerEntry out = ledger.appendOutcome(
          LedgerRecord.outcome(in, "t", LedgerRecord.Result.OUTCOME_UNKNOWN, null, "upstream_timeout"));
      assertThat(out.seq()).isEqualTo(2);
      assertThat(out.prevHash()).isEqualTo(in.hash());
      assertThat(out.record().refSeq()).isEqualTo(1);
      assertThat(out.record().requestId()).isEqualTo("req_a");
      LedgerEntry ref = ledger.appendRefusal(LedgerRecord.refusal(null, "t2", "did:zo:agent:alice", null, "invalid_json"));
      assertThat(ref.seq()).isEqualTo(3);
      assertThat(ledger.head()).contains(ref.head());
      assertThat(ref.hash()).isEqualTo(LedgerCanonical.hash(out.hash(), 3, CLOCK.millis(), ref.record()));
    }
    LedgerVerifier.Report r = verify();
    assertThat(r.intact()).isTrue();
    assertThat(r.entries()).isEqualTo(3);
    assertThat(r.head().seq()).isEqualTo(3);
  }

  @Test
  void anEmptyLedgerVerifies() throws Exception {
    new SqliteLedger(file(), CLOCK).close();
    LedgerVerifier.Report r = verify();
    assertThat(r.intact()).isTrue();
    assertThat(r.head()).isEqualTo(LedgerHead.EMPTY);
  }

  @Test
  void aSecondIntentWithTheSameRequestIdIsRefused() throws Exception {
    try (SqliteLedger ledger = new SqliteLedger(file(), CLOCK)) {
      LedgerEntry first = ledger.appendIntent(intent("req_same"));
      assertThatThrownBy(() -> ledger.appendIntent(intent("req_same")))
          .isInstanceOf(RequestIdReusedException.class);
      // The refused intent took no place in the chain; outcomes and refusals may repeat the id.
      ledger.appendOutcome(LedgerRecord.outcome(first, "t", LedgerRecord.Result.RELAYED, 200, null));
      ledger.appendRefusal(LedgerRecord.refusal("req_same", "t", "did:zo:agent:alice", "tools/call", "request_id_reused"));
      assertThat(ledger.head().orElseThrow().seq()).isEqualTo(3);
    }
    // Across a reopen, and as the unique index enforces it even past the in-transaction check.
    try (SqliteLedger ledger = new SqliteLedger(file(), CLOCK)) {
      assertThatThrownBy(() -> ledger.appendIntent(intent("req_same"))).isInstanceOf(RequestIdReusedException.class);
    }
    assertThatThrownBy(() -> tamper("INSERT INTO ledger (seq, time_ms, kind, request_id, targets, prev_hash, hash)"
        + " VALUES (99, 0, 'intent', 'req_same', '[]', '', '')")).hasMessageContaining("UNIQUE");
    assertThat(verify().intact()).isTrue();
  }

  @Test
  void updatesAndDeletesAreRefusedByTheFileItself() throws Exception {
    fill(2);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file()); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute("UPDATE ledger SET decision = 'DENY' WHERE seq = 1"))
          .hasMessageContaining("append-only");
      assertThatThrownBy(() -> s.execute("DELETE FROM ledger WHERE seq = 4")).hasMessageContaining("append-only");
    }
    assertThat(verify().intact()).isTrue();
  }

  @Test
  void aChangedFieldIsCaughtAtItsEntry() throws Exception {
    fill(3);
    tamper("UPDATE ledger SET decision = 'DENY' WHERE seq = 3");
    LedgerVerifier.Problem p = problem(verify());
    assertThat(p.seq()).isEqualTo(3);
    assertThat(p.what()).contains("hash mismatch");
  }

  @Test
  void eachTamperedColumnIsCaught() throws Exception {
    fill(2);
    String[] edits = {"time_ms = time_ms + 1", "kind = 'refusal'", "request_id = 'req_x'", "trace_id = 'x'",
        "actor = 'did:zo:agent:mallory'", "operation = 'tools/list'", "tool = NULL", "rule = 'default'",
        "risk = 'HIGH'", "targets = '[\"/etc/shadow\"]'", "targets = 'not json'", "hash = upper(hash)"};
    for (String edit : edits) {
      Path copy = dir.resolve("copy.db");
      Files.copy(file(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      tamper("UPDATE ledger SET " + edit + " WHERE seq = 1");
      LedgerVerifier.Problem p = problem(verify());
      assertThat(p.seq()).as(edit).isEqualTo(1);
      Files.copy(copy, file(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    assertThat(verify().intact()).isTrue();
    tamper("UPDATE ledger SET status = 500 WHERE seq = 2");
    assertThat(problem(verify()).seq()).isEqualTo(2);
  }

  @Test
  void aDeletedEntryIsAGapNamedAtTheEntryAfterIt() throws Exception {
    fill(3);
    tamper("DELETE FROM ledger WHERE seq = 4");
    LedgerVerifier.Problem p = problem(verify());
    assertThat(p.seq()).isEqualTo(5);
    assertThat(p.what()).contains("sequence gap").contains("4");
  }

  @Test
  void renumberingAfterADeletionBreaksTheLink() throws Exception {
    fill(3);
    tamper("DELETE FROM ledger WHERE seq = 4", "UPDATE ledger SET seq = seq - 1 WHERE seq > 4");
    LedgerVerifier.Problem p = problem(verify());
    assertThat(p.seq()).isEqualTo(4);
    assertThat(p.what()).contains("prev_hash");
  }

  @Test
  void swappedEntriesAreCaughtAtTheFirstOfThem() throws Exception {
    fill(3);
    tamper("UPDATE ledger SET seq = 1000 WHERE seq = 3", "UPDATE ledger SET seq = 3 WHERE seq = 4",
        "UPDATE ledger SET seq = 4 WHERE seq = 1000");
    LedgerVerifier.Problem p = problem(verify());
    assertThat(p.seq()).isEqualTo(3);
    assertThat(p.what()).contains("prev_hash");
  }

  @Test
  void swappingOnlyTheContentsKeepsLinksButBreaksHashes() throws Exception {
    fill(3);
    // Move entry 4's fields into entry 3 while keeping 3's own prev_hash and hash.
    tamper("CREATE TEMP TABLE t AS SELECT * FROM ledger WHERE seq = 4",
        "UPDATE ledger SET kind = (SELECT kind FROM t), ref_seq = (SELECT ref_seq FROM t),"
            + " result = (SELECT result FROM t), status = (SELECT status FROM t), decision = NULL, rule = NULL,"
            + " risk = NULL, operation = NULL, tool = NULL, targets = '[]' WHERE seq = 3");
    LedgerVerifier.Problem p = problem(verify());
    assertThat(p.seq()).isEqualTo(3);
    assertThat(p.what()).contains("hash mismatch");
  }

  @Test
  void aTruncatedTailVerifiesAloneButNotAgainstACheckpoint() throws Exception {
    LedgerHead head = fill(3);
    LedgerKey key = LedgerKey.of("ledger-test", new byte[32]);
    LedgerCheckpoint cp = LedgerCheckpoint.sign(head, key, CLOCK.instant());
    assertThat(verify(cp).intact()).isTrue();
    tamper("DELETE FROM ledger WHERE seq >= 5");
    assertThat(verify().intact()).as("a chain proves order, not completeness").isTrue();
    LedgerVerifier.Problem p = problem(verify(cp));
    assertThat(p.seq()).isEqualTo(5);
    assertThat(p.what()).contains("truncated").contains("entry 4").contains("entry 6");
  }

  @Test
  void aConsistentlyRewrittenChainVerifiesAloneButNotAgainstACheckpoint() throws Exception {
    LedgerHead head = fill(3);
    LedgerCheckpoint cp = LedgerCheckpoint.sign(head, LedgerKey.of("ledger-test", new byte[32]), CLOCK.instant());
    // The attacker replaces the file with a chain of their own making, one entry longer.
    Files.delete(file());
    Files.deleteIfExists(dir.resolve("ledger.db-wal"));
    Files.deleteIfExists(dir.resolve("ledger.db-shm"));
    try (SqliteLedger forged = new SqliteLedger(file(), CLOCK)) {
      for (int i = 0; i < 7; i++) {
        forged.appendRefusal(LedgerRecord.refusal(null, "t", "did:zo:agent:alice", null, "invalid_json"));
      }
    }
    assertThat(verify().intact()).isTrue();
    LedgerVerifier.Problem p = problem(verify(cp));
    assertThat(p.seq()).isEqualTo(6);
    assertThat(p.what()).contains("rewritten");
  }

  @Test
  void aCheckpointIsSignedAndItsSignatureChecked() throws Exception {
    LedgerHead head = fill(1);
    LedgerKey key = LedgerKey.generate(dir.resolve("ledger.key"));
    assertThat(Files.getPosixFilePermissions(dir.resolve("ledger.key")))
        .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    assertThatThrownBy(() -> LedgerKey.generate(dir.resolve("ledger.key"))).hasMessageContaining("already exists");
    LedgerKey loaded = LedgerKey.load(dir.resolve("ledger.key"));
    assertThat(loaded.toString()).doesNotContain(Files.readString(dir.resolve("ledger.key")).split("\"secret\"")[1]
        .replaceAll("[\\s:\",}]", ""));
    LedgerCheckpoint cp = LedgerCheckpoint.sign(head, key, CLOCK.instant());
    LedgerCheckpoint parsed = LedgerCheckpoint.parse(cp.toJson());
    assertThat(parsed).isEqualTo(cp);
    assertThat(parsed.verifySignature(loaded)).isTrue();
    assertThat(parsed.toJson()).contains("\"schema\":\"zo-ledger-checkpoint/v1\"", "\"seq\":2");
    LedgerCheckpoint moved = new LedgerCheckpoint(cp.seq() - 1, cp.hash(), cp.time(), cp.kid(), cp.sig());
    assertThat(moved.verifySignature(loaded)).isFalse();
    assertThat(cp.verifySignature(LedgerKey.of(key.kid(), new byte[32]))).isFalse();
    assertThat(cp.verifySignature(LedgerKey.of("other", new byte[32]))).isFalse();
    assertThatThrownBy(() -> LedgerCheckpoint.parse(cp.toJson().replace("}", ",\"x\":1}")))
        .hasMessageContaining("unknown field");
    assertThatThrownBy(() -> LedgerCheckpoint.parse(cp.toJson().replace("\"seq\":2", "\"seq\":\"2\"")))
        .hasMessageContaining("seq");
  }

  @Test
  void concurrentAppendsFromEightThreadsStayOneLinearChain() throws Exception {
    int threads = 8;
    int each = 40;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    Set<Long> seqs = ConcurrentHashMap.newKeySet();
    try (SqliteLedger ledger = new SqliteLedger(file(), Clock.systemUTC())) {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int tn = t;
        done.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < each; i++) {
            LedgerEntry in = ledger.appendIntent(intent("req_" + tn + "_" + i));
            LedgerEntry out = ledger.appendOutcome(LedgerRecord.outcome(in, "t", LedgerRecord.Result.RELAYED, 200, null));
            assertThat(seqs.add(in.seq())).isTrue();
            assertThat(seqs.add(out.seq())).isTrue();
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    LedgerVerifier.Report r = verify();
    assertThat(r.intact()).isTrue();
    assertThat(r.entries()).isEqualTo(2L * threads * each);
    assertThat(seqs).hasSize(2 * threads * each);
  }

  @Test
  void twoLedgerObjectsOnOneFileInterleaveIntoOneChain() throws Exception {
    try (SqliteLedger a = new SqliteLedger(file(), CLOCK); SqliteLedger b = new SqliteLedger(file(), CLOCK)) {
      for (int i = 0; i < 10; i++) {
        (i % 2 == 0 ? a : b).appendIntent(intent("req_" + i));
      }
      assertThatThrownBy(() -> b.appendIntent(intent("req_0"))).isInstanceOf(RequestIdReusedException.class);
    }
    assertThat(verify().entries()).isEqualTo(10);
  }

  @Test
  void aProcessKilledMidWriteLeavesAChainThatVerifiesAndContinues() throws Exception {
    new SqliteLedger(file(), CLOCK).close();
    List<Long> acknowledged = new ArrayList<>();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> procs = new ArrayList<>();
    try {
      for (int p = 0; p < 2; p++) {
        procs.add(new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
            System.getProperty("java.class.path"), LedgerWriterMain.class.getName(), file().toString(), "req_p" + p + "_",
            "4")
            .redirectError(ProcessBuilder.Redirect.DISCARD).start());
      }
      // Bounded: children that never print (a broken ledger) are killed, so readLine sees the end.
      CompletableFuture.delayedExecutor(60, TimeUnit.SECONDS)
          .execute(() -> procs.forEach(Process::destroyForcibly));
      // Let both write (four threads each, so batches) for a while (the first one to print 30
      // entries), then kill them mid-stream.
      try (BufferedReader out = new BufferedReader(new InputStreamReader(procs.get(0).getInputStream(),
          StandardCharsets.UTF_8))) {
        for (int lines = 0; lines < 30; lines++) {
          String line = out.readLine();
          assertThat(line).as("child wrote entries").isNotNull();
          acknowledged.add(Long.parseLong(line));
        }
        for (Process p : procs) {
          p.destroyForcibly();
        }
        for (Process p : procs) {
          assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
      }
    } finally {
      procs.forEach(Process::destroyForcibly);
    }
    LedgerVerifier.Report r = verify();
    assertThat(r.intact()).as(String.valueOf(r.problem())).isTrue();
    assertThat(r.entries()).isGreaterThanOrEqualTo(60);
    java.util.Map<Long, String> rows = storedRows();
    assertThat(acknowledged).allSatisfy(seq -> assertThat(rows).containsKey(seq));
    try (SqliteLedger ledger = new SqliteLedger(file(), CLOCK)) {
      ledger.appendIntent(intent("req_after_crash"));
    }
    assertThat(verify().entries()).isEqualTo(r.entries() + 1);
  }

  @Test
  void aLedgerThatCannotWriteIsUnavailableAndRecovers() throws Exception {
    fill(1);
    try (SqliteLedger ledger = new SqliteLedger(file(), CLOCK, Duration.ofMillis(200));
        Connection blocker = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = blocker.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      assertThatThrownBy(() -> ledger.appendIntent(intent("req_busy"))).isInstanceOf(LedgerUnavailableException.class);
      s.execute("ROLLBACK");
      s.execute("CREATE TRIGGER full BEFORE INSERT ON ledger BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
      assertThatThrownBy(() -> ledger.appendIntent(intent("req_full")))
          .isInstanceOf(LedgerUnavailableException.class).hasMessageContaining("full");
      s.execute("DROP TRIGGER full");
      assertThat(ledger.appendIntent(intent("req_ok")).seq()).isEqualTo(3);
    }
    assertThat(verify().intact()).isTrue();
  }

  @Test
  void aMissingDirectoryOrAFileThatIsNoDatabaseCannotBeOpened() throws Exception {
    assertThatThrownBy(() -> new SqliteLedger(dir.resolve("no/such/dir/ledger.db"), CLOCK))
        .isInstanceOf(LedgerUnavailableException.class);
    Files.writeString(file(), "this is not a sqlite database, just text long enough to have a header.........");
    assertThatThrownBy(() -> new SqliteLedger(file(), CLOCK)).isInstanceOf(LedgerUnavailableException.class);
    assertThatThrownBy(() -> SqliteLedger.verify(dir.resolve("absent.db"), null))
        .isInstanceOf(LedgerUnavailableException.class);
  }

  /** Every stored row by seq: its request id, kind and hash. */
  java.util.Map<Long, String> storedRows() throws Exception {
    java.util.Map<Long, String> rows = new java.util.HashMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file()); Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery("SELECT seq, kind, request_id, hash FROM ledger")) {
      while (rs.next()) {
        rows.put(rs.getLong(1), rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4));
      }
    }
    return rows;
  }

  static String row(LedgerEntry e) {
    return e.record().kind().wire() + " " + e.record().requestId() + " " + e.hash();
  }

  /**
   * Threads on {@code ledgers} (round robin) append intent/outcome pairs; checks each thread's
   * sequence numbers strictly increase and returns every acknowledged entry.
   */
  List<LedgerEntry> appendConcurrently(List<SqliteLedger> ledgers, int threads, int pairs) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<LedgerEntry> acked = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int tn = t;
        SqliteLedger ledger = ledgers.get(t % ledgers.size());
        done.add(pool.submit(() -> {
          go.await();
          long last = 0;
          for (int i = 0; i < pairs; i++) {
            LedgerEntry in = ledger.appendIntent(intent("req_" + tn + "_" + i));
            LedgerEntry out = ledger.appendOutcome(LedgerRecord.outcome(in, "t", LedgerRecord.Result.RELAYED, 200, null));
            assertThat(in.seq()).isGreaterThan(last);
            assertThat(out.seq()).isGreaterThan(in.seq());
            last = out.seq();
            acked.add(in);
            acked.add(out);
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    return acked;
  }

  /** Every acknowledged entry is in the file exactly as acknowledged, once; the chain verifies. */
  void assertAllAcknowledgedStored(List<LedgerEntry> acked) throws Exception {
    LedgerVerifier.Report r = verify();
    assertThat(r.intact()).as(String.valueOf(r.problem())).isTrue();
    java.util.Map<Long, String> rows = storedRows();
    assertThat(r.entries()).isEqualTo(rows.size());
    Set<Long> seen = new java.util.HashSet<>();
    for (LedgerEntry e : acked) {
      assertThat(seen.add(e.seq())).as("seq %d acknowledged twice", e.seq()).isTrue();
      assertThat(rows.get(e.seq())).as("entry %d as acknowledged", e.seq()).isEqualTo(row(e));
    }
  }

  @Test
  void sixteenThreadsAreGroupCommittedIntoOneChainWithFewerTransactionsThanEntries() throws Exception {
    int threads = 16;
    int pairs = 30;
    long transactions;
    long entries;
    List<LedgerEntry> acked;
    try (SqliteLedger ledger = new SqliteLedger(file(), Clock.systemUTC())) {
      acked = appendConcurrently(List.of(ledger), threads, pairs);
      transactions = ledger.transactionsCommitted();
      entries = ledger.entriesCommitted();
    }
    assertThat(acked).hasSize(2 * threads * pairs);
    assertThat(entries).isEqualTo(acked.size());
    assertAllAcknowledgedStored(acked);
    assertThat(verify().entries()).isEqualTo(acked.size());
    System.out.printf("[measure] SqliteLedger: %d entries from %d threads in %d transactions%n", entries, threads,
        transactions);
    assertThat(transactions).as("group commit: fewer transactions than entries").isLessThan(entries);
  }

  /** A connection holding the file's write lock, so the ledger's next batch waits (busy timeout). */
  Connection holdWriteLock() throws Exception {
    Connection blocker = DriverManager.getConnection("jdbc:sqlite:" + file());
    try (Statement s = blocker.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
    }
    return blocker;
  }

  /** Bounded wait until {@code n} appends are queued behind the batch being written. */
  static void awaitQueued(SqliteLedger ledger, int n) throws InterruptedException {
    GroupCommitTest.await(() -> ledger.queuedAppends() == n);
  }

  @Test
  void appendsQueuedBehindAWriteAreCommittedInOneTransaction() throws Exception {
    fill(1);
    ExecutorService pool = Executors.newCachedThreadPool();
    try (SqliteLedger ledger = new SqliteLedger(file(), CLOCK, Duration.ofSeconds(10))) {
      List<Future<LedgerEntry>> appends = new ArrayList<>();
      try (Connection blocker = holdWriteLock()) {
        appends.add(pool.submit(() -> ledger.appendIntent(intent("req_first"))));
        GroupCommitTest.await(ledger::writingBatch); // req_first is the batch being written
        for (int i = 0; i < 10; i++) {
          int n = i;
          appends.add(pool.submit(() -> ledger.appendIntent(intent("req_q" + n))));
        }
        awaitQueued(ledger, 10); // the first is writing (waiting for the lock), ten behind it
        try (Statement s = blocker.createStatement()) {
          s.execute("COMMIT");
        }
      }
      List<LedgerEntry> acked = new ArrayList<>();
      for (Future<LedgerEntry> f : appends) {
        acked.add(f.get(30, TimeUnit.SECONDS));
      }
      assertThat(ledger.transactionsCommitted()).isEqualTo(2);
      assertThat(ledger.entriesCommitted()).isEqualTo(11);
      assertThat(acked.get(0).seq()).isEqualTo(3);
      assertThat(acked).extracting(LedgerEntry::seq).doesNotHaveDuplicates().allMatch(q -> q >= 3 && q <= 13);
      assertAllAcknowledgedStored(acked);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFailedBatchFailsAllItsAppendersLeavesNothingAndTheNextBatchChainsToTheRealHead() throws Exception {
    fill(1);
    ExecutorService pool = Executors.newCachedThreadPool();
    try (SqliteLedger ledger = new SqliteLedger(file(), CLOCK, Duration.ofSeconds(10))) {
      Future<LedgerEntry> first;
      List<Future<LedgerEntry>> batch = new ArrayList<>();
      try (Connection blocker = holdWriteLock(); Statement s = blocker.createStatement()) {
        first = pool.submit(() -> ledger.appendIntent(intent("req_first")));
        GroupCommitTest.await(ledger::writingBatch); // req_first is the batch being written
        for (String id : List.of("req_x", "req_poison", "req_y")) {
          batch.add(pool.submit(() -> ledger.appendIntent(intent(id))));
        }
        awaitQueued(ledger, 3);
        // One entry of the next batch makes its insert fail (as a full disk would).
        s.execute("CREATE TRIGGER poison BEFORE INSERT ON ledger WHEN NEW.request_id = 'req_poison'"
            + " BEGIN SELECT RAISE(ABORT, 'poisoned entry'); END");
        s.execute("COMMIT");
      }
      assertThat(first.get(30, TimeUnit.SECONDS).seq()).isEqualTo(3);
      for (Future<LedgerEntry> f : batch) {
        assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(LedgerUnavailableException.class)
            .hasMessageContaining("poisoned entry");
      }
      assertThat(storedRows()).hasSize(3).doesNotContainKey(4L);
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file()); Statement s = c.createStatement()) {
        s.execute("DROP TRIGGER poison");
      }
      // Nothing of the failed batch is visible; the same request ids go through now.
      LedgerEntry x = ledger.appendIntent(intent("req_x"));
      assertThat(x.seq()).isEqualTo(4);
      assertThat(x.prevHash()).isEqualTo(first.get().hash());
      assertThat(ledger.transactionsCommitted()).isEqualTo(2);
    } finally {
      pool.shutdownNow();
    }
    assertThat(verify().intact()).isTrue();
    assertThat(verify().entries()).isEqualTo(4);
  }

  @Test
  void aReusedRequestIdInABatchIsRefusedAloneAndTheRestCommit() throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool();
    try (SqliteLedger ledger = new SqliteLedger(file(), CLOCK, Duration.ofSeconds(10))) {
      ledger.appendIntent(intent("req_old"));
      List<Future<LedgerEntry>> batch = new ArrayList<>();
      try (Connection blocker = holdWriteLock()) {
        Future<LedgerEntry> first = pool.submit(() -> ledger.appendIntent(intent("req_first")));
        batch.add(first);
        awaitWriting(ledger, first);
        // Queued one by one, so the order is known: the second req_dup is the reuse.
        for (String id : List.of("req_dup", "req_old", "req_dup", "req_ok")) {
          batch.add(pool.submit(() -> ledger.appendIntent(intent(id))));
          awaitQueued(ledger, batch.size() - 1);
        }
        try (Statement s = blocker.createStatement()) {
          s.execute("COMMIT");
        }
      }
      assertThat(batch.get(0).get(30, TimeUnit.SECONDS).seq()).isEqualTo(2);
      assertThat(batch.get(1).get(30, TimeUnit.SECONDS).seq()).isEqualTo(3);
      assertThatThrownBy(() -> batch.get(2).get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(RequestIdReusedException.class);
      assertThatThrownBy(() -> batch.get(3).get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(RequestIdReusedException.class);
      assertThat(batch.get(4).get(30, TimeUnit.SECONDS).seq()).isEqualTo(4);
      assertThat(ledger.transactionsCommitted()).isEqualTo(3);
    } finally {
      pool.shutdownNow();
    }
    assertThat(verify().intact()).isTrue();
    assertThat(verify().entries()).isEqualTo(4);
  }

  /** Bounded wait until a batch is being written (the append just submitted, the only one). */
  static void awaitWriting(SqliteLedger ledger, Future<?> append) throws InterruptedException {
    // The caller holds the write lock, so the append cannot finish; once it left the queue it is in a batch.
    GroupCommitTest.await(ledger::writingBatch);
    assertThat(append.isDone()).isFalse();
  }

  @Test
  void closeWritesTheQueuedAppendsThenRefusesNewOnes() throws Exception {
    fill(1);
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      SqliteLedger ledger = new SqliteLedger(file(), CLOCK, Duration.ofSeconds(10));
      List<Future<LedgerEntry>> appends = new ArrayList<>();
      Future<?> closing;
      try (Connection blocker = holdWriteLock()) {
        appends.add(pool.submit(() -> ledger.appendIntent(intent("req_first"))));
        GroupCommitTest.await(ledger::writingBatch); // req_first is the batch being written
        for (int i = 0; i < 3; i++) {
          int n = i;
          appends.add(pool.submit(() -> ledger.appendIntent(intent("req_q" + n))));
        }
        awaitQueued(ledger, 3);
        closing = pool.submit(ledger::close);
        GroupCommitTest.await(ledger::closing);
        assertThatThrownBy(() -> ledger.appendIntent(intent("req_late"))).isInstanceOf(LedgerUnavailableException.class)
            .hasMessageContaining("closed");
        try (Statement s = blocker.createStatement()) {
          s.execute("COMMIT");
        }
      }
      closing.get(30, TimeUnit.SECONDS);
      List<LedgerEntry> acked = new ArrayList<>();
      for (Future<LedgerEntry> f : appends) {
        acked.add(f.get(30, TimeUnit.SECONDS));
      }
      assertAllAcknowledgedStored(acked);
      assertThat(verify().entries()).isEqualTo(6);
      assertThatThrownBy(ledger::head).isInstanceOf(LedgerUnavailableException.class);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoLedgerObjectsOnOneFileWithManyThreadsEachKeepOneChain() throws Exception {
    List<LedgerEntry> acked;
    long transactions;
    try (SqliteLedger a = new SqliteLedger(file(), Clock.systemUTC()); SqliteLedger b = new SqliteLedger(file(),
        Clock.systemUTC())) {
      acked = appendConcurrently(List.of(a, b), 12, 20);
      transactions = a.transactionsCommitted() + b.transactionsCommitted();
      assertThat(a.entriesCommitted()).isEqualTo(240);
      assertThat(b.entriesCommitted()).isEqualTo(240);
    }
    assertThat(acked).hasSize(480);
    assertAllAcknowledgedStored(acked);
    assertThat(verify().entries()).isEqualTo(480);
    assertThat(transactions).isLessThan(480);
  }

  /** Appends (intent then outcome, as a request does) from {@code threads} threads for about {@code millis}. */
  static long appendFor(SqliteLedger ledger, int threads, long millis, String prefix) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    java.util.concurrent.atomic.AtomicLong appended = new java.util.concurrent.atomic.AtomicLong();
    try {
      CountDownLatch go = new CountDownLatch(1);
      long[] end = new long[1];
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int tn = t;
        done.add(pool.submit(() -> {
          go.await();
          for (int i = 0; System.nanoTime() - end[0] < 0; i++) {
            LedgerEntry in = ledger.appendIntent(intent(prefix + tn + "_" + i));
            ledger.appendOutcome(LedgerRecord.outcome(in, "t", LedgerRecord.Result.RELAYED, 200, null));
            appended.addAndGet(2);
          }
          return null;
        }));
      }
      end[0] = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      go.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    return appended.get();
  }

  @Test
  void measureAppendsPerSecond() throws Exception {
    // Printed, not asserted (docs/BENCHMARKS.md, component throughput): the machine is shared.
    try (SqliteLedger ledger = new SqliteLedger(file(), Clock.systemUTC())) {
      for (int threads : new int[] {1, 16}) {
        long start = System.nanoTime();
        long n = appendFor(ledger, threads, 3_000, "req_m" + threads + "_");
        double perSecond = n / ((System.nanoTime() - start) / 1e9);
        System.out.printf("[measure] SqliteLedger: %.0f appends/s on %d thread(s)%n", perSecond, threads);
        assertThat(n).isPositive();
      }
    }
    assertThat(verify().intact()).isTrue();
  }

  @Test
  void theCanonicalEncodingIsPinned() {
    LedgerRecord r = LedgerRecord.refusal(null, "t", "a", null, "invalid_json");
    byte[] enc = LedgerCanonical.encode(1, 2, r);
    // "zo-ledger-v1" as a 4-byte length then bytes; absent fields as FF FF FF FF.
    assertThat(java.util.HexFormat.of().formatHex(enc)).startsWith("0000000c" + "7a6f2d6c65646765722d7631"
        + "0000000131" + "0000000132" + "00000007" + "7265667573616c" + "ffffffff" + "0000000174" + "0000000161");
    assertThat(LedgerCanonical.encode(1, 2, LedgerRecord.refusal("", "t", "a", null, "invalid_json")))
        .as("empty and absent differ").isNotEqualTo(enc);
    assertThat(LedgerCanonical.hash(LedgerHead.ZERO_HASH, 1, 2, r))
        .isEqualTo(LedgerCanonical.chainHash(LedgerHead.ZERO_HASH, enc)).hasSize(64);
    assertThatThrownBy(() -> LedgerCanonical.encode(1, 2, LedgerRecord.refusal(null, "t", "a\ud800", null, "x")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
