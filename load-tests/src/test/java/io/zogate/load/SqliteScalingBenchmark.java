package io.zogate.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where one SQLite rate-limit file stops scaling: 1, 2 and 3 OS processes (separate JVMs, each
 * one {@link SqliteDecisionLoop}) make key-and-actor decisions against one shared file, flat
 * out, for a fixed window that starts at the same wall-clock instant in every process (after a
 * warm-up). Writes target/bench/sqlite-scaling.md. Bounded: {@code bench.scaling.seconds}
 * (default 5) per row and at most 10,000,000 decisions per process; no sockets, only the file.
 *
 * <p>Run: {@code mvn -B -q install -DskipTests && mvn -B -pl load-tests -Pbench test
 * -Dtest=SqliteScalingBenchmark} ({@code -Dbench.scaling.processes=1,2,3
 * -Dbench.scaling.seconds=5 -Dbench.scaling.rounds=1}).
 */
class SqliteScalingBenchmark {

  @TempDir Path dir;

  @Test
  void measure() throws Exception {
    long seconds = Long.getLong("bench.scaling.seconds", 5);
    int rounds = Integer.getInteger("bench.scaling.rounds", 1);
    StringBuilder sb = new StringBuilder();
    sb.append("SQLite rate-limit file shared by N processes, ").append(LocalDate.now()).append(", ")
        .append(seconds).append(" s per row after warm-up, ")
        .append(Runtime.getRuntime().availableProcessors()).append(" cores\n\n");
    sb.append("| processes | total decisions/s | per process decisions/s | vs 1 process | store errors |\n");
    sb.append("|---:|---:|---|---:|---:|\n");
    double single = 0;
    for (int round = 0; round < rounds; round++) {
      for (String p : System.getProperty("bench.scaling.processes", "1,2,3").split(",")) {
        int n = Integer.parseInt(p.strip());
        long[][] r = runProcesses(n, seconds, round);
        double total = 0;
        long errors = 0;
        List<String> per = new ArrayList<>();
        for (long[] one : r) {
          double rate = one[0] / (double) seconds;
          total += rate;
          errors += one[1];
          per.add(fmt(rate));
        }
        if (n == 1) {
          single = total;
        }
        sb.append("| ").append(n).append(" | ").append(fmt(total)).append(" | ")
            .append(String.join(", ", per)).append(" | ")
            .append(single > 0 ? String.format(Locale.ROOT, "%.2fx", total / single) : "-")
            .append(" | ").append(errors).append(" |\n");
      }
    }
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    Files.writeString(out.resolve("sqlite-scaling.md"), sb.toString());
    System.out.println(sb);
    assertThat(sb.toString()).contains("| 1 |");
  }

  /** Starts n processes on one fresh file; returns {decisions, storeErrors, refusals} each. */
  long[][] runProcesses(int n, long seconds, int round) throws Exception {
    Path file = dir.resolve("ratelimit-" + n + "-" + round + ".db");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = System.getProperty("java.class.path");
    long startAt = System.currentTimeMillis() + 4_000; // JVM start-up, then warm-up until then
    List<Process> procs = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        procs.add(new ProcessBuilder(java, "-Xmx128m", "-cp", cp, SqliteDecisionLoop.class.getName(),
            file.toString(), Integer.toString(i), Long.toString(startAt),
            Long.toString(TimeUnit.SECONDS.toMillis(seconds)), "10000000")
            .redirectError(dir.resolve("loop-" + n + "-" + i + ".err").toFile())
            .start());
      }
      long[][] out = new long[n][];
      for (int i = 0; i < n; i++) {
        Process p = procs.get(i);
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(seconds + 60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(stdout + Files.readString(dir.resolve("loop-" + n + "-" + i + ".err")))
            .isZero();
        String[] lines = stdout.split("\n");
        String[] f = lines[lines.length - 1].strip().split("\\s+");
        out[i] = new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
      }
      return out;
    } finally {
      for (Process p : procs) {
        p.destroyForcibly();
      }
    }
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }
}
