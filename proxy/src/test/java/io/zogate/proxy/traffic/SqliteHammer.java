package io.zogate.proxy.traffic;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A separate OS process for {@link SqliteRateLimitStoreTest}: hammers one key of a shared
 * SQLite store from {@code startAtMillis} for {@code durationMillis} (and at most
 * {@code maxAttempts} attempts), then prints {@code admitted firstAdmitMillis lastAdmitMillis
 * attempts errors}.
 */
public final class SqliteHammer {

  private SqliteHammer() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    String key = args[1];
    LimitRate rate =
        LimitRate.of(Long.parseLong(args[2]), Duration.ofMillis(Long.parseLong(args[3])));
    long startAt = Long.parseLong(args[4]);
    long duration = Long.parseLong(args[5]);
    long maxAttempts = Long.parseLong(args[6]);
    long admitted = 0;
    long first = -1;
    long last = -1;
    long attempts = 0;
    long errors = 0;
    try (var store = new SqliteRateLimitStore(file, Duration.ofSeconds(5))) {
      while (System.currentTimeMillis() < startAt) {
        Thread.sleep(1);
      }
      long end = startAt + duration;
      long now;
      while ((now = System.currentTimeMillis()) < end && attempts < maxAttempts) {
        attempts++;
        try {
          if (store.acquire(key, rate, now).allowed()) {
            admitted++;
            if (first < 0) {
              first = now;
            }
            last = now;
          }
        } catch (io.zogate.proxy.jsonrpc.StoreUnavailableException e) {
          errors++;
        }
      }
    }
    System.out.println(admitted + " " + first + " " + last + " " + attempts + " " + errors);
  }
}
