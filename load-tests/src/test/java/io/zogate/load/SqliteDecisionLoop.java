package io.zogate.load;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.traffic.LimitRate;
import io.zogate.proxy.traffic.RateLimiter;
import io.zogate.proxy.traffic.SqliteRateLimitStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One OS process of {@link SqliteScalingBenchmark}: makes rate-limit decisions (key and actor,
 * as the pipeline does) against a shared SQLite file, flat out, warming up until
 * {@code startAtMillis}, then counting for {@code durationMillis} (and at most
 * {@code maxDecisions}). Prints {@code decisions storeErrors refusals} on its last line.
 *
 * <p>Args: file processIndex startAtMillis durationMillis maxDecisions
 */
public final class SqliteDecisionLoop {

  private SqliteDecisionLoop() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    int index = Integer.parseInt(args[1]);
    long startAt = Long.parseLong(args[2]);
    long duration = Long.parseLong(args[3]);
    long max = Long.parseLong(args[4]);
    LimitRate huge = LimitRate.of(1_000_000_000L, Duration.ofSeconds(1));
    String kid = "bench-key-" + index;
    String[] actors = new String[1024];
    for (int i = 0; i < actors.length; i++) {
      actors[i] = "did:zo:agent:bench-" + index + "-" + i;
    }
    long decisions = 0;
    long storeErrors = 0;
    long refusals = 0;
    try (RateLimiter limiter = new RateLimiter(new SqliteRateLimitStore(file), null, huge, huge, List.of())) {
      int n = 0;
      // Warm-up: the same work, not counted (bounded by the start time).
      while (System.currentTimeMillis() < startAt) {
        try {
          limiter.checkKeyAndActor(kid, actors[n++ & 1023]);
        } catch (RefusalException e) {
          // counted only in the measured window
        }
      }
      long end = startAt + duration;
      while (System.currentTimeMillis() < end && decisions < max) {
        try {
          limiter.checkKeyAndActor(kid, actors[n++ & 1023]);
          decisions++;
        } catch (RefusalException e) {
          if (e.refusal().reason() == Reason.RATE_LIMIT_STORE) {
            storeErrors++;
          } else {
            refusals++;
          }
        }
      }
    }
    System.out.println(decisions + " " + storeErrors + " " + refusals);
  }
}
