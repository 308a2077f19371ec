package io.zogate.proxy.governance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zogate.proxy.governance.Decision.Verdict;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyDecisionTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** The example policy of CONTRACT.md section 6, verbatim. */
  static final String CONTRACT_EXAMPLE = """
      default: deny
      rules:
        - match: { tool: "read_*" }
          decision: allow
          risk: low
        - match: { actor: "did:zo:agent:*", action: write, path: "/workspace/**" }
          decision: allow
          risk: medium
        - match: { path: "/etc/**" }          # beats the first rule for read_file {"path": "/etc/shadow"}
          decision: deny
          risk: high
      """;

  static Governor governor(String yaml) {
    try {
      return new PolicyGovernor(PolicyFile.parse("policy.yaml", yaml));
    } catch (PolicyException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Action call(String actor, ActionKind kind, String tool, String args) {
    return new Action(actor, kind, "tools/call", tool, List.of(), json(args));
  }

  static final String ALICE = "did:zo:agent:alice";

  @Nested
  class ContractExample {
    final Governor g = governor(CONTRACT_EXAMPLE);

    @Test
    void readToolIsAllowedLow() {
      assertThat(g.decide(call(ALICE, ActionKind.READ, "read_file", "{\"path\":\"/workspace/a.txt\"}")))
          .isEqualTo(new Decision(Verdict.ALLOW, "rules[0]", Risk.LOW));
    }

    @Test
    void readToolWithoutPathIsAllowed() {
      assertThat(g.decide(call(ALICE, ActionKind.READ, "read_logs", "{}")).verdict()).isEqualTo(Verdict.ALLOW);
    }

    @Test
    void denyOnEtcBeatsAllowOnReadTool() {
      assertThat(g.decide(call(ALICE, ActionKind.READ, "read_file", "{\"path\":\"/etc/shadow\"}")))
          .isEqualTo(new Decision(Verdict.DENY, "rules[2]", Risk.HIGH));
    }

    @Test
    void agentWriteInWorkspaceIsAllowedMedium() {
      assertThat(g.decide(call(ALICE, ActionKind.WRITE, "write_file", "{\"path\":\"/workspace/src/x.java\"}")))
          .isEqualTo(new Decision(Verdict.ALLOW, "rules[1]", Risk.MEDIUM));
    }

    @Test
    void nonAgentWriteFallsToDefaultDeny() {
      assertThat(g.decide(call("did:zo:svc:ci", ActionKind.WRITE, "write_file", "{\"path\":\"/workspace/x\"}")))
          .isEqualTo(new Decision(Verdict.DENY, "default", Risk.HIGH));
    }

    @Test
    void agentWriteOutsideWorkspaceIsDefaultDeny() {
      assertThat(g.decide(call(ALICE, ActionKind.WRITE, "write_file", "{\"path\":\"/home/alice/x\"}")).rule())
          .isEqualTo("default");
    }

    @Test
    void agentWriteToEtcIsDeniedByTheEtcRule() {
      assertThat(g.decide(call(ALICE, ActionKind.WRITE, "write_file", "{\"path\":\"/etc/passwd\"}")).rule())
          .isEqualTo("rules[2]");
    }

    @Test
    void agentWriteWithoutAnyPathDoesNotMatchThePathRule() {
      assertThat(g.decide(call(ALICE, ActionKind.WRITE, "write_file", "{\"content\":\"x\"}")).rule())
          .isEqualTo("default");
    }

    @Test
    void allowWithPathNeedsEveryTargetInside() {
      // /workspace/** allows the destination, but the source is outside it: the allow does not match.
      Decision d = g.decide(call(ALICE, ActionKind.WRITE, "move_file",
          "{\"source\":\"/home/alice/secret\",\"destination\":\"/workspace/x\"}"));
      assertThat(d).isEqualTo(new Decision(Verdict.DENY, "default", Risk.HIGH));
    }

    @Test
    void workspaceDotDotEtcHitsTheEtcRule() {
      assertThat(g.decide(call(ALICE, ActionKind.WRITE, "write_file", "{\"path\":\"/workspace/../etc/passwd\"}")).rule())
          .isEqualTo("rules[2]");
    }

    @Test
    void targetsFromTheActionCountToo() {
      Action a = new Action(ALICE, ActionKind.READ, "resources/read", "", List.of("file:///etc/hosts"));
      assertThat(g.decide(a).rule()).isEqualTo("rules[2]");
    }

    @Test
    void nonToolMethodFallsToDefault() {
      assertThat(g.decide(new Action(ALICE, ActionKind.READ, "tools/list", "", List.of())).rule()).isEqualTo("default");
    }
  }

  @Nested
  class StrictestWins {
    static String policy(String def, String... rules) {
      StringBuilder b = new StringBuilder("default: " + def + "\nrules:\n");
      for (String r : rules) {
        b.append("  - ").append(r).append('\n');
      }
      return b.toString();
    }

    static final String ALLOW_HIGH = "{ id: a-high, match: { tool: t }, decision: allow, risk: high }";
    static final String ALLOW_LOW = "{ id: a-low, match: {}, decision: allow, risk: low }";
    static final String ESC_LOW = "{ id: e-low, match: { actor: \"*\" }, decision: escalate, risk: low }";
    static final String ESC_MED = "{ id: e-med, match: { method: \"tools/*\" }, decision: escalate }";
    static final String DENY_LOW = "{ id: d-low, match: { action: read }, decision: deny, risk: low }";

    final Action a = call(ALICE, ActionKind.READ, "t", "{}");

    @Test
    void denyBeatsEscalateAndAllowInAnyOrder() {
      List<List<String>> orders = List.of(
          List.of(ALLOW_HIGH, ESC_MED, DENY_LOW), List.of(DENY_LOW, ESC_MED, ALLOW_HIGH),
          List.of(ESC_MED, DENY_LOW, ALLOW_HIGH), List.of(ALLOW_HIGH, DENY_LOW, ESC_MED));
      for (List<String> o : orders) {
        // The deny wins even with the lowest risk: verdict first, risk only within the verdict.
        assertThat(governor(policy("allow", o.toArray(String[]::new))).decide(a))
            .as(o.toString()).isEqualTo(new Decision(Verdict.DENY, "d-low", Risk.LOW));
      }
    }

    @Test
    void escalateBeatsAllow() {
      assertThat(governor(policy("allow", ALLOW_HIGH, ESC_LOW)).decide(a))
          .isEqualTo(new Decision(Verdict.ESCALATE, "e-low", Risk.LOW));
      assertThat(governor(policy("allow", ESC_LOW, ALLOW_HIGH)).decide(a).verdict()).isEqualTo(Verdict.ESCALATE);
    }

    @Test
    void highestRiskWithinTheSameVerdict() {
      assertThat(governor(policy("deny", ALLOW_LOW, ALLOW_HIGH)).decide(a).rule()).isEqualTo("a-high");
      assertThat(governor(policy("deny", ALLOW_HIGH, ALLOW_LOW)).decide(a).rule()).isEqualTo("a-high");
      assertThat(governor(policy("deny", ESC_LOW, ESC_MED)).decide(a)).isEqualTo(
          new Decision(Verdict.ESCALATE, "e-med", Risk.MEDIUM));
    }

    @Test
    void firstRuleWinsBetweenEquals() {
      String other = "{ id: a-high-2, match: {}, decision: allow, risk: high }";
      assertThat(governor(policy("deny", other, ALLOW_HIGH)).decide(a).rule()).isEqualTo("a-high-2");
    }

    @Test
    void defaultOnlyWhenNothingMatches() {
      Action write = call(ALICE, ActionKind.WRITE, "other", "{}");
      assertThat(governor(policy("escalate", ALLOW_HIGH, DENY_LOW)).decide(write))
          .isEqualTo(new Decision(Verdict.ESCALATE, "default", Risk.MEDIUM));
      assertThat(governor("default: allow\n").decide(write)).isEqualTo(new Decision(Verdict.ALLOW, "default", Risk.LOW));
    }

    @Test
    void aDenyRuleBeatsAnAllowDefault() {
      assertThat(governor(policy("allow", DENY_LOW)).decide(a).verdict()).isEqualTo(Verdict.DENY);
    }
  }

  @Nested
  class Globs {
    @ParameterizedTest
    @CsvSource({
      "read_*, read_file, true",
      "read_*, read_, true",
      "read_*, readfile, false",
      "read_*, xread_file, false",
      "*_file, write_file, true",
      "*file*, myfile2, true",
      "exec, exec, true",
      "exec, Exec, false",
      "exec, exec2, false",
      "a*b*c, abc, true",
      "a*b*c, axbyc, true",
      "a*b*c, acb, false",
      "ab*ba, aba, false",
    })
    void toolGlobs(String pattern, String tool, boolean expected) {
      Governor g = governor("default: deny\nrules:\n  - { match: { tool: \"" + pattern + "\" }, decision: allow }\n");
      assertThat(g.decide(call(ALICE, ActionKind.OTHER, tool, "{}")).allowed()).isEqualTo(expected);
    }

    @Test
    void toolGlobNeverMatchesAnActionWithoutATool() {
      Governor g = governor("default: deny\nrules:\n  - { match: { tool: \"*\" }, decision: allow }\n");
      assertThat(g.decide(new Action(ALICE, ActionKind.READ, "ping", "", List.of())).allowed()).isFalse();
      assertThat(g.decide(call(ALICE, ActionKind.READ, "anything", "{}")).allowed()).isTrue();
    }

    @ParameterizedTest
    @CsvSource({
      "did:zo:agent:*, did:zo:agent:alice, true",
      "did:zo:agent:*, did:zo:agent:team:bob, true",
      "did:zo:agent:*, did:zo:agentx:alice, false",
      "did:zo:agent:*, did:zo:svc:ci, false",
      "did:zo:agent:*, xdid:zo:agent:alice, false",
      "did:zo:agent:alice, did:zo:agent:alice, true",
      "did:zo:agent:alice, did:zo:agent:alice2, false",
      "did:zo:agent:alice, DID:ZO:AGENT:ALICE, false",
      "spiffe://zo/actor/*, spiffe://zo/actor/bob, true",
      "spiffe://zo/actor/*, spiffe://zo/other/bob, false",
    })
    void actorPatterns(String pattern, String actor, boolean expected) {
      Governor g = governor("default: deny\nrules:\n  - { match: { actor: \"" + pattern + "\" }, decision: allow }\n");
      assertThat(g.decide(call(actor, ActionKind.READ, "t", "{}")).allowed()).isEqualTo(expected);
    }

    @Test
    void methodGlobAndActionKind() {
      Governor g = governor("""
          default: allow
          rules:
            - { id: no-prompts, match: { method: "prompts/*" }, decision: deny }
            - { id: exec, match: { action: execute }, decision: escalate, risk: high }
          """);
      assertThat(g.decide(new Action(ALICE, ActionKind.READ, "prompts/get", "", List.of())).rule()).isEqualTo("no-prompts");
      assertThat(g.decide(new Action(ALICE, ActionKind.READ, "tools/list", "", List.of())).allowed()).isTrue();
      assertThat(g.decide(call(ALICE, ActionKind.EXECUTE, "run", "{}")))
          .isEqualTo(new Decision(Verdict.ESCALATE, "exec", Risk.HIGH));
    }
  }

  @Nested
  class PathTargets {
    final Governor g = governor(CONTRACT_EXAMPLE.replace("default: deny", "default: allow"));

    @ParameterizedTest
    @ValueSource(strings = {
      "/etc/passwd", "/workspace/../etc/passwd", "//etc//shadow", "/etc/./shadow", "/etc/", "/etc",
      "/workspace/./../etc/x", "file:///etc/passwd", "file:/etc/passwd", "file://localhost/etc/passwd",
      "file:///workspace/%2e%2e/etc/passwd", "file:///workspace/%2E%2E/etc/passwd", "file:///%65tc/passwd",
      "FILE:///etc/passwd", "file:///workspace%2f..%2f..%2fetc/passwd"})
    void etcIsDeniedHoweverItIsSpelled(String p) {
      Decision d = g.decide(call(ALICE, ActionKind.READ, "read_file", JSON.createObjectNode().put("path", p).toString()));
      assertThat(d.verdict()).as(p).isEqualTo(Verdict.DENY);
    }

    @ParameterizedTest
    @ValueSource(strings = {
      "etc/passwd", "", "./etc/passwd", "~/x", "../etc/passwd", "/..", "/../etc/passwd", "/workspace/../../etc",
      "/etc/passwd\u0000.txt", "C:\\Windows", "c:/x", "/workspace\\..\\etc", "file://evil.example/etc/passwd",
      "file:etc/passwd", "file:///etc/passwd%00", "file:///workspace/%252e%252e/etc", "file:///x/%zz",
      "file:///x?y", "file:///x#frag", "file:///x/%c3%28", "file://"})
    void invalidPathsAreDeniedRegardlessOfRules(String p) {
      Decision d = g.decide(call(ALICE, ActionKind.READ, "read_file", JSON.createObjectNode().put("path", p).toString()));
      assertThat(d).as(p).isEqualTo(new Decision(Verdict.DENY, "path-invalid", Risk.HIGH));
    }

    @Test
    void invalidTargetBeatsAnAllowEverythingPolicy() {
      Governor all = governor("default: allow\nrules:\n  - { match: {}, decision: allow }\n");
      assertThat(all.decide(new Action(ALICE, ActionKind.READ, "resources/read", "", List.of("relative/x"))).rule())
          .isEqualTo("path-invalid");
    }

    @Test
    void workspacePathsAreNotDenied() {
      assertThat(g.decide(call(ALICE, ActionKind.READ, "read_file", "{\"path\":\"/workspace/etc/passwd\"}")).allowed()).isTrue();
      assertThat(g.decide(call(ALICE, ActionKind.READ, "read_file", "{\"path\":\"/etcetera/x\"}")).allowed()).isTrue();
      assertThat(g.decide(call(ALICE, ActionKind.READ, "read_file", "{\"path\":\"/\"}")).allowed()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"path", "file", "filename", "uri", "target", "source", "destination", "dir", "directory"})
    void everyDefaultArgumentNameIsAPath(String name) {
      String args = JSON.createObjectNode().put(name, "/etc/shadow").toString();
      assertThat(g.decide(call(ALICE, ActionKind.READ, "read_file", args)).verdict()).isEqualTo(Verdict.DENY);
    }

    @Test
    void arraysUnderDefaultNamesCountElementByElement() {
      assertThat(g.decide(call(ALICE, ActionKind.READ, "read_file", "{\"path\":[\"/workspace/a\",\"/etc/shadow\"]}")).verdict())
          .isEqualTo(Verdict.DENY);
    }

    @Test
    void otherArgumentNamesAndNestedDefaultNamesAreNotPathsByDefault() {
      assertThat(g.decide(call(ALICE, ActionKind.READ, "read_file", "{\"content\":\"/etc/shadow\"}")).allowed()).isTrue();
      assertThat(g.decide(call(ALICE, ActionKind.READ, "read_file", "{\"opts\":{\"path\":\"/etc/shadow\"}}")).allowed()).isTrue();
      // not a path at all, and not at a path-like name: no path-invalid
      assertThat(g.decide(call(ALICE, ActionKind.READ, "read_file", "{\"query\":\"etc/passwd\"}")).allowed()).isTrue();
    }

    @Test
    void pathsPointersAddTargetsForEveryRule() {
      Governor p = governor("""
          default: allow
          rules:
            - { id: build-paths, match: { tool: build, paths: ["/options/outDir", "/inputs"] }, decision: allow }
            - { id: deny-etc, match: { path: "/etc/**" }, decision: deny }
          """);
      assertThat(p.decide(call(ALICE, ActionKind.WRITE, "build", "{\"options\":{\"outDir\":\"/etc/cron.d\"}}")).rule())
          .isEqualTo("deny-etc");
      assertThat(p.decide(call(ALICE, ActionKind.WRITE, "build", "{\"inputs\":[\"/w/a\",\"/etc/x\"]}")).rule())
          .isEqualTo("deny-etc");
      assertThat(p.decide(call(ALICE, ActionKind.WRITE, "build", "{\"options\":{\"outDir\":\"out\"}}")).rule())
          .isEqualTo("path-invalid");
      assertThat(p.decide(call(ALICE, ActionKind.WRITE, "build", "{\"options\":{\"outDir\":\"/w/out\"}}")).allowed()).isTrue();
      // the pointers belong to the build tool only
      assertThat(p.decide(call(ALICE, ActionKind.WRITE, "other", "{\"options\":{\"outDir\":\"/etc/cron.d\"}}")).allowed()).isTrue();
    }

    @Test
    void otherUriSchemesAreMatchedAsIs() {
      Governor p = governor("""
          default: allow
          rules:
            - { id: no-internal, match: { path: "https://internal.example/**" }, decision: deny }
            - { id: etc, match: { path: "/etc/**" }, decision: deny }
          """);
      assertThat(p.decide(call(ALICE, ActionKind.NETWORK, "fetch", "{\"uri\":\"https://internal.example/a/b\"}")).rule())
          .isEqualTo("no-internal");
      assertThat(p.decide(call(ALICE, ActionKind.NETWORK, "fetch", "{\"uri\":\"https://public.example/etc/x\"}")).allowed())
          .isTrue();
      assertThat(p.decide(new Action(ALICE, ActionKind.READ, "resources/read", "", List.of("db://etc/x"))).allowed()).isTrue();
    }

    @Test
    void starStaysInOneSegmentDoubleStarCrosses() {
      Governor p = governor("""
          default: deny
          rules:
            - { id: one, match: { path: "/w/*.txt" }, decision: allow }
            - { id: deep, match: { path: "/d/**/x" }, decision: allow }
          """);
      assertThat(p.decide(call(ALICE, ActionKind.READ, "r", "{\"path\":\"/w/a.txt\"}")).rule()).isEqualTo("one");
      assertThat(p.decide(call(ALICE, ActionKind.READ, "r", "{\"path\":\"/w/s/a.txt\"}")).rule()).isEqualTo("default");
      assertThat(p.decide(call(ALICE, ActionKind.READ, "r", "{\"path\":\"/d/x\"}")).rule()).isEqualTo("deep");
      assertThat(p.decide(call(ALICE, ActionKind.READ, "r", "{\"path\":\"/d/a/b/c/x\"}")).rule()).isEqualTo("deep");
      assertThat(p.decide(call(ALICE, ActionKind.READ, "r", "{\"path\":\"/d/a/b/c/x/y\"}")).rule()).isEqualTo("default");
    }

    @Test
    void escalateMatchesOnAnyTarget() {
      Governor p = governor("default: allow\nrules:\n  - { id: e, match: { path: \"/secrets/**\" }, decision: escalate }\n");
      assertThat(p.decide(call(ALICE, ActionKind.READ, "cp", "{\"source\":\"/secrets/k\",\"destination\":\"/w/k\"}")).rule())
          .isEqualTo("e");
    }
  }

  @Test
  void governorNeverThrows() {
    Governor g = governor(CONTRACT_EXAMPLE);
    assertThat(g.decide(null)).isEqualTo(new Decision(Verdict.DENY, "policy-error", Risk.HIGH));
    assertThat(g.decide(new Action(ALICE, ActionKind.READ, "tools/call", null, List.of(), null)).verdict())
        .isEqualTo(Verdict.DENY);
    assertThat(g.decide(call(ALICE, ActionKind.READ, "read_x", "[1,2]")).allowed()).isTrue();
    assertThat(g.decide(call(ALICE, ActionKind.READ, "read_x", "\"str\"")).allowed()).isTrue();
  }

  @Test
  void actionCopiesItsArguments() {
    com.fasterxml.jackson.databind.node.ObjectNode args = JSON.createObjectNode().put("path", "/workspace/a");
    Action a = new Action(ALICE, ActionKind.READ, "tools/call", "read_file", List.of(), args);
    args.put("path", "/etc/shadow");
    assertThat(governor(CONTRACT_EXAMPLE).decide(a).allowed()).isTrue();
    assertThat(new Action(ALICE, ActionKind.READ, "m", "t", List.of()).arguments().isMissingNode()).isTrue();
  }
}
