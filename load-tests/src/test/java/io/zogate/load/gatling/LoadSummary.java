package io.zogate.load.gatling;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * The summary table the build writes: each simulation leaves its numbers in
 * {@code target/load-summary/<order>-<simulation>.properties}, and every simulation's
 * after-hook re-renders {@code target/load-summary.md} from all of them (the simulations run
 * one after another, each in its own JVM). {@code mvn clean} starts it afresh; each row says
 * when and with which profile it ran.
 */
final class LoadSummary {
  private LoadSummary() {}

  static void record(Path target, String key, Properties row) throws IOException {
    Path dir = target.resolve("load-summary");
    Files.createDirectories(dir);
    try (Writer w = Files.newBufferedWriter(dir.resolve(key + ".properties"), StandardCharsets.UTF_8)) {
      row.store(w, null);
    }
    render(target);
  }

  static void render(Path target) throws IOException {
    Path dir = target.resolve("load-summary");
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.properties")) {
      ds.forEach(files::add);
    }
    files.sort(null);
    List<Properties> rows = new ArrayList<>();
    for (Path f : files) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        p.load(r);
      }
      rows.add(p);
    }
    StringBuilder md = new StringBuilder();
    md.append("# Rate-limit modes under load (Gatling)\n\n")
        .append("Written by the load-tests build (`load-tests/target/load-summary.md`); Gatling's HTML report\n")
        .append("of each simulation is in `load-tests/target/gatling/<simulation>-<timestamp>/index.html`.\n")
        .append("Admitted = what the upstream received (the ground truth). Allowed bound = the sum over\n")
        .append("actors of GCRA's `N + floor(W/T)`, W = from the actor's first request sent to its last\n")
        .append("admission received (+2 ms for the proxies' millisecond clock), for ONE budget per actor.\n")
        .append("Latencies are Gatling's response times (whole ms, client side) of the requests sent after the\n")
        .append("first " + rows.stream().map(p -> p.getProperty("latencySkip", "?")).distinct().collect(java.util.stream.Collectors.joining("/"))
            + " s of load (the first seconds measure JIT warm-up of the client and the proxies; Gatling's\n")
        .append("report shows them all), on a 2-core machine shared with the load generator, every proxy and\n")
        .append("other builds: read them with the load average next to them.\n\n")
        .append("| simulation | profile | store | instances | actors | limit per actor | offered | admitted (upstream) | allowed bound (one budget) | admitted / bound | refused 429 | other errors | 200 p50 / p99 ms | 429 p50 / p99 ms | load avg start / end | run (UTC) | verdict |\n")
        .append("|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
    for (Properties p : rows) {
      md.append("| ").append(String.join(" | ",
          p.getProperty("simulation"), p.getProperty("profile"), p.getProperty("store"),
          p.getProperty("instances"), p.getProperty("actors"), p.getProperty("limit"),
          p.getProperty("offered"), p.getProperty("admitted"), p.getProperty("bound"),
          p.getProperty("ratio"), p.getProperty("refused"), p.getProperty("other"),
          p.getProperty("lat200"), p.getProperty("lat429"), p.getProperty("loadavg", "?"),
          p.getProperty("run"),
          "0".equals(p.getProperty("violations")) ? "pass" : "**FAIL** (" + p.getProperty("violations") + ")"))
          .append(" |\n");
    }
    md.append('\n');
    for (Properties p : rows) {
      md.append("- ").append(p.getProperty("simulation")).append(": ").append(p.getProperty("note", "")).append('\n');
    }
    String sqlite = null;
    String memory = null;
    for (Properties p : rows) {
      if ("3".equals(p.getProperty("instances")) && p.getProperty("store").equals("sqlite")) {
        sqlite = p.getProperty("admittedRaw");
      }
      if ("3".equals(p.getProperty("instances")) && p.getProperty("store").startsWith("memory")) {
        memory = p.getProperty("admittedRaw");
      }
    }
    if (sqlite != null && memory != null && Long.parseLong(sqlite) > 0) {
      md.append(String.format(Locale.ROOT, "%nContrast, same offered load on 3 instances: memory stores admitted %s, "
          + "the shared SQLite file %s: %.2fx (each memory process keeps its own budget).%n",
          memory, sqlite, Long.parseLong(memory) / (double) Long.parseLong(sqlite)));
    }
    md.append("\n## Proxy memory (RSS of each zo-gate process, from /proc/<pid>/status)\n\n")
        .append("| simulation | profile | actors with state | instances | heap cap | RSS before load MiB | RSS after load MiB | peak RSS (VmHWM) MiB |\n")
        .append("|---|---|---:|---:|---|---:|---:|---:|\n");
    for (Properties p : rows) {
      md.append("| ").append(String.join(" | ",
          p.getProperty("simulation"), p.getProperty("profile"), p.getProperty("stateActors"),
          p.getProperty("instances"), p.getProperty("heap"), p.getProperty("rssBefore"),
          p.getProperty("rssAfter"), p.getProperty("rssPeak"))).append(" |\n");
    }
    Files.writeString(target.resolve("load-summary.md"), md.toString(), StandardCharsets.UTF_8);
  }
}
