package io.zogate.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The one generic runner: every case of every {@code fixtures/attacks/*.json} file becomes a
 * dynamic test named by its id, run against the real proxy over real sockets, and recorded
 * (expected, observed, passed) for the report.
 */
class AttackSuiteTest {
  private static final List<CaseRunner> RUNNERS = new ArrayList<>();

  @TestFactory
  Stream<DynamicNode> everyAttackCase() {
    List<DynamicNode> files = new ArrayList<>();
    for (AttackFiles.AttackFile file : AttackFiles.loadAll()) {
      CaseRunner[] runner = new CaseRunner[1];
      List<DynamicNode> tests = new ArrayList<>();
      for (JsonNode c : file.cases()) {
        String id = c.get("id").asText();
        tests.add(DynamicTest.dynamicTest(id + " " + c.get("title").asText(), () -> {
          if (runner[0] == null) {
            runner[0] = new CaseRunner(file.root().get("proxy"));
            RUNNERS.add(runner[0]);
          }
          String expected = AttackFiles.expected(c.get("expect"));
          CaseRunner.Observation o;
          try {
            o = runner[0].run(c);
          } catch (Exception e) {
            o = new CaseRunner.Observation("harness error: " + e, false, List.of("harness error"), "");
          }
          boolean passed = o.problems().isEmpty();
          String observed = o.outcome() + (passed || o.problems().equals(List.of("outcome")) ? ""
              : " [" + String.join("; ", o.problems().stream().filter(p -> !p.equals("outcome")).toList()) + "]");
          Map<String, Object> line = new LinkedHashMap<>();
          line.put("id", id);
          line.put("category", file.category());
          line.put("severity", c.get("severity").asText());
          line.put("title", c.get("title").asText());
          line.put("flags", c.get("flags"));
          line.put("expected", expected);
          line.put("observed", observed);
          line.put("passed", passed);
          line.put("request", c.get("request"));
          if (c.has("steps")) {
            line.put("steps", c.get("steps"));
          }
          if (c.has("upstream")) {
            line.put("upstream", c.get("upstream"));
          }
          Results.recordCase(line);
          assertThat(passed).as("%s expected %s, observed %s", id, expected, observed).isTrue();
        }));
      }
      files.add(DynamicContainer.dynamicContainer(file.category(), tests));
    }
    return files.stream();
  }

  @AfterAll
  static void closeRunners() throws Exception {
    for (CaseRunner r : RUNNERS) {
      r.close();
    }
  }
}
