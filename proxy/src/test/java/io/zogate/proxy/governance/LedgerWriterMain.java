package io.zogate.proxy.governance;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * A separate OS process for {@link SqliteLedgerTest}: appends intents and outcomes to a ledger
 * file as fast as it can from {@code args[2]} threads (default 1), so that appends are group
 * committed, printing each committed sequence number, until it is killed.
 */
public final class LedgerWriterMain {
  private LedgerWriterMain() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    String prefix = args[1];
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    SqliteLedger ledger = new SqliteLedger(file, Clock.systemUTC());
    for (int t = 1; t < threads; t++) {
      String threadPrefix = prefix + "t" + t + "_";
      Thread writer = new Thread(() -> write(ledger, threadPrefix));
      writer.start();
    }
    write(ledger, prefix + "t0_");
  }

  private static void write(SqliteLedger ledger, String prefix) {
    try {
      for (long i = 0; ; i++) {
        Action a = new Action("did:zo:agent:child", ActionKind.WRITE, "tools/call", "write_file",
            List.of("/workspace/f" + i), null);
        LedgerEntry intent;
        try {
          intent = ledger.appendIntent(LedgerRecord.intent(prefix + i, "trace" + i, a, Decision.allow("rules[0]")));
        } catch (LedgerUnavailableException e) {
          // Two writers in a tight loop can starve one past busy_timeout (SQLite's busy handler
          // polls); the proxy would answer -32050, this writer just tries the next request.
          System.err.println(e.getMessage());
          continue;
        }
        try {
          LedgerEntry outcome = ledger.appendOutcome(
              LedgerRecord.outcome(intent, "trace" + i, LedgerRecord.Result.RELAYED, 200, null));
          System.out.println(outcome.seq());
        } catch (LedgerUnavailableException e) {
          System.err.println(e.getMessage());
          System.out.println(intent.seq());
        }
        System.out.flush();
      }
    } catch (RequestIdReusedException e) {
      throw new IllegalStateException("each request id is new", e);
    }
  }
}
