package io.zogate.proxy.fallback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.zogate.proxy.config.ConfigException;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.governance.LedgerUnavailableException;
import io.zogate.proxy.governance.PolicyFile;
import io.zogate.proxy.governance.PolicyGovernor;
import io.zogate.proxy.governance.SqliteLedger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The recursive watcher and the file auditor on real files in a temp tree. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TreeWatcherTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path tmp;
  Path root;
  final List<FileChange> seen = new CopyOnWriteArrayList<>();
  final AtomicReference<Throwable> failure = new AtomicReference<>();
  TreeWatcher watcher;
  Thread loop;

  @BeforeEach
  void setUp() throws Exception {
    root = Files.createDirectories(tmp.resolve("root")).toRealPath();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (watcher != null) {
      watcher.close();
    }
    if (loop != null) {
      loop.join(10_000);
      assertThat(loop.isAlive()).isFalse();
    }
  }

  void start(TreeWatcher.Listener listener) throws Exception {
    watcher = new TreeWatcher(root, listener);
    watcher.start();
    loop = new Thread(() -> {
      try {
        watcher.run();
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "tree-watcher-test");
    loop.setDaemon(true);
    loop.start();
  }

  void start() throws Exception {
    start(seen::add);
  }

  boolean saw(FileChange.Type type, Path p) {
    return seen.stream().anyMatch(c -> c.type() == type && c.path().equals(p));
  }

  void awaitSeen(FileChange.Type type, Path p) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> assertThat(saw(type, p))
        .as("%s %s in %s", type, p, seen).isTrue());
  }

  @Test
  void createModifyDeleteInTheRootAndInADirectoryCreatedLater() throws Exception {
    Files.writeString(root.resolve("old.txt"), "baseline");
    start();
    Path a = root.resolve("a.txt");
    Files.writeString(a, "one");
    awaitSeen(FileChange.Type.CREATE, a);
    Files.writeString(a, "one and two");
    awaitSeen(FileChange.Type.MODIFY, a);
    Files.delete(a);
    awaitSeen(FileChange.Type.DELETE, a);

    Path sub = Files.createDirectories(root.resolve("sub/deeper"));
    Path b = Files.writeString(sub.resolve("b.txt"), "b");
    awaitSeen(FileChange.Type.CREATE, root.resolve("sub"));
    awaitSeen(FileChange.Type.CREATE, sub);
    awaitSeen(FileChange.Type.CREATE, b);
    // The new directory is watched: later changes in it are seen too.
    Files.writeString(b, "bb");
    awaitSeen(FileChange.Type.MODIFY, b);
    Path c = Files.writeString(sub.resolve("c.txt"), "c");
    awaitSeen(FileChange.Type.CREATE, c);
    Files.delete(c);
    awaitSeen(FileChange.Type.DELETE, c);
    assertThat(seen).noneMatch(ch -> ch.path().equals(root.resolve("old.txt")));
    // Each create is reported once, though the scan of a new directory and its events overlap.
    assertThat(seen.stream().filter(ch -> ch.type() == FileChange.Type.CREATE && ch.path().equals(b)).count()).isEqualTo(1);
    assertThat(failure.get()).isNull();
  }

  @Test
  void aDeletedDirectoryReportsItsContentOnce() throws Exception {
    Path d = Files.createDirectories(root.resolve("d/e"));
    Files.writeString(d.resolve("f"), "f");
    start();
    Files.delete(d.resolve("f"));
    Files.delete(d);
    Files.delete(root.resolve("d"));
    awaitSeen(FileChange.Type.DELETE, root.resolve("d"));
    awaitSeen(FileChange.Type.DELETE, d.resolve("f"));
    Thread.sleep(200);
    assertThat(seen.stream().filter(ch -> ch.type() == FileChange.Type.DELETE && ch.path().equals(d.resolve("f"))).count())
        .isEqualTo(1);
  }

  @Test
  void aSymlinkToOutsideTheRootIsReportedAsTheLinkAndNeverFollowed() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.createSymbolicLink(root.resolve("preexisting-link"), outside);
    start();
    Path link = Files.createSymbolicLink(root.resolve("link"), outside);
    awaitSeen(FileChange.Type.CREATE, link);
    Files.writeString(outside.resolve("secret.txt"), "x");
    Files.createDirectories(outside.resolve("dir"));
    Path sentinel = Files.writeString(root.resolve("sentinel"), "s");
    awaitSeen(FileChange.Type.CREATE, sentinel);
    Thread.sleep(200);
    assertThat(seen).noneMatch(ch -> ch.path().startsWith(outside));
    assertThat(seen).noneMatch(ch -> ch.path().startsWith(link) && !ch.path().equals(link));
    assertThat(seen).noneMatch(ch -> ch.path().startsWith(root.resolve("preexisting-link")));
  }

  @Test
  void aBurstThatOverflowsTheEventQueueIsRecoveredByARescan() throws Exception {
    CountDownLatch burstDone = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
    start(change -> {
      if (armed.get()) {
        try {
          // Holds the consumer while the burst is written, so the JDK's per-key queue (512
          // events) overflows for certain.
          burstDone.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      seen.add(change);
    });
    Path burst = Files.createDirectories(root.resolve("burst"));
    awaitSeen(FileChange.Type.CREATE, burst);
    Path marker = Files.writeString(burst.resolve("registered"), "m");
    awaitSeen(FileChange.Type.CREATE, marker); // the directory is registered: events flow from it
    armed.set(true);
    int n = 6000;
    Set<Path> created = new HashSet<>();
    for (int i = 0; i < n; i++) {
      created.add(Files.writeString(burst.resolve("f" + i), "x"));
    }
    burstDone.countDown();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
      Set<Path> reported = new HashSet<>();
      for (FileChange c : seen) {
        if (c.type() == FileChange.Type.CREATE) {
          reported.add(c.path());
        }
      }
      assertThat(reported).containsAll(created);
    });
    assertThat(watcher.overflows()).as("OVERFLOW handled").isGreaterThanOrEqualTo(1);
    long creates = seen.stream().filter(c -> c.type() == FileChange.Type.CREATE && created.contains(c.path())).count();
    assertThat(creates).as("each file reported exactly once").isEqualTo(n);
    assertThat(failure.get()).isNull();
  }

  @Test
  void auditEntriesPassAndFailClosedUnderPrivilegedPrefixes() throws Exception {
    Files.createDirectories(root.resolve(".ssh"));
    Files.createDirectories(root.resolve("denied"));
    Path policy = Files.writeString(tmp.resolve("policy.yaml"), "default: allow\nrules:\n"
        + "  - match: { path: \"" + root + "/denied/**\" }\n    decision: deny\n    risk: high\n"
        + "  - match: { path: \"" + root + "/review/**\" }\n    decision: escalate\n    risk: medium\n");
    Path ledgerFile = tmp.resolve("ledger.db");
    WatchSettings settings = WatchSettings.from(
        new ProxyConfig.Watch(root, "did:zo:ssh:fallback", List.of(root.resolve(".ssh"))));
    try (SqliteLedger ledger = new SqliteLedger(ledgerFile, Clock.systemUTC())) {
      FileAuditor auditor = new FileAuditor(settings, new PolicyGovernor(PolicyFile.load(policy)), ledger);
      start(change -> {
        auditor.changed(change);
        seen.add(change);
      });
      Path ok = Files.writeString(root.resolve("ok.txt"), "fine");
      Path keys = Files.writeString(root.resolve(".ssh/authorized_keys"), "ssh-ed25519 AAAA attacker");
      Path denied = Files.writeString(root.resolve("denied/x"), "x");
      Path review = Files.createDirectories(root.resolve("review"));
      Path sshx = Files.writeString(root.resolve(".sshx"), "not privileged: another name");
      awaitSeen(FileChange.Type.CREATE, sshx);
      awaitSeen(FileChange.Type.CREATE, keys);
      awaitSeen(FileChange.Type.CREATE, denied);
      awaitSeen(FileChange.Type.CREATE, review);
      Files.delete(ok);
      awaitSeen(FileChange.Type.DELETE, ok);
      watcher.close();
      loop.join(10_000);

      List<String> rows = rows(ledgerFile);
      assertThat(rows).contains(
          "audit_pass|did:zo:ssh:fallback|file/create|ALLOW|null|[\"" + ok + "\"]",
          "audit_fail|did:zo:ssh:fallback|file/create|ALLOW|privileged|[\"" + keys + "\"]",
          "audit_fail|did:zo:ssh:fallback|file/create|DENY|deny|[\"" + denied + "\"]",
          "audit_fail|did:zo:ssh:fallback|file/create|ESCALATE|escalate|[\"" + review + "\"]",
          "audit_pass|did:zo:ssh:fallback|file/create|ALLOW|null|[\"" + sshx + "\"]",
          "audit_pass|did:zo:ssh:fallback|file/delete|ALLOW|null|[\"" + ok + "\"]");
      assertThat(SqliteLedger.verify(ledgerFile, null).intact()).isTrue();
    }
  }

  static List<String> rows(Path ledgerFile) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + ledgerFile);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT kind, actor, operation, decision, reason, targets FROM ledger ORDER BY seq")) {
      while (rs.next()) {
        out.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4) + "|"
            + rs.getString(5) + "|" + rs.getString(6));
      }
    }
    return out;
  }

  @Test
  void aLedgerThatCannotBeWrittenStopsTheWatcher() throws Exception {
    start(change -> {
      throw new LedgerUnavailableException("disk full");
    });
    Files.writeString(root.resolve("x"), "x");
    await().atMost(WAIT).until(() -> failure.get() != null);
    assertThat(failure.get()).isInstanceOf(LedgerUnavailableException.class);
    loop.join(5_000);
    assertThat(loop.isAlive()).isFalse();
  }

  @Test
  void privilegedPrefixesMustLieInsideTheRoot() {
    assertThatThrownBy(() -> WatchSettings.from(new ProxyConfig.Watch(root, "did:zo:ssh:fallback",
        List.of(tmp.resolve("elsewhere")))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("not inside watch.root");
    assertThatThrownBy(() -> WatchSettings.from(new ProxyConfig.Watch(root, "did:zo:ssh:fallback",
        List.of(root.resolve("../root-sibling")))))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> WatchSettings.from(new ProxyConfig.Watch(tmp.resolve("missing"), "did:zo:ssh:fallback",
        List.of()))).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> WatchSettings.from(new ProxyConfig.Watch(root, "bad actor", List.of())))
        .isInstanceOf(ConfigException.class);
  }
}
