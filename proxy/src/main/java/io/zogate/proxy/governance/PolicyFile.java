package io.zogate.proxy.governance;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a policy file (CONTRACT.md section 6) into a {@link Policy}, strictly: every problem is a
 * {@link PolicyException} naming the file, the line and the field, so that start-up can stop
 * with exit status 2 and one line on stderr. Shape:
 *
 * <pre>
 * default: allow | deny | escalate            # required
 * rules:                                      # optional; absent = no rules
 *   - id: deny-etc                            # optional; [A-Za-z0-9][A-Za-z0-9._:/-]{0,63}, unique
 *     match:                                  # required; {} matches every action
 *       actor: "did:zo:agent:*"               # name glob
 *       action: read|write|execute|network|other
 *       method: "tools/call"                  # name glob
 *       tool: "read_*"                        # name glob
 *       path: "/etc/**"                       # path glob
 *       paths: ["/options/outDir"]            # JSON Pointers into the tool's arguments
 *     decision: allow | deny | escalate       # required
 *     risk: low | medium | high               # optional; default: deny high, escalate medium, allow low
 * </pre>
 *
 * <p>Refused: unknown keys at any level, duplicate keys, a value of the wrong type (including
 * null), a bad enum value (values are lowercase), a malformed glob or pointer, a duplicate or
 * reserved id, YAML aliases, more than one YAML document, invalid YAML or UTF-8.
 */
