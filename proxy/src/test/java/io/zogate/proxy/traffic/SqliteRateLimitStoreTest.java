package io.zogate.proxy.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteRateLimitStoreTest {

  private static final long NOW = 1_700_000_000_000L;

  @TempDir Path dir;

  @Test
  void decidesWithGcraAndKeepsStateAcrossReopen() throws Exception {
    LimitRate rate = LimitRate.of(3, Duration.ofSeconds(3)); // T = 1 s
    Path file = dir.resolve("rl.db");
    try (var store = new SqliteRateLimitStore(file)) {
      for (int i = 0; i < 3; i++) {
        assertThat(store.acquire("k", rate, NOW).allowed()).isTrue();
      }
      Decision refused = store.acquire("k", rate, NOW + 250);
      assertThat(refused.allowed()).isFalse();
      assertThat(refused.retryAfterMillis()).isEqualTo(750);
    }
    try (var store = new SqliteRateLimitStore(file)) {
      assertThat(store.acquire("k", rate, NOW + 250).allowed()).isFalse();
      assertThat(store.acquire("k", rate, NOW + 1_000).allowed()).isTrue();
      assertThat(store.acquire("other", rate, NOW).allowed()).isTrue();
      assertThat(store.sweep(NOW + 1_000)).isEqualTo(1); // "other": TAT NOW + 1 s
      assertThat(store.sweep(NOW + 5_000)).isEqualTo(1);
    }
  }

  @Test
  void acquireAllIsAllOrNothing() throws Exception {
    LimitRate roomy = LimitRate.of(5, Duration.ofMinutes(1));
    LimitRate tight = LimitRate.of(1, Duration.ofMinutes(1));
    try (var store = new SqliteRateLimitStore(dir.resolve("rl.db"))) {
      var both = List.of(new Limit("k:1", roomy), new Limit("a:x", tight));
      assertThat(store.acquireAll(both, NOW)).allMatch(Decision::allowed);
      List<Decision> second = store.acquireAll(both, NOW);
      assertThat(second.get(0).allowed()).isTrue();
      assertThat(second.get(1).allowed()).isFalse();
      for (int i = 0; i < 4; i++) { // 4 of 5 left: the refused request spent nothing
        assertThat(store.acquire("k:1", roomy, NOW).allowed()).isTrue();
      }
      assertThat(store.acquire("k:1", roomy, NOW).allowed()).isFalse();
    }
  }

  @Test
  void aDamagedFileIsUnavailable() throws Exception {
    Path junk = dir.resolve("junk.db");
    Files.writeString(junk, "this is not a SQLite database\n".repeat(200));
    assertThatThrownBy(() -> new SqliteRateLimitStore(junk))
        .isInstanceOf(StoreUnavailableException.class);
    // a directory cannot be opened as a database (the test runs as root, so mode bits would not
    // make a file unwritable)
    assertThatThrownBy(() -> new SqliteRateLimitStore(dir))
        .isInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(() -> new SqliteRateLimitStore(dir.resolve("no/such/dir/rl.db")))
        .isInstanceOf(StoreUnavailableException.class);
  }

  @Test
  void aDamagedFileAtRunTimeRefusesWithRateLimitStoreAndRecovers() throws Exception {
    Path file = dir.resolve("rl.db");
    LimitRate rate = LimitRate.of(100, Duration.ofMinutes(1));
    try (var store = new SqliteRateLimitStore(file, Duration.ofMillis(100))) {
      var clock = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
      var limiter = new RateLimiter(store, null, rate, rate, List.of(), clock);
      limiter.checkKeyAndActor("kid", "did:zo:agent:alice");

      // another process holds the write lock past the busy timeout
      try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
          Statement st = other.createStatement()) {
        st.execute("BEGIN IMMEDIATE");
        assertThatThrownBy(() -> limiter.checkKeyAndActor("kid", "did:zo:agent:alice"))
            .isInstanceOfSatisfying(RefusalException.class,
                e -> assertThat(e.refusal().reason()).isEqualTo(Reason.RATE_LIMIT_STORE));
        st.execute("ROLLBACK");
        limiter.checkKeyAndActor("kid", "did:zo:agent:alice"); // the store reconnects

        // the table is gone (a damaged file, an operator's mistake)
        st.execute("DROP TABLE rate_limit");
      }
      assertThatThrownBy(() -> store.acquire("k", rate, NOW))
          .isInstanceOf(StoreUnavailableException.class);
    }
  }

  @Test
  void exactAcrossThreeProcessesSharingOneFile() throws Exception {
    Path file = dir.resolve("shared.db");
    long count = 50;
    long periodMillis = 1_000; // T = 20 ms
    try (var ignored = new SqliteRateLimitStore(file)) {
      // create the file and schema before the children race to do it
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = System.getProperty("java.class.path");
    long startAt = System.currentTimeMillis() + 3_000; // JVM start-up on a busy machine
    long durationMillis = 2_000;
    var procs = new ArrayList<Process>();
    for (int i = 0; i < 3; i++) {
      procs.add(new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", cp,
              SqliteHammer.class.getName(), file.toString(), "k:shared",
              Long.toString(count), Long.toString(periodMillis), Long.toString(startAt),
              Long.toString(durationMillis), "200000")
          .redirectError(dir.resolve("child-" + i + ".err").toFile())
          .start());
    }
    long admitted = 0;
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    long attempts = 0;
    long errors = 0;
    var lines = new ArrayList<String>();
    for (Process p : procs) {
      try {
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child finished").isTrue();
        String[] outLines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
            .strip().split("\n");
        String out = outLines[outLines.length - 1].strip();
        lines.add(out);
        Path err = dir.resolve("child-" + procs.indexOf(p) + ".err");
        assertThat(p.exitValue()).as(out + Files.readString(err)).isZero();
        String[] f = out.split("\\s+");
        long a = Long.parseLong(f[0]);
        admitted += a;
        if (a > 0) {
          first = Math.min(first, Long.parseLong(f[1]));
          last = Math.max(last, Long.parseLong(f[2]));
        }
        attempts += Long.parseLong(f[3]);
        errors += Long.parseLong(f[4]);
      } finally {
        p.destroyForcibly();
      }
    }
    long allowedByGcra = count + (last - first) / (periodMillis / count);
    System.out.printf("3 processes: %s -> admitted %d, GCRA allows %d over %d ms, %d attempts,"
        + " %d store errors%n", lines, admitted, allowedByGcra, last - first, attempts, errors);
    assertThat(errors).isZero();
    assertThat(attempts).isGreaterThan(3 * count);
    assertThat(admitted).isLessThanOrEqualTo(allowedByGcra); // zero over
    // continuous hammering leaves little budget unused (an admission can only be late when no
    // process tried within its millisecond, which shifts the later ones)
    assertThat(admitted).isGreaterThanOrEqualTo(allowedByGcra * 9 / 10);
    // and the elapsed window was really most of the run
    assertThat(last - first).isGreaterThan(durationMillis / 2);
  }

}
