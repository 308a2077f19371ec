package io.zogate.adversarial;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Loads {@code fixtures/attacks/*.json} (schema {@code zo-attack-cases/v1}) and refuses anything
 * the one generic runner could misread: an unknown schema, a category that is not the file's
 * name, a duplicate id (in a file or across files), an unknown severity, a flag without a note,
 * an unknown member. Ids are used as written, never renumbered.
 */
public final class AttackFiles {
  public static final String SCHEMA = "zo-attack-cases/v1";
  static final Set<String> SEVERITIES = Set.of("high", "medium", "low");
  static final Set<String> FILE_MEMBERS = Set.of("schema", "category", "description", "notes", "proxy", "cases");
  static final Set<String> CASE_MEMBERS = Set.of("id", "severity", "title", "flags", "request", "upstream",
      "setup", "replay", "proxy", "fresh", "expect", "comment", "tls", "steps", "on");
  static final Set<String> TLS_MEMBERS = Set.of("clientCert", "protocols", "clientHello", "plainHttp");
  /** Outcomes that are not HTTP answers: {@code expect.status} may name one instead of a number. */
  static final Set<String> NON_HTTP_OUTCOMES = Set.of("handshake-failed", "no-http-answer", "server-hello",
      "startup-refused");
  static final Set<String> EXPECT_MEMBERS = Set.of("status", "code", "reason", "forwarded", "leaks", "id",
      "upstreamBody", "upstreamHeaderAbsent", "upstreamHeaders", "error");
  /** A cluster step: exactly one action ({@link #STEP_ACTIONS}) and its modifiers. */
  static final Set<String> STEP_MEMBERS = Set.of("send", "resend", "restart", "redis", "on", "repeat", "fan-out",
      "at-once", "save", "expect", "until", "within-ms");
  static final Set<String> STEP_ACTIONS = Set.of("send", "resend", "restart", "redis");
  static final Set<String> STEP_EXPECT_MEMBERS = Set.of("status", "code", "reason", "outcomes", "upstreamCalls");

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** One file, checked. */
  public record AttackFile(Path path, String category, JsonNode root) {
    public List<JsonNode> cases() {
      List<JsonNode> out = new ArrayList<>();
      root.get("cases").forEach(out::add);
      return out;
    }

    public JsonNode notes() {
      return root.get("notes");
    }
  }

  private AttackFiles() {}

  public static Path root() {
    String prop = System.getProperty("zogate.root");
    Path base = prop != null ? Path.of(prop) : Path.of("..");
    return base.toAbsolutePath().normalize();
  }

  public static Path dir() {
    return root().resolve("fixtures/attacks");
  }

  public static List<AttackFile> loadAll() {
    try (Stream<Path> s = Files.list(dir())) {
      List<Path> files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
      if (files.isEmpty()) {
        throw new IllegalStateException("no attack files in " + dir());
      }
      List<AttackFile> out = new ArrayList<>();
      Set<String> ids = new HashSet<>();
      for (Path p : files) {
        AttackFile f = load(p);
        for (JsonNode c : f.cases()) {
          if (!ids.add(c.get("id").asText())) {
            throw new IllegalStateException(p.getFileName() + ": id " + c.get("id").asText()
                + " is used in another file");
          }
        }
        out.add(f);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static AttackFile load(Path p) throws IOException {
    JsonNode root = JSON.readTree(Files.readAllBytes(p));
    String name = p.getFileName().toString();
    require(root.isObject(), name, "not a JSON object");
    unknownMembers(root, FILE_MEMBERS, name);
    require(SCHEMA.equals(root.path("schema").asText()), name,
        "unknown schema '" + root.path("schema").asText() + "' (this runner reads " + SCHEMA + ")");
    String category = root.path("category").asText();
    require(name.equals(category + ".json"), name, "category '" + category + "' is not the file's name");
    JsonNode notes = root.get("notes");
    require(notes != null && notes.isObject(), name, "notes (flag -> meaning) missing");
    JsonNode cases = root.get("cases");
    require(cases != null && cases.isArray() && cases.size() > 0, name, "no cases");
    Set<String> ids = new HashSet<>();
    for (JsonNode c : cases) {
      String id = c.path("id").asText("");
      require(!id.isEmpty(), name, "a case without id");
      require(ids.add(id), name, "duplicate id " + id);
      unknownMembers(c, CASE_MEMBERS, name + " " + id);
      require(SEVERITIES.contains(c.path("severity").asText()), name, id + ": severity must be high, medium or low");
      require(!c.path("title").asText("").isBlank(), name, id + ": no title");
      require(c.path("flags").isArray() && c.get("flags").size() > 0, name, id + ": no flags");
      for (JsonNode flag : c.get("flags")) {
        require(notes.has(flag.asText()), name, id + ": flag " + flag.asText() + " has no note");
      }
      JsonNode expect = c.get("expect");
      require(expect != null && expect.has("status"), name, id + ": expect.status missing");
      unknownMembers(expect, EXPECT_MEMBERS, name + " " + id + " expect");
      require(expect.get("status").isInt() || NON_HTTP_OUTCOMES.contains(expect.get("status").asText()), name,
          id + ": expect.status is an HTTP status or one of " + NON_HTTP_OUTCOMES);
      if (c.has("tls")) {
        require(c.get("tls").isObject(), name, id + ": tls is an object");
        unknownMembers(c.get("tls"), TLS_MEMBERS, name + " " + id + " tls");
      }
      require(expect.has("code") == expect.has("reason"), name, id + ": expect code and reason go together");
      if (c.has("steps")) {
        require(c.get("steps").isArray() && c.get("steps").size() > 0, name, id + ": steps is a non-empty list");
        int n = 0;
        for (JsonNode step : c.get("steps")) {
          String where = name + " " + id + " step " + ++n;
          require(step.isObject(), where, "a step is an object");
          unknownMembers(step, STEP_MEMBERS, where);
          long actions = STEP_ACTIONS.stream().filter(step::has).count();
          require(actions == 1, where, "exactly one of " + STEP_ACTIONS);
          require(!step.has("until") || step.has("send"), where, "until goes with send");
          JsonNode se = step.path("expect");
          if (!se.isMissingNode()) {
            unknownMembers(se, STEP_EXPECT_MEMBERS, where + " expect");
            require(se.has("code") == se.has("reason"), where, "expect code and reason go together");
            require(!se.has("code") || se.has("status"), where, "expect code needs status");
          }
        }
      }
    }
    return new AttackFile(p, category, root);
  }

  private static void unknownMembers(JsonNode node, Set<String> known, String where) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      require(known.contains(f), where, "unknown member '" + f + "'");
    }
  }

  private static void require(boolean ok, String where, String message) {
    if (!ok) {
      throw new IllegalStateException(where + ": " + message);
    }
  }

  /** "status code reason" or "status" for an expectation. */
  public static String expected(JsonNode expect) {
    if (expect.get("status").isTextual()) {
      return expect.get("status").asText();
    }
    String s = Integer.toString(expect.get("status").asInt());
    if (expect.has("code")) {
      s += " " + expect.get("code").asInt() + " " + expect.get("reason").asText();
    }
    return s;
  }
}