public final class PolicyFile {
  private static final YAMLFactory YAML = YAMLFactory.builder().build();
  private static final Pattern RULE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}");
  private static final Set<String> RESERVED_IDS =
      Set.of(Policy.DEFAULT_RULE, Policy.PATH_INVALID_RULE, PolicyGovernor.ERROR_RULE);

  private static final Set<String> ROOT_KEYS = Set.of("default", "rules");
  private static final Set<String> RULE_KEYS = Set.of("id", "match", "decision", "risk");
  private static final Set<String> MATCH_KEYS = Set.of("actor", "action", "method", "tool", "path", "paths");

  private static final Map<String, Decision.Verdict> VERDICTS = Map.of(
      "allow", Decision.Verdict.ALLOW, "escalate", Decision.Verdict.ESCALATE, "deny", Decision.Verdict.DENY);
  private static final Map<String, Risk> RISKS = Map.of("low", Risk.LOW, "medium", Risk.MEDIUM, "high", Risk.HIGH);
  private static final Map<String, ActionKind> KINDS = Map.of(
      "read", ActionKind.READ, "write", ActionKind.WRITE, "execute", ActionKind.EXECUTE,
      "network", ActionKind.NETWORK, "other", ActionKind.OTHER);

  private PolicyFile() {}

  /** Reads and compiles the policy file. */
  public static Policy load(Path file) throws PolicyException {
    String name = file.toString();
    String text;
    try {
      // Strict decoding: a policy with malformed UTF-8 is refused, not repaired.
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
    } catch (CharacterCodingException e) {
      throw new PolicyException(name, 0, "", "not valid UTF-8");
    } catch (IOException e) {
      throw new PolicyException(name, 0, "", "cannot read policy file (" + e.getClass().getSimpleName() + ")");
    }
    return parse(name, text);
  }

  /** Compiles policy YAML; {@code name} is used in error messages. */
  public static Policy parse(String name, String yaml) throws PolicyException {
    return new Reader(name).compile(yaml);
  }

  // ---- a located YAML tree: every node keeps the line it started on ----

  private sealed interface Node permits Scalar, MapNode, ListNode {
    int line();
  }

  private record Scalar(JsonToken token, String text, int line) implements Node {}

  private record Entry(String key, int keyLine, Node value) {}

  private record MapNode(Map<String, Entry> entries, int line) implements Node {}

  private record ListNode(List<Node> items, int line) implements Node {}

  private static final class Reader {
    private final String file;

    Reader(String file) {
      this.file = file;
    }

    private PolicyException error(int line, String field, String problem) {
      return new PolicyException(file, line, field, problem);
    }

    Policy compile(String yaml) throws PolicyException {
      Node root;
      try (JsonParser p = YAML.createParser(yaml)) {
        JsonToken t = p.nextToken();
        if (t == null) {
          throw error(1, "", "empty policy file");
        }
        root = read(p, t, "");
        JsonToken extra = p.nextToken();
        if (extra != null) {
          throw error(line(p), "", "more than one YAML document");
        }
      } catch (JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        throw new PolicyException(file, loc == null ? 0 : loc.getLineNr(), "", "invalid YAML: " + e.getOriginalMessage(), e);
      } catch (IOException e) {
        throw new PolicyException(file, 0, "", "cannot read policy (" + e.getClass().getSimpleName() + ")", e);
      }
      return policy(root);
    }

    private static int line(JsonParser p) {
      JsonLocation loc = p.currentTokenLocation();
      return loc == null ? 0 : Math.max(loc.getLineNr(), 0);
    }

    private Node read(JsonParser p, JsonToken t, String field) throws IOException, PolicyException {
      int line = line(p);
      if (p instanceof YAMLParser y && y.isCurrentAlias()) {
        throw error(line, field, "YAML aliases are not supported");
      }
      switch (t) {
        case START_OBJECT -> {
          Map<String, Entry> entries = new LinkedHashMap<>();
          for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
            String key = p.currentName();
            int keyLine = line(p);
            String child = field.isEmpty() ? key : field + "." + key;
            if (entries.containsKey(key)) {
              throw error(keyLine, child, "duplicate key (first on line " + entries.get(key).keyLine() + ")");
            }
            entries.put(key, new Entry(key, keyLine, read(p, p.nextToken(), child)));
          }
          return new MapNode(entries, line);
        }
        case START_ARRAY -> {
          List<Node> items = new ArrayList<>();
          for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            items.add(read(p, e, field + "[" + items.size() + "]"));
          }
          return new ListNode(items, line);
        }
        default -> {
          return new Scalar(t, t == JsonToken.VALUE_NULL ? null : p.getText(), line);
        }
      }
    }

    // ---- typed views with errors that name line and field ----

    private static String describe(Node n) {
      if (n instanceof MapNode) {
        return "a map";
      }
      if (n instanceof ListNode) {
        return "a list";
      }
      return switch (((Scalar) n).token()) {
        case VALUE_STRING -> "a string";
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
        case VALUE_TRUE, VALUE_FALSE -> "a boolean";
        case VALUE_NULL -> "null";
        default -> "a " + ((Scalar) n).token();
      };
    }

    private MapNode map(Node n, String field, Set<String> allowed) throws PolicyException {
      if (!(n instanceof MapNode m)) {
        throw error(n.line(), field, "expected a map, got " + describe(n));
      }
      for (Entry e : m.entries().values()) {
        if (!allowed.contains(e.key())) {
          throw error(e.keyLine(), join(field, e.key()),
              "unknown field '" + e.key() + "' (expected one of " + String.join(", ", allowed.stream().sorted().toList()) + ")");
        }
      }
      return m;
    }

    private String string(Node n, String field) throws PolicyException {
      if (n instanceof Scalar s && s.token() == JsonToken.VALUE_STRING) {
        return s.text();
      }
      throw error(n.line(), field, "expected a string, got " + describe(n));
    }

    private <E> E choice(Node n, String field, Map<String, E> values) throws PolicyException {
      String s = string(n, field);
      E v = values.get(s);
      if (v == null) {
        throw error(n.line(), field, "bad value '" + s + "' (expected one of "
            + String.join(", ", values.keySet().stream().sorted().toList()) + ")");
      }
      return v;
    }

    private static String join(String parent, String key) {
      return parent.isEmpty() ? key : parent + "." + key;
    }

    // ---- the policy itself ----

    private Policy policy(Node rootNode) throws PolicyException {
      MapNode root = map(rootNode, "", ROOT_KEYS);
      Entry def = root.entries().get("default");
      if (def == null) {
        throw error(root.line(), "default", "missing required field (allow, deny or escalate)");
      }
      Decision.Verdict defaultVerdict = choice(def.value(), "default", VERDICTS);
      List<PolicyRule> rules = new ArrayList<>();
      Entry rulesEntry = root.entries().get("rules");
      if (rulesEntry != null) {
        if (!(rulesEntry.value() instanceof ListNode list)) {
          throw error(rulesEntry.value().line(), "rules", "expected a list, got " + describe(rulesEntry.value()));
        }
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < list.items().size(); i++) {
          PolicyRule r = rule(list.items().get(i), "rules[" + i + "]", ids);
          rules.add(r);
        }
      }
      return new Policy(defaultVerdict, rules);
    }

    private PolicyRule rule(Node n, String field, Set<String> ids) throws PolicyException {
      MapNode m = map(n, field, RULE_KEYS);
      String id = field;
      Entry idEntry = m.entries().get("id");
      if (idEntry != null) {
        String f = field + ".id";
        id = string(idEntry.value(), f);
        if (!RULE_ID.matcher(id).matches()) {
          throw error(idEntry.value().line(), f, "bad id '" + id + "' (letters, digits, . _ : / -; at most 64)");
        }
        if (RESERVED_IDS.contains(id)) {
          throw error(idEntry.value().line(), f, "id '" + id + "' is reserved");
        }
        if (!ids.add(id)) {
          throw error(idEntry.value().line(), f, "duplicate rule id '" + id + "'");
        }
      }
      Entry matchEntry = m.entries().get("match");
      if (matchEntry == null) {
        throw error(m.line(), field + ".match", "missing required field (write match: {} to match every action)");
      }
      Entry decisionEntry = m.entries().get("decision");
      if (decisionEntry == null) {
        throw error(m.line(), field + ".decision", "missing required field (allow, deny or escalate)");
      }
      Decision.Verdict verdict = choice(decisionEntry.value(), field + ".decision", VERDICTS);
      Entry riskEntry = m.entries().get("risk");
      Risk risk = riskEntry == null ? Risk.defaultFor(verdict) : choice(riskEntry.value(), field + ".risk", RISKS);

      String mf = field + ".match";
      MapNode match = map(matchEntry.value(), mf, MATCH_KEYS);
      Map<String, Entry> e = match.entries();
      Optional<Glob> actor = Optional.empty();
      Optional<ActionKind> kind = Optional.empty();
      Optional<Glob> method = Optional.empty();
      Optional<Glob> tool = Optional.empty();
      Optional<PathGlob> path = Optional.empty();
      List<JsonPointer> paths = List.of();
      if (e.containsKey("actor")) {
        actor = Optional.of(glob(e.get("actor").value(), mf + ".actor"));
      }
      if (e.containsKey("action")) {
        kind = Optional.of(choice(e.get("action").value(), mf + ".action", KINDS));
      }
      if (e.containsKey("method")) {
        method = Optional.of(glob(e.get("method").value(), mf + ".method"));
      }
      if (e.containsKey("tool")) {
        tool = Optional.of(glob(e.get("tool").value(), mf + ".tool"));
      }
      if (e.containsKey("path")) {
        Node pn = e.get("path").value();
        String s = string(pn, mf + ".path");
        try {
          path = Optional.of(PathGlob.compile(s));
        } catch (IllegalArgumentException ex) {
          throw error(pn.line(), mf + ".path", "malformed path glob '" + s + "': " + ex.getMessage());
        }
      }
      if (e.containsKey("paths")) {
        paths = pointers(e.get("paths").value(), mf + ".paths");
      }
      return new PolicyRule(id, verdict, risk, actor, kind, method, tool, path, paths);
    }

    private Glob glob(Node n, String field) throws PolicyException {
      String s = string(n, field);
      try {
        return Glob.compile(s);
      } catch (IllegalArgumentException ex) {
        throw error(n.line(), field, "malformed glob '" + s + "': " + ex.getMessage());
      }
    }

    private List<JsonPointer> pointers(Node n, String field) throws PolicyException {
      if (!(n instanceof ListNode list)) {
        throw error(n.line(), field, "expected a list of JSON Pointers, got " + describe(n));
      }
      if (list.items().isEmpty()) {
        throw error(n.line(), field, "empty list");
      }
      List<JsonPointer> out = new ArrayList<>();
      for (int i = 0; i < list.items().size(); i++) {
        Node item = list.items().get(i);
        String f = field + "[" + i + "]";
        String s = string(item, f);
        if (!validPointer(s)) {
          throw error(item.line(), f, "malformed JSON Pointer '" + s
              + "' (must start with '/', '~' only as ~0 or ~1; RFC 6901)");
        }
        out.add(JsonPointer.compile(s));
      }
      return out;
    }

    private static boolean validPointer(String s) {
      if (s.isEmpty() || s.charAt(0) != '/') {
        return false;
      }
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < 0x20) {
          return false;
        }
        if (c == '~' && (i + 1 >= s.length() || (s.charAt(i + 1) != '0' && s.charAt(i + 1) != '1'))) {
          return false;
        }
      }
      return true;
    }
  }
}
