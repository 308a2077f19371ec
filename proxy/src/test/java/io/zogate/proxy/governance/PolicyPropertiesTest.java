package io.zogate.proxy.governance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zogate.proxy.governance.Decision.Verdict;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class PolicyPropertiesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Allows on every tool, every actor and every path, all at high risk; one low-risk deny on /etc/**. */
  private static final Governor GOVERNOR;

  static {
    try {
      GOVERNOR = new PolicyGovernor(PolicyFile.parse("property-policy.yaml", """
          default: allow
          rules:
            - { id: any-tool, match: { tool: "*" }, decision: allow, risk: high }
            - { id: any-read, match: { tool: "read_*" }, decision: allow, risk: high }
            - { id: any-actor, match: { actor: "*" }, decision: allow, risk: high }
            - { id: any-path, match: { path: "/**" }, decision: allow, risk: high }
            - { id: everything, match: {}, decision: allow, risk: high }
            - { id: declared, match: { paths: ["/nested/where"] }, decision: allow, risk: high }
            - { id: deny-etc, match: { path: "/etc/**" }, decision: deny, risk: low }
          """));
    } catch (PolicyException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** A path that normalises to /etc or below: names, '.', '//' and '..' that never climbs out of /etc. */
  @Provide
  Arbitrary<String> pathsUnderEtc() {
    Arbitrary<String> name = Arbitraries.strings().withCharRange('a', 'z').withChars('-', '_', '.', ' ', '~', '%', 'é')
        .ofMinLength(1).ofMaxLength(8).filter(s -> !s.equals(".") && !s.equals(".."));
    Arbitrary<Integer> op = Arbitraries.integers().between(0, 9);
    return Combinators.combine(name.list().ofMaxSize(12), op.list().ofMaxSize(12)).as((names, ops) -> {
      StringBuilder b = new StringBuilder(ops.size() % 2 == 0 ? "/etc" : "//etc/.");
      int depth = 0;
      int n = 0;
      for (int o : ops) {
        if (o <= 4 && n < names.size()) {
          b.append('/').append(names.get(n++));
          depth++;
        } else if (o == 5) {
          b.append("/.");
        } else if (o == 6) {
          b.append('/');
        } else if (o == 7 && depth > 0) {
          b.append("/..");
          depth--;
        } else if (o == 8) {
          b.append("/x/..");
        }
      }
      if (ops.size() % 3 == 0) {
        b.append('/');
      }
      return b.toString();
    });
  }

  @Property(tries = 400)
  void denyOnEtcBeatsAllowsEverywhere(
      @ForAll("pathsUnderEtc") String path,
      @ForAll("toolNames") String tool,
      @ForAll("carriers") String carrier,
      @ForAll @IntRange(min = 0, max = 1) int asFileUri) {
    String p = asFileUri == 1 ? fileUri(path) : path;
    ObjectNode args = JSON.createObjectNode().put("content", "x");
    List<String> targets = new ArrayList<>();
    switch (carrier) {
      case "target-list" -> targets.add(p);
      case "declared" -> args.putObject("nested").put("where", p);
      case "array" -> args.putArray("source").add("/workspace/ok").add(p);
      default -> args.put(carrier, p);
    }
    Action a = new Action("did:zo:agent:x", ActionKind.READ, "tools/call", tool, targets, args);
    Decision d = GOVERNOR.decide(a);
    assertThat(d.verdict()).as(p).isEqualTo(Verdict.DENY);
    if (asFileUri == 0 && !p.matches(".*%[0-9A-Fa-f]{2}.*")) {
      assertThat(d).as(p).isEqualTo(new Decision(Verdict.DENY, "deny-etc", Risk.LOW));
    } else {
      // A percent escape in a plain path is refused as path-invalid (an upstream that decodes
      // it would read another path), and so is a file URI still encoded after one decoding.
      assertThat(d.rule()).as(p).isIn("deny-etc", "path-invalid");
    }
  }

  @Provide
  Arbitrary<String> toolNames() {
    return Arbitraries.oneOf(Arbitraries.of("read_file", "write_file", "exec", "read_"),
        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10));
  }

  @Provide
  Arbitrary<String> carriers() {
    return Arbitraries.of("path", "file", "filename", "uri", "target", "source", "destination", "dir", "directory",
        "target-list", "declared", "array");
  }

  /** file:// URI with every segment percent-encoded (and dots encoded too, to exercise decoding). */
  private static String fileUri(String path) {
    List<String> encoded = new ArrayList<>();
    for (String seg : path.split("/", -1)) {
      encoded.add(URLEncoder.encode(seg, StandardCharsets.UTF_8).replace("+", "%20").replace(".", "%2E"));
    }
    return "file://" + String.join("/", encoded);
  }
}
