package io.zogate.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the {@link RateLimitDecisions} JMH benchmark with short iterations, for 1 and 2
 * threads, and writes a Markdown table to target/bench/ratelimit-jmh.md. Surefire picks it up
 * only with -Pbench (the default build includes only *Test classes); it asserts nothing about
 * the numbers, only that JMH produced them. Targets (docs/BENCHMARKS.md): memory over
 * 1,000,000 decisions/s, SQLite over 5,000/s per process.
 *
 * <p>Run: {@code mvn -B -q install -DskipTests && mvn -B -pl load-tests -Pbench test
 * -Dtest=RateLimitDecisionsBenchmark}; or {@link #main} from an IDE. Knobs:
 * {@code -Dbench.jmh.warmup=3 -Dbench.jmh.iterations=5 -Dbench.jmh.seconds=1
 * -Dbench.jmh.threads=1,2 -Dbench.jmh.forks=1}.
 */
class RateLimitDecisionsBenchmark {

  static final double MEMORY_TARGET = 1_000_000;
  static final double SQLITE_TARGET = 5_000;

  @Test
  void measure() throws Exception {
    String table = run();
    System.out.println(table);
    assertThat(table).contains("| memory |").contains("| sqlite |");
  }

  public static void main(String[] args) throws Exception {
    System.out.println(run());
  }

  static String run() throws Exception {
    int warmup = Integer.getInteger("bench.jmh.warmup", 3);
    int iterations = Integer.getInteger("bench.jmh.iterations", 5);
    int seconds = Integer.getInteger("bench.jmh.seconds", 1);
    int forks = Integer.getInteger("bench.jmh.forks", 1);
    List<String[]> rows = new ArrayList<>();
    for (String t : System.getProperty("bench.jmh.threads", "1,2").split(",")) {
      int threads = Integer.parseInt(t.strip());
      Options opts = new OptionsBuilder()
          .include(RateLimitDecisions.class.getName() + ".")
          .warmupIterations(warmup)
          .warmupTime(TimeValue.seconds(seconds))
          .measurementIterations(iterations)
          .measurementTime(TimeValue.seconds(seconds))
          .forks(forks)
          .threads(threads)
          .jvmArgs("-Xms512m", "-Xmx512m")
          .shouldFailOnError(true)
          .build();
      Collection<RunResult> results = new Runner(opts).run();
      for (RunResult r : results) {
        String store = r.getParams().getParam("store");
        double score = r.getPrimaryResult().getScore();
        double error = r.getPrimaryResult().getScoreError();
        double target = store.equals("memory") ? MEMORY_TARGET : SQLITE_TARGET;
        rows.add(new String[] {store, Integer.toString(threads), fmt(score), fmt(error),
            fmt(target), score > target ? "met" : "NOT met"});
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append("JMH ").append(LocalDate.now()).append(", ").append(warmup).append(" x ")
        .append(seconds).append(" s warm-up, ").append(iterations).append(" x ").append(seconds)
        .append(" s measured, ").append(forks).append(" fork(s), ")
        .append(Runtime.getRuntime().availableProcessors()).append(" cores\n\n");
    sb.append("| store | threads | decisions/s | +/- (99.9%) | target | |\n");
    sb.append("|---|---:|---:|---:|---:|---|\n");
    for (String[] row : rows) {
      sb.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    Files.writeString(out.resolve("ratelimit-jmh.md"), sb.toString());
    return sb.toString();
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }
}
