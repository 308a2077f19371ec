package io.zogate.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The gate. Runs in its own surefire execution after every case, corpus, property and lint
 * check has run (and recorded what it saw), writes {@code reports/adversarial-report.json},
 * {@code .md} and {@code .html} (CONTRACT section 8) at the repository root, and fails the build
 * when the verdict is fail. Every count is counted from the recorded results, the surefire
 * reports of the first execution and Pitest's mutations.xml; nothing is typed in.
 */
class ReportGate {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** Mutation score threshold over the security code, in percent (issue 5: start at 85). */
  static final double THRESHOLD = Double.parseDouble(System.getProperty("zogate.mutationThreshold", "85"));
  static final List<String> SEVERITIES = List.of("high", "medium", "low");

  @Test
  void writeTheReportAndFailOnAFailVerdict() throws Exception {
    List<Map<String, Object>> cases = new ArrayList<>();
    for (JsonNode c : lines(Results.dir().resolve("cases.jsonl"))) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (String k : List.of("id", "category", "severity", "title", "expected", "observed")) {
        m.put(k, c.get(k).asText());
      }
      m.put("passed", c.get("passed").asBoolean());
      cases.add(m);
    }
    cases.addAll(otherChecks());

    Map<String, Object> mutation = mutation();
    boolean mutationPass = "pass".equals(mutation.get("verdict"));

    Map<String, Object> severity = new LinkedHashMap<>();
    boolean allPass = true;
    for (String s : SEVERITIES) {
      long n = cases.stream().filter(c -> s.equals(c.get("severity"))).count();
      long passed = cases.stream().filter(c -> s.equals(c.get("severity")) && (Boolean) c.get("passed")).count();
      boolean pass = n > 0 && passed == n && (!s.equals("high") || mutationPass);
      allPass &= pass;
      severity.put(s, ordered("cases", n, "passed", passed, "verdict", pass ? "pass" : "fail"));
    }

    Map<String, Object> categories = new TreeMap<>();
    for (Map<String, Object> c : cases) {
      @SuppressWarnings("unchecked")
      Map<String, Object> cat = (Map<String, Object>) categories.computeIfAbsent((String) c.get("category"),
          k -> ordered("cases", 0L, "passed", 0L));
      cat.put("cases", (Long) cat.get("cases") + 1);
      if ((Boolean) c.get("passed")) {
        cat.put("passed", (Long) cat.get("passed") + 1);
      }
    }

    Map<String, Object> corpora = new TreeMap<>();
    for (JsonNode l : lines(Results.dir().resolve("corpora.jsonl"))) {
      @SuppressWarnings("unchecked")
      Map<String, Object> c = (Map<String, Object>) corpora.computeIfAbsent(l.get("corpus").asText(),
          k -> ordered("cases", 0L, "agreed", 0L));
      c.put("cases", (Long) c.get("cases") + 1);
      if (l.get("agreed").asBoolean()) {
        c.put("agreed", (Long) c.get("agreed") + 1);
      }
    }
    boolean corporaAgree = !corpora.isEmpty() && corpora.values().stream().allMatch(v -> {
      @SuppressWarnings("unchecked")
      Map<String, Object> c = (Map<String, Object>) v;
      return c.get("cases").equals(c.get("agreed")) && (Long) c.get("cases") > 0;
    });

    String verdict = allPass && corporaAgree ? "pass" : "fail";
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("schema", "zo-adversarial-report/v1");
    report.put("generatedAt", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    report.put("commit", commit());
    report.put("proxyVersion", System.getProperty("zogate.proxyVersion", "unknown"));
    report.put("verdict", verdict);
    report.put("severity", severity);
    report.put("mutation", mutation);
    report.put("categories", categories);
    report.put("corpora", corpora);
    report.put("cases", cases);

    Path out = AttackFiles.root().resolve("reports");
    Files.createDirectories(out);
    Files.writeString(out.resolve("adversarial-report.json"), JSON.writeValueAsString(report) + "\n");
    Files.writeString(out.resolve("adversarial-report.md"), ReportText.markdown(report));
    Files.writeString(out.resolve("adversarial-report.html"), ReportText.html(report));

    List<String> failed = cases.stream().filter(c -> !(Boolean) c.get("passed"))
        .map(c -> c.get("id") + " (" + c.get("severity") + ") expected " + c.get("expected") + ", observed "
            + c.get("observed"))
        .toList();
    assertThat(verdict)
        .as("adversarial verdict (report in %s): failed cases %s; mutation %s; corpora %s", out, failed,
            mutation, corpora)
        .isEqualTo("pass");
  }

