package io.zogate.proxy.governance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.governance.Decision.Verdict;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyFileTest {
  @TempDir Path dir;

  private Path write(String yaml) throws Exception {
    Path f = dir.resolve("policy.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  private PolicyException failure(String yaml) throws Exception {
    Path f = write(yaml);
    try {
      PolicyFile.load(f);
    } catch (PolicyException e) {
      assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r").startsWith(f.toString());
      return e;
    }
    throw new AssertionError("expected a PolicyException for:\n" + yaml);
  }

  private void assertFails(String yaml, int line, String field, String problem) throws Exception {
    PolicyException e = failure(yaml);
    assertThat(e.line()).as(e.getMessage()).isEqualTo(line);
    assertThat(e.field()).as(e.getMessage()).isEqualTo(field);
    assertThat(e.getMessage()).contains(problem)
        .startsWith(dir.resolve("policy.yaml") + ":" + line + ": " + (field.isEmpty() ? "" : field + ": "));
  }

  @Test
  void loadsTheContractExample() throws Exception {
    Policy p = PolicyFile.load(write(PolicyDecisionTest.CONTRACT_EXAMPLE));
    assertThat(p.defaultVerdict()).isEqualTo(Verdict.DENY);
    assertThat(p.rules()).hasSize(3);
    PolicyRule r = p.rules().get(1);
    assertThat(r.id()).isEqualTo("rules[1]");
    assertThat(r.verdict()).isEqualTo(Verdict.ALLOW);
    assertThat(r.risk()).isEqualTo(Risk.MEDIUM);
    assertThat(r.actor().orElseThrow().pattern()).isEqualTo("did:zo:agent:*");
    assertThat(r.kind()).contains(ActionKind.WRITE);
    assertThat(r.path().orElseThrow().pattern()).isEqualTo("/workspace/**");
    assertThat(r.tool()).isEmpty();
  }

  @Test
  void loadsEveryFieldAndDefaultsTheRisk() throws Exception {
    Policy p = PolicyFile.load(write("""
        default: escalate
        rules:
          - id: all-fields
            match:
              actor: "did:zo:agent:*"
              action: other
              method: "tools/call"
              tool: build
              path: "/w/**"
              paths: ["/out", "/a~1b"]
            decision: deny
          - id: empty-match
            match: {}
            decision: escalate
        """));
    assertThat(p.rules().get(0).risk()).isEqualTo(Risk.HIGH);
    assertThat(p.rules().get(0).paths()).hasSize(2);
    assertThat(p.rules().get(1).risk()).isEqualTo(Risk.MEDIUM);
    assertThat(PolicyFile.parse("x", "default: allow\nrules: []\n").rules()).isEmpty();
  }

  @Test
  void missingFileIsAPolicyException() {
    Path f = dir.resolve("absent.yaml");
    assertThatThrownBy(() -> PolicyFile.load(f)).isInstanceOf(PolicyException.class)
        .hasMessageStartingWith(f + ": cannot read policy file");
  }

  @Test
  void invalidUtf8IsAPolicyException() throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.write(f, "default: deny # \u00e9".getBytes(StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> PolicyFile.load(f)).isInstanceOf(PolicyException.class).hasMessageContaining("UTF-8");
  }

  @Test
  void unknownFieldAtTheRoot() throws Exception {
    assertFails("default: deny\nrule:\n  - {}\n", 2, "rule", "unknown field 'rule'");
  }

  @Test
  void unknownFieldInARule() throws Exception {
    assertFails("default: deny\nrules:\n  - match: {}\n    decision: deny\n    name: x\n", 5, "rules[0].name",
        "unknown field 'name'");
  }

  @Test
  void unknownFieldInAMatch() throws Exception {
    assertFails("default: deny\nrules:\n  - decision: deny\n    match:\n      tool: x\n      tools: y\n", 6,
        "rules[0].match.tools", "unknown field 'tools'");
  }

  @Test
  void duplicateKeys() throws Exception {
    assertFails("default: deny\ndefault: allow\n", 2, "default", "duplicate key (first on line 1)");
    assertFails("default: deny\nrules:\n  - match: { tool: a, tool: b }\n    decision: deny\n", 3,
        "rules[0].match.tool", "duplicate key");
  }

  @Test
  void missingRequiredFields() throws Exception {
    assertFails("rules: []\n", 1, "default", "missing required field");
    assertFails("default: deny\nrules:\n  - match: {}\n", 3, "rules[0].decision", "missing required field");
    assertFails("default: deny\nrules:\n  - decision: deny\n", 3, "rules[0].match", "missing required field");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "default: 1                                              | 1 | default                 | expected a string, got a number",
    "default: [deny]                                         | 1 | default                 | expected a string, got a list",
    "default: deny\\nrules: {}                               | 2 | rules                   | expected a list, got a map",
    "default: deny\\nrules:\\n  - deny                       | 3 | rules[0]                | expected a map, got a string",
    "default: deny\\nrules:\\n  - { match: [], decision: deny } | 3 | rules[0].match       | expected a map, got a list",
    "default: deny\\nrules:\\n  - { match: { tool: ~ }, decision: deny } | 3 | rules[0].match.tool | expected a string, got null",
    "default: deny\\nrules:\\n  - { match: { tool: 7 }, decision: deny } | 3 | rules[0].match.tool | expected a string, got a number",
    "default: deny\\nrules:\\n  - { match: { actor: true }, decision: deny } | 3 | rules[0].match.actor | expected a string, got a boolean",
    "default: deny\\nrules:\\n  - { match: { paths: /a }, decision: deny } | 3 | rules[0].match.paths | expected a list of JSON Pointers",
    "default: deny\\nrules:\\n  - { match: {}, decision: deny, id: 5 } | 3 | rules[0].id         | expected a string, got a number",
  })
  void wrongTypes(String yaml, int line, String field, String problem) throws Exception {
    assertFails(yaml.replace("\\n", "\n"), line, field.trim(), problem.trim());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "default: maybe                                                     | 1 | default                 | bad value 'maybe'",
    "default: DENY                                                      | 1 | default                 | bad value 'DENY'",
    "default: deny\\nrules:\\n  - { match: {}, decision: block }        | 3 | rules[0].decision       | bad value 'block'",
    "default: deny\\nrules:\\n  - { match: {}, decision: deny, risk: severe } | 3 | rules[0].risk     | bad value 'severe'",
    "default: deny\\nrules:\\n  - { match: { action: delete }, decision: deny } | 3 | rules[0].match.action | bad value 'delete'",
  })
  void badEnumValues(String yaml, int line, String field, String problem) throws Exception {
    assertFails(yaml.replace("\\n", "\n"), line, field.trim(), problem.trim());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "tool: \"\"               | rules[0].match.tool   | malformed glob",
    "tool: \"read_**\"        | rules[0].match.tool   | malformed glob",
    "actor: \"did:zo:**\"     | rules[0].match.actor  | malformed glob",
    "method: \"a\\tb\"        | rules[0].match.method | malformed glob",
    "path: \"etc/**\"         | rules[0].match.path   | must be absolute",
    "path: \"/etc/\"          | rules[0].match.path   | trailing",
    "path: \"/etc//x\"        | rules[0].match.path   | not normalised",
    "path: \"/etc/../x\"      | rules[0].match.path   | not normalised",
    "path: \"/etc/a**\"       | rules[0].match.path   | whole segment",
    "path: \"/etc/***\"       | rules[0].match.path   | whole segment",
    "path: \"file:///etc/**\" | rules[0].match.path   | file: URIs",
    "path: \"\\\\etc\"        | rules[0].match.path   | backslash",
    "paths: [\"a/b\"]         | rules[0].match.paths[0] | malformed JSON Pointer",
    "paths: [\"/a~2\"]        | rules[0].match.paths[0] | malformed JSON Pointer",
    "paths: [\"\"]            | rules[0].match.paths[0] | malformed JSON Pointer",
    "paths: []                | rules[0].match.paths  | empty list",
  })
  void malformedGlobsAndPointers(String match, String field, String problem) throws Exception {
    String yaml = "default: deny\nrules:\n  - decision: deny\n    match:\n      " + match.trim() + "\n";
    assertFails(yaml, 5, field.trim(), problem.trim());
  }

  @Test
  void badDuplicateAndReservedIds() throws Exception {
    assertFails("default: deny\nrules:\n  - { id: a, match: {}, decision: deny }\n  - { id: a, match: {}, decision: deny }\n",
        4, "rules[1].id", "duplicate rule id 'a'");
    assertFails("default: deny\nrules:\n  - { id: default, match: {}, decision: deny }\n", 3, "rules[0].id", "reserved");
    assertFails("default: deny\nrules:\n  - { id: \"has space\", match: {}, decision: deny }\n", 3, "rules[0].id", "bad id");
  }

  @Test
  void invalidYamlHasALine() throws Exception {
    PolicyException e = failure("default: deny\nrules:\n  - match: {tool: \"x\"\n    decision: deny\n");
    assertThat(e.line()).isGreaterThan(0);
    assertThat(e.getMessage()).contains("invalid YAML");
    assertThat(failure("default: deny\nrules:\n\t- x\n").line()).isBetween(2, 3);
  }

  @Test
  void emptyFileAndNonMapRoot() throws Exception {
    assertFails("", 1, "", "empty policy file");
    assertFails("# only a comment\n", 1, "", "empty policy file");
    assertFails("- deny\n", 1, "", "expected a map, got a list");
  }

  @Test
  void moreThanOneDocument() throws Exception {
    assertFails("default: deny\n---\ndefault: allow\n", 3, "", "more than one YAML document");
  }

  @Test
  void aliasesAreRefused() throws Exception {
    PolicyException e = failure("""
        default: deny
        rules:
          - match: &m { tool: x }
            decision: deny
          - match: *m
            decision: allow
        """);
    assertThat(e.getMessage()).contains("alias");
    assertThat(e.line()).isEqualTo(5);
  }

  @Test
  void messageFormatIsFileLineFieldProblem() {
    PolicyException e = new PolicyException("p.yaml", 7, "rules[1].risk", "bad\nvalue");
    assertThat(e.getMessage()).isEqualTo("p.yaml:7: rules[1].risk: bad value");
    assertThat(new PolicyException("p.yaml", 0, "", "gone").getMessage()).isEqualTo("p.yaml: gone");
  }
}
