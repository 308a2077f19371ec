package io.zogate.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.governance.Action;
import io.zogate.proxy.governance.ActionKind;
import io.zogate.proxy.governance.Decision;
import io.zogate.proxy.governance.LedgerEntry;
import io.zogate.proxy.governance.LedgerRecord;
import io.zogate.proxy.governance.SqliteLedger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ledger verify} and {@code ledger checkpoint}: exit codes and what they print. */
class LedgerCommandTest {
  @TempDir Path dir;
  Path config;

  @BeforeEach
  void setUp() throws Exception {
    config = dir.resolve("zo-gate.yaml");
    Files.writeString(config, "upstream: { url: http://127.0.0.1:1/mcp }\nauth: { keyring: keyring.json }\n"
        + "ledger: sqlite:ledger.db\n");
  }

  void append(int pairs) throws Exception {
    try (SqliteLedger ledger = new SqliteLedger(dir.resolve("ledger.db"), Clock.systemUTC())) {
      for (int i = 0; i < pairs; i++) {
        Action a = new Action("did:zo:agent:alice", ActionKind.READ, "tools/list", "", List.of());
        LedgerEntry in = ledger.appendIntent(LedgerRecord.intent("req_" + System.nanoTime(), "t", a, Decision.allow("r")));
        ledger.appendOutcome(LedgerRecord.outcome(in, "t", LedgerRecord.Result.RELAYED, 200, null));
      }
    }
  }

  void sql(String... statements) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("ledger.db"));
        Statement s = c.createStatement()) {
      s.execute("DROP TRIGGER IF EXISTS ledger_no_update");
      s.execute("DROP TRIGGER IF EXISTS ledger_no_delete");
      for (String q : statements) {
        s.execute(q);
      }
    }
  }

  @Test
  void verifyCheckpointAndVerifyAgainstTheCheckpoint() throws Exception {
    append(3);
    MainTest.Run ok = MainTest.run("ledger", "verify", "--config", config.toString());
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out()).startsWith("OK: 6 entries, head seq 6");

    MainTest.Run cp = MainTest.run("ledger", "checkpoint", "--config", config.toString());
    assertThat(cp.exit()).as(cp.err()).isZero();
    assertThat(cp.out()).contains("\"schema\":\"zo-ledger-checkpoint/v1\"", "\"seq\":6", "\"sig\":");
    assertThat(cp.err()).contains("created ledger key");
    assertThat(dir.resolve("ledger.db.key")).exists();
    Path saved = dir.resolve("cp.json");
    Files.writeString(saved, cp.out());
    MainTest.Run again = MainTest.run("ledger", "checkpoint", "--config", config.toString());
    assertThat(again.err()).doesNotContain("created");

    append(1);
    MainTest.Run longer = MainTest.run("ledger", "verify", "--config", config.toString(), "--checkpoint", saved.toString());
    assertThat(longer.exit()).as(longer.out()).isZero();
    assertThat(longer.out()).contains("OK: 8 entries").contains("agrees with the checkpoint at seq 6");

    sql("DELETE FROM ledger WHERE seq >= 5");
    assertThat(MainTest.run("ledger", "verify", "--config", config.toString()).exit()).isZero();
    MainTest.Run truncated = MainTest.run("ledger", "verify", "--config", config.toString(), "--checkpoint", saved.toString());
    assertThat(truncated.exit()).isEqualTo(1);
    assertThat(truncated.out()).startsWith("FAILED: entry 5: ").contains("truncated");
  }

  @Test
  void aBrokenChainFailsNamingTheEntryAndIsNotCheckpointed() throws Exception {
    append(2);
    sql("UPDATE ledger SET actor = 'did:zo:agent:mallory' WHERE seq = 3");
    MainTest.Run r = MainTest.run("ledger", "verify", "--config", config.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).startsWith("FAILED: entry 3: hash mismatch").contains("2 entries intact before it");
    MainTest.Run cp = MainTest.run("ledger", "checkpoint", "--config", config.toString());
    assertThat(cp.exit()).isEqualTo(1);
    assertThat(cp.out()).isEmpty();
    assertThat(cp.err()).contains("not signing a broken ledger").contains("entry 3");
  }

  @Test
  void aCheckpointSignedWithAnotherKeyOrAlteredIsRefused() throws Exception {
    append(1);
    Path saved = dir.resolve("cp.json");
    MainTest.Run cp = MainTest.run("ledger", "checkpoint", "--config", config.toString(), "--key", dir.resolve("k1").toString());
    Files.writeString(saved, cp.out());
    MainTest.Run otherKey = MainTest.run("ledger", "checkpoint", "--config", config.toString(), "--key", dir.resolve("k2").toString());
    assertThat(otherKey.exit()).isZero();
    MainTest.Run wrong = MainTest.run("ledger", "verify", "--config", config.toString(), "--checkpoint", saved.toString(),
        "--key", dir.resolve("k2").toString());
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.out()).contains("signature does not verify");
    Files.writeString(saved, cp.out().replace("\"seq\":2", "\"seq\":1"));
    MainTest.Run altered = MainTest.run("ledger", "verify", "--config", config.toString(), "--checkpoint", saved.toString(),
        "--key", dir.resolve("k1").toString());
    assertThat(altered.exit()).isEqualTo(1);
    MainTest.Run noKey = MainTest.run("ledger", "verify", "--config", config.toString(), "--checkpoint", saved.toString());
    assertThat(noKey.exit()).isEqualTo(2);
    assertThat(noKey.err()).contains("ledger.db.key");
  }

  @Test
  void usageAndConfigurationErrorsExitTwo() throws Exception {
    assertThat(MainTest.run("ledger").exit()).isEqualTo(2);
    assertThat(MainTest.run("ledger", "verify").exit()).isEqualTo(2);
    Files.writeString(config, "upstream: { url: http://127.0.0.1:1/mcp }\nauth: { keyring: keyring.json }\n");
    MainTest.Run none = MainTest.run("ledger", "verify", "--config", config.toString());
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("no ledger configured");
    Files.writeString(config, "upstream: { url: http://127.0.0.1:1/mcp }\nauth: { keyring: keyring.json }\n"
        + "ledger: sqlite:absent.db\n");
    MainTest.Run missing = MainTest.run("ledger", "verify", "--config", config.toString());
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.out()).contains("does not exist");
    assertThat(dir.resolve("absent.db")).doesNotExist();
  }
}
