package io.zogate.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zogate.proxy.fallback.TreeWatcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code watch}: start-up errors exit 2; a running watcher records into the ledger and stops cleanly. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WatchCommandTest {
  @TempDir Path dir;

  @AfterEach
  void tearDown() {
    WatchCommand.onStarted = w -> {};
  }

  Path config(String watch) throws Exception {
    Files.createDirectories(dir.resolve("ws/.ssh"));
    return Files.writeString(dir.resolve("zo-gate.yaml"), "upstream: { url: http://127.0.0.1:1/mcp }\n"
        + "auth: { keyring: keyring.json }\nledger: sqlite:ledger.db\n" + watch);
  }

  @Test
  void startUpErrorsExitTwo() throws Exception {
    MainTest.Run outside = MainTest.run("watch", "--config",
        config("watch: { root: ws, actor: did:zo:ssh:fallback, privileged: [/etc] }\n").toString());
    assertThat(outside.exit()).isEqualTo(2);
    assertThat(outside.err()).contains("not inside watch.root");
    MainTest.Run none = MainTest.run("watch", "--config", config("").toString());
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("no watch section");
  }

  @Test
  void watchesRecordsAndStops() throws Exception {
    Path cfg = config("watch: { root: ws, actor: did:zo:ssh:fallback, privileged: [ws/.ssh] }\n");
    AtomicReference<TreeWatcher> started = new AtomicReference<>();
    WatchCommand.onStarted = started::set;
    AtomicInteger exit = new AtomicInteger(-1);
    Thread t = new Thread(() -> exit.set(MainTest.run("watch", "--config", cfg.toString()).exit()));
    t.setDaemon(true);
    t.start();
    await().atMost(Duration.ofSeconds(20)).until(() -> started.get() != null);
    Files.writeString(dir.resolve("ws/.ssh/authorized_keys"), "k");
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> count("audit_fail") >= 1);
    started.get().close();
    t.join(10_000);
    assertThat(exit.get()).isZero();
  }

  int count(String kind) throws Exception {
    if (!Files.exists(dir.resolve("ledger.db"))) {
      return 0;
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("ledger.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM ledger WHERE kind = '" + kind + "'")) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }
}