  static Map<String, Object> ordered(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  static List<JsonNode> lines(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!l.isBlank()) {
        out.add(JSON.readTree(l));
      }
    }
    return out;
  }

  /**
   * The checks that are not attack cases but guard the gate itself, read from the first
   * execution's surefire reports: every property (category property-attacks, high) and every
   * lint or corpus test (category gate-checks, high). A runner that crashed shows here too.
   */
  static List<Map<String, Object>> otherChecks() throws Exception {
    List<Map<String, Object>> out = new ArrayList<>();
    Path dir = Path.of(System.getProperty("zogate.surefireReports", "target/surefire-reports"));
    if (!Files.isDirectory(dir)) {
      return out;
    }
    List<Path> xmls;
    try (Stream<Path> s = Files.list(dir)) {
      xmls = s.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")
          && !p.getFileName().toString().endsWith("-gate.xml")
          && !p.getFileName().toString().contains("ReportGate")).sorted().toList();
    }
    int n = 0;
    for (Path x : xmls) {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      Document doc = f.newDocumentBuilder().parse(x.toFile());
      NodeList tcs = doc.getElementsByTagName("testcase");
      for (int i = 0; i < tcs.getLength(); i++) {
        Element tc = (Element) tcs.item(i);
        String cls = tc.getAttribute("classname");
        String name = tc.getAttribute("name");
        boolean failed = tc.getElementsByTagName("failure").getLength() > 0
            || tc.getElementsByTagName("error").getLength() > 0;
        if (cls.endsWith("AttackSuiteTest")) {
          if (failed && !name.matches(".*\\[\\d+\\]\\[\\d+\\].*")) {
            out.add(check("GATE-RUNNER", "gate-checks", "the attack runner itself", name, false));
          }
          continue;
        }
        boolean property = cls.endsWith("Properties");
        String category = property ? "property-attacks" : "gate-checks";
        String id = (property ? "PROP-" : "GATE-") + String.format("%03d", ++n);
        out.add(check(id, category, cls.substring(cls.lastIndexOf('.') + 1) + "." + name,
            failed ? "failed" : "passed", !failed));
      }
    }
    return out;
  }

  static Map<String, Object> check(String id, String category, String title, String observed, boolean passed) {
    return ordered("id", id, "category", category, "severity", "high", "title", title, "expected", "passed",
        "observed", observed, "passed", passed);
  }

  /**
   * Pitest's mutations.xml over the security code: killed (detected, including timeouts and
   * memory errors, as Pitest counts them), survived, no coverage; score in percent. No file
   * means the mutation verdict is fail: never assume.
   */
  static Map<String, Object> mutation() throws Exception {
    Path xml = Path.of(System.getProperty("zogate.mutations", "../proxy/target/pit-reports/mutations.xml"));
    TreeSet<String> scope = new TreeSet<>();
    long killed = 0;
    long survived = 0;
    long noCoverage = 0;
    long total = 0;
    if (Files.exists(xml)) {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      Document doc = f.newDocumentBuilder().parse(xml.toFile());
      NodeList ms = doc.getElementsByTagName("mutation");
      for (int i = 0; i < ms.getLength(); i++) {
        Element m = (Element) ms.item(i);
        total++;
        String status = m.getAttribute("status");
        if ("true".equals(m.getAttribute("detected"))) {
          killed++;
        } else if ("NO_COVERAGE".equals(status)) {
          noCoverage++;
        } else {
          survived++;
        }
        NodeList mc = m.getElementsByTagName("mutatedClass");
        if (mc.getLength() > 0) {
          scope.add(mc.item(0).getTextContent().replaceAll("\\$.*", ""));
        }
      }
    }
    double score = total == 0 ? 0.0 : Math.round(killed * 1000.0 / total) / 10.0;
    boolean pass = total > 0 && score >= THRESHOLD;
    return ordered("scope", new ArrayList<>(scope), "score", score, "threshold", THRESHOLD, "killed", killed,
        "survived", survived, "noCoverage", noCoverage, "verdict", pass ? "pass" : "fail");
  }

  static String commit() {
    try {
      Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").directory(AttackFiles.root().toFile())
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 && out.matches("[0-9a-f]{4,40}")) {
        return out;
      }
    } catch (IOException | InterruptedException e) {
      // no git here: say so
    }
    return "unknown";
  }
}
