package io.zogate.adversarial;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zogate.adversarial.harness.Gate;
import io.zogate.adversarial.harness.RawHttp;
import io.zogate.adversarial.harness.RawUpstream;
import io.zogate.adversarial.harness.Pki;
import io.zogate.adversarial.harness.Signer;
import io.zogate.adversarial.harness.TlsClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the cases of one attack file against the real proxy over real sockets: one scriptable
 * upstream per file, proxies started on demand per distinct configuration (or fresh for a
 * case that says so). A case is data: a request built from a valid signed one and changed by
 * a list of operations (the mutation vocabulary, see {@code fixtures/attacks/README.md}).
 */
public final class CaseRunner implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOOLS_LIST = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";

  private final JsonNode fileProxy;
  private final RawUpstream upstream;
  private final Map<String, Gate> gates = new LinkedHashMap<>();
  /** The proxies that serve TLS (a {@code proxy.tls} object in their configuration). */
  private final java.util.Set<Gate> tlsGates = new java.util.HashSet<>();
  /** The running case's {@code tls} member (client certificate, protocols), or null. */
  private JsonNode caseTls;

  /** What one case observed. */
  public record Observation(String outcome, boolean forwarded, List<String> problems, String responseText) {}

  /** A request ready for the wire, with the values a replay needs. */
  record Prepared(List<String> head, byte[] body, String nonce, String ts) {}

  public CaseRunner(JsonNode fileProxy) throws IOException {
    this.fileProxy = fileProxy;
    this.upstream = new RawUpstream();
  }

  public RawUpstream upstream() {
    return upstream;
  }

  // ---------------------------------------------------------------- proxies

  Gate gateFor(JsonNode c) throws Exception {
    ObjectNode cfg = JSON.createObjectNode();
    merge(cfg, fileProxy);
    merge(cfg, c.get("proxy"));
    String key = cfg.toString();
    boolean fresh = c.path("fresh").asBoolean(false);
    if (!fresh && gates.containsKey(key)) {
      return gates.get(key);
    }
    Path dir = Files.createTempDirectory("zo-adversarial");
    StringBuilder yaml = new StringBuilder(cfg.path("yaml").asText(""));
    if (yaml.length() > 0 && yaml.charAt(yaml.length() - 1) != '\n') {
      yaml.append('\n');
    }
    if (cfg.has("policy")) {
      Files.writeString(dir.resolve("policy.yaml"), cfg.get("policy").asText());
      yaml.append("policy: policy.yaml\n");
    }
    if (cfg.has("tls")) {
      JsonNode t = cfg.get("tls");
      yaml.append(Pki.get().writeProxyFiles(dir, t.path("requireClientCert").asBoolean(true),
          t.path("bindActorToCertificate").asBoolean(true), t.path("allowCnIdentity").asBoolean(false)));
    }
    Map<String, String> env = new LinkedHashMap<>();
    if (cfg.has("env")) {
      cfg.get("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    }
    Gate g = new Gate(dir, upstream.url(), yaml.toString(), env, cfg.path("start-offset-ms").asLong(-3_600_000L));
    if (!fresh) {
      gates.put(key, g);
    }
    if (cfg.has("tls")) {
      tlsGates.add(g);
    }
    return g;
  }

  private static void merge(ObjectNode into, JsonNode from) {
    if (from == null || from.isNull()) {
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = from.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if ((e.getKey().equals("env") || e.getKey().equals("tls")) && into.has(e.getKey())) {
        ((ObjectNode) into.get(e.getKey())).setAll((ObjectNode) e.getValue().deepCopy());
      } else if (e.getKey().equals("yaml") && into.has("yaml")) {
        into.put("yaml", into.get("yaml").asText() + "\n" + e.getValue().asText());
      } else {
        into.set(e.getKey(), e.getValue().deepCopy());
      }
    }
  }

  // ---------------------------------------------------------------- running

  public Observation run(JsonNode c) throws Exception {
    Gate gate = gateFor(c);
    caseTls = c.get("tls");
    try {
      upstream.behave(c.get("upstream"));
      upstream.reset();
      JsonNode req = c.path("request");
      if (c.has("setup")) {
        for (JsonNode step : c.get("setup")) {
          int times = step.path("repeat").asInt(1);
          for (int i = 0; i < times; i++) {
            send(gate, prepare(gate, step.path("request"), null, null));
          }
        }
      }
      if (caseTls != null && (caseTls.has("clientHello") || caseTls.path("plainHttp").asBoolean(false))) {
        return observeRaw(c.get("expect"), gate, prepare(gate, req, null, null));
      }
      RawHttp.Response r;
      JsonNode replay = c.get("replay");
      if (replay != null) {
        String mode = replay.isTextual() ? replay.asText() : replay.path("mode").asText();
        JsonNode second = replay.isObject() && replay.has("second") ? replay.get("second") : req;
        Prepared first = prepare(gate, req, null, null);
        RawHttp.Response firstAnswer = send(gate, first);
        if (firstAnswer.status() / 100 != 2) {
          return new Observation("first request refused: " + firstAnswer.outcome(), false,
              List.of("the original request of a replay must pass"), firstAnswer.bodyText());
        }
        Prepared again = switch (mode) {
          case "same" -> first;
          case "after-restart" -> {
            gate.restart();
            yield first;
          }
          case "same-nonce-resigned" -> {
            Thread.sleep(2);
            yield prepare(gate, second, first.nonce(), null);
          }
          case "fresh-nonce" -> prepare(gate, second, null, null);
          default -> throw new IllegalArgumentException("unknown replay mode " + mode);
        };
        upstream.reset();
        r = send(gate, again);
      } else {
        upstream.reset();
        r = send(gate, prepare(gate, req, null, null));
      }
      // The proxy may still be talking to upstream when the answer is refused early: give a
      // forwarded request a moment to show in the count.
      Thread.sleep(upstream.count() == 0 ? 20 : 0);
      return observe(c.get("expect"), r);
    } catch (TlsClient.HandshakeFailed e) {
      // No HTTP answer over TLS: the expected outcome of a refused certificate or protocol.
      Thread.sleep(20);
      return observeNonHttp(c.get("expect"), "handshake-failed", e.getMessage());
    } catch (IOException e) {
      return new Observation("no-response (" + e.getMessage() + ")", upstream.count() > 0,
          List.of("no HTTP answer"), "");
    } finally {
      caseTls = null;
      gate.clock.unfreeze();
      if (c.path("fresh").asBoolean(false)) {
        gate.close();
      }
    }
  }

  /**
   * A case that never gets to HTTPS: a hand-written ClientHello for an old protocol version
   * ({@code tls.clientHello}), or plain HTTP to the TLS port ({@code tls.plainHttp}).
   */
  Observation observeRaw(JsonNode expect, Gate gate, Prepared p) throws Exception {
    byte[] answer;
    String outcome;
    if (caseTls.has("clientHello")) {
      int version = switch (caseTls.get("clientHello").asText()) {
        case "TLSv1" -> 0x0301;
        case "TLSv1.1" -> 0x0302;
        case "TLSv1.2" -> 0x0303;
        default -> throw new IllegalArgumentException("unknown clientHello " + caseTls.get("clientHello"));
      };
      answer = TlsClient.exchangeRaw(gate.port, TlsClient.clientHello(version), 3000);
      // Nothing, or an alert record (0x15): refused. A handshake record (0x16): a ServerHello.
      outcome = answer.length == 0 || answer[0] == 0x15 ? "handshake-failed"
          : answer[0] == 0x16 ? "server-hello" : "unexpected bytes " + HexFormat.of().formatHex(answer, 0,
              Math.min(8, answer.length));
    } else {
      StringBuilder head = new StringBuilder();
      for (String line : p.head()) {
        head.append(line).append("\r\n");
      }
      head.append("\r\n");
      byte[] head8 = head.toString().getBytes(StandardCharsets.ISO_8859_1);
      byte[] send = new byte[head8.length + p.body().length];
      System.arraycopy(head8, 0, send, 0, head8.length);
      System.arraycopy(p.body(), 0, send, head8.length, p.body().length);
      answer = TlsClient.exchangeRaw(gate.port, send, 3000);
      String text = new String(answer, StandardCharsets.ISO_8859_1);
      outcome = text.startsWith("HTTP/") && text.length() >= 12 ? text.substring(9, 12) : "no-http-answer";
    }
    Thread.sleep(20);
    return observeNonHttp(expect, outcome, new String(answer, StandardCharsets.ISO_8859_1));
  }

  Observation observeNonHttp(JsonNode expect, String outcome, String detail) {
    List<String> problems = new ArrayList<>();
    boolean forwarded = upstream.count() > 0;
    if (expect.has("forwarded") && expect.get("forwarded").asBoolean() != forwarded) {
      problems.add(forwarded ? "forwarded upstream" : "not forwarded");
    }
    if (!outcome.equals(AttackFiles.expected(expect))) {
      problems.add(0, "outcome");
    }
    return new Observation(outcome, forwarded, problems, detail);
  }

  Observation observe(JsonNode expect, RawHttp.Response r) {
    List<String> problems = new ArrayList<>();
    String outcome = r.outcome();
    boolean forwarded = upstream.count() > 0;
    String text = r.bodyText() + "\n" + r.headers();
    if (expect.has("forwarded") && expect.get("forwarded").asBoolean() != forwarded) {
      problems.add(forwarded ? "forwarded upstream" : "not forwarded");
    }
    if (expect.has("leaks")) {
      for (JsonNode secret : expect.get("leaks")) {
        if (text.contains(secret.asText())) {
          problems.add("leaked " + secret.asText());
        }
      }
    }
    if (expect.has("id")) {
      JsonNode got = null;
      try {
        got = r.json().get("id");
      } catch (AssertionError e) {
        problems.add("answer is not JSON");
      }
      if (got != null && !got.equals(expect.get("id"))) {
        problems.add("id " + got + " instead of " + expect.get("id"));
      }
    }
    if (expect.has("upstreamBody")) {
      List<RawUpstream.Seen> seen = upstream.seen();
      if (seen.isEmpty() || !new String(seen.get(0).body(), StandardCharsets.UTF_8)
          .equals(expect.get("upstreamBody").asText())) {
        problems.add("upstream did not receive the exact signed body");
      }
    }
    if (expect.has("upstreamHeaderAbsent")) {
      for (RawUpstream.Seen s : upstream.seen()) {
        for (JsonNode h : expect.get("upstreamHeaderAbsent")) {
          if (s.header(h.asText()) != null) {
            problems.add("header " + h.asText() + " reached upstream");
          }
        }
      }
    }
    if (expect.has("upstreamHeaders")) {
      List<RawUpstream.Seen> seen = upstream.seen();
      expect.get("upstreamHeaders").fields().forEachRemaining(e -> {
        for (RawUpstream.Seen s : seen) {
          List<String> values = s.headers().get(e.getKey().toLowerCase(Locale.ROOT));
          if (values == null || !values.equals(List.of(e.getValue().asText()))) {
            problems.add("upstream saw " + e.getKey() + ": " + values);
          }
        }
      });
    }
    int status = expect.get("status").asInt();
    boolean outcomeOk = expect.has("code") ? outcome.equals(AttackFiles.expected(expect))
        : outcome.split(" ")[0].equals(Integer.toString(status));
    if (!outcomeOk) {
      problems.add(0, "outcome");
    }
    return new Observation(outcome, forwarded, problems, r.bodyText());
  }

  RawHttp.Response send(Gate gate, Prepared p) throws IOException {
    if (tlsGates.contains(gate)) {
      Pki pki = Pki.get();
      JsonNode t = caseTls == null ? JSON.createObjectNode() : caseTls;
      Pki.Issued client = t.hasNonNull("clientCert") ? pki.client(t.get("clientCert").asText()) : null;
      List<String> protocols = new ArrayList<>();
      t.path("protocols").forEach(v -> protocols.add(v.asText()));
      return TlsClient.send(gate.port, TlsClient.context(pki.serverCa.cert(), client), protocols, p.head(), p.body());
    }
    return RawHttp.send(gate.port, p.head(), p.body());
  }

  // ---------------------------------------------------------------- building a request

  static String template(Gate gate, String s, long now) {
    return s.replace("{{authority}}", gate.authority())
        .replace("{{port}}", Integer.toString(gate.port))
        .replace("{{now-div10}}", Long.toString(now / 10))
        .replace("{{now}}", Long.toString(now));
  }

  Prepared prepare(Gate gate, JsonNode spec, String nonceOverride, String tsOverride) throws Exception {
    if (spec.path("freeze-clock").asBoolean(false)) {
      gate.clock.freeze(System.currentTimeMillis());
    }
    long now = gate.clock.millis();
    String as = spec.path("as").asText("alice");
    Signer signer = gate.signer(as);
    String actor = spec.has("actor") ? spec.get("actor").asText() : gate.actorOf(as);
    String kid = signer.kid();
    String method = spec.path("method").asText("POST");
    String target = spec.path("target").asText("/mcp");
    byte[] body;
    if (spec.has("body")) {
      body = template(gate, spec.get("body").asText(), now).getBytes(StandardCharsets.UTF_8);
    } else if (spec.has("body-hex")) {
      body = HexFormat.of().parseHex(spec.get("body-hex").asText());
    } else {
      body = method.equals("POST") ? TOOLS_LIST.getBytes(StandardCharsets.UTF_8) : new byte[0];
    }
    String ts = tsOverride != null ? tsOverride : Long.toString(now);
    String nonce = nonceOverride != null ? nonceOverride : Signer.freshNonce();
    String host = gate.authority();
    Map<String, Object> signed = new LinkedHashMap<>();
    byte[] wireBody = null;
    boolean chunked = false;
    int chunkSize = 0;
    String trailer = null;
    JsonNode mutate = spec.path("mutate");

    // Phase 1: what is sent and what is signed.
    for (JsonNode op : mutate) {
      String name = op.fieldNames().next();
      JsonNode v = op.get(name);
      switch (name) {
        case "body" -> body = template(gate, v.asText(), now).getBytes(StandardCharsets.UTF_8);
        case "body-hex" -> body = HexFormat.of().parseHex(v.asText());
        case "body-repeat" -> body = (v.path("prefix").asText() + v.path("fill").asText("x").repeat(v.path("count").asInt())
            + v.path("suffix").asText()).getBytes(StandardCharsets.UTF_8);
        case "wire-body" -> wireBody = v.asText().getBytes(StandardCharsets.UTF_8);
        case "wire-body-hex" -> wireBody = HexFormat.of().parseHex(v.asText());
        case "sign-over" -> v.fields().forEachRemaining(e -> signed.put(e.getKey(),
            e.getKey().equals("body") ? e.getValue().asText().getBytes(StandardCharsets.UTF_8)
                : template(gate, e.getValue().asText(), now)));
        case "ts-offset-ms" -> ts = Long.toString(now + v.asLong());
        case "ts-text" -> ts = template(gate, v.asText(), now);
        case "nonce" -> nonce = template(gate, v.asText(), now);
        case "kid" -> kid = v.asText();
        case "actor" -> actor = v.asText();
        case "method" -> method = v.asText();
        case "target" -> target = template(gate, v.asText(), now);
        case "host" -> host = template(gate, v.asText(), now);
        case "chunked" -> {
          chunked = true;
          chunkSize = v.asInt();
        }
        case "trailer" -> trailer = v.asText();
        default -> {
          // later phases
        }
      }
    }
    String payload = Signer.stringToSign(
        (String) signed.getOrDefault("kid", kid), (String) signed.getOrDefault("actor", actor),
        (String) signed.getOrDefault("ts", ts), (String) signed.getOrDefault("nonce", nonce),
        (String) signed.getOrDefault("method", method), (String) signed.getOrDefault("authority", gate.authority()),
        (String) signed.getOrDefault("target", target), (byte[]) signed.getOrDefault("body", body));
    String sig = signer.sign(payload);

    // Phase 2: the signature itself.
    for (JsonNode op : mutate) {
      if (op.has("sig")) {
        sig = mutateSig(gate, signer, sig, payload, op.get("sig").asText());
      }
    }

    byte[] sent = wireBody != null ? wireBody : body;
    List<String[]> headers = new ArrayList<>();
    headers.add(new String[] {"Host", host});
    if (method.equals("POST")) {
      headers.add(new String[] {"Content-Type", "application/json"});
    }
    headers.add(new String[] {"Accept", "application/json, text/event-stream"});
    if (!spec.path("unsigned").asBoolean(false)) {
      headers.add(new String[] {"x-actor-id", actor});
      headers.add(new String[] {"x-actor-kid", kid});
      headers.add(new String[] {"x-actor-ts", ts});
      headers.add(new String[] {"x-actor-nonce", nonce});
      headers.add(new String[] {"x-actor-sig", sig});
    }
    if (spec.has("headers")) {
      spec.get("headers").fields().forEachRemaining(e -> headers.add(
          new String[] {e.getKey(), template(gate, e.getValue().asText(), now)}));
    }
    if (chunked) {
      headers.add(new String[] {"Transfer-Encoding", "chunked"});
    } else if (sent.length > 0 || method.equals("POST")) {
      headers.add(new String[] {"Content-Length", Integer.toString(sent.length)});
    }
    headers.add(new String[] {"Connection", "close"});

    // Phase 3: the header list.
    List<String> rawHead = null;
    byte[] rawBody = null;
    for (JsonNode op : mutate) {
      String name = op.fieldNames().next();
      JsonNode v = op.get(name);
      switch (name) {
        case "set-header" -> {
          String n = v.get("name").asText();
          String value = template(gate, v.get("value").asText(), now);
          boolean done = false;
          for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(n)) {
              h[1] = value;
              done = true;
            }
          }
          if (!done) {
            headers.add(headers.size() - 1, new String[] {n, value});
          }
        }
        case "content-type" -> headers.forEach(h -> {
          if (h[0].equalsIgnoreCase("Content-Type")) {
            h[1] = v.asText();
          }
        });
        case "content-encoding" -> headers.add(headers.size() - 1, new String[] {"Content-Encoding", v.asText()});
        case "remove-header" -> headers.removeIf(h -> h[0].equalsIgnoreCase(v.asText()));
        case "add-header" -> headers.add(headers.size() - 1,
            new String[] {v.get("name").asText(), template(gate, v.get("value").asText(), now)});
        case "duplicate-header" -> {
          String n = v.isTextual() ? v.asText() : v.get("name").asText();
          String value = null;
          for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(n)) {
              value = h[1];
            }
          }
          if (v.isObject() && v.has("value")) {
            value = template(gate, v.get("value").asText(), now);
          }
          String spelled = v.isObject() && v.has("as") ? v.get("as").asText() : n;
          headers.add(headers.size() - 1, new String[] {spelled, value == null ? "" : value});
        }
        case "raw-head" -> {
          rawHead = new ArrayList<>();
          for (JsonNode line : v) {
            String l = line.asText();
            if (l.equals("{{signed-headers}}")) {
              for (String[] h : headers) {
                if (h[0].startsWith("x-actor-") || h[0].equals("Content-Type")) {
                  rawHead.add(h[0] + ": " + h[1]);
                }
              }
            } else {
              rawHead.add(template(gate, l, now).replace("{{length}}", Integer.toString(sent.length)));
            }
          }
        }
        case "raw-body" -> rawBody = v.asText().replace("\\r\\n", "\r\n").getBytes(StandardCharsets.UTF_8);
        default -> {
          // earlier phases
        }
      }
    }
    if (rawHead != null) {
      return new Prepared(rawHead, rawBody != null ? rawBody : sent, nonce, ts);
    }
    List<String> head = new ArrayList<>();
    head.add(method + " " + target + " HTTP/1.1");
    for (String[] h : headers) {
      head.add(h[0] + ": " + h[1]);
    }
    byte[] wire = chunked ? chunk(sent, chunkSize, trailer) : sent;
    return new Prepared(head, wire, nonce, ts);
  }

  static byte[] chunk(byte[] body, int size, String trailer) {
    StringBuilder sb = new StringBuilder();
    int step = Math.max(1, size);
    for (int i = 0; i < body.length; i += step) {
      int n = Math.min(step, body.length - i);
      sb.append(Integer.toHexString(n)).append("\r\n").append(new String(body, i, n, StandardCharsets.ISO_8859_1))
          .append("\r\n");
    }
    sb.append("0\r\n");
    if (trailer != null) {
      sb.append(trailer).append("\r\n");
    }
    sb.append("\r\n");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  static String mutateSig(Gate gate, Signer signer, String sig, String payload, String op) throws Exception {
    HexFormat hex = HexFormat.of();
    if (op.startsWith("flip-bit:")) {
      byte[] b = hex.parseHex(sig);
      int bit = Integer.parseInt(op.substring("flip-bit:".length())) % (b.length * 8);
      b[bit / 8] ^= (byte) (1 << (bit % 8));
      return hex.formatHex(b);
    }
    if (op.startsWith("from:")) {
      return gate.signer(op.substring("from:".length())).sign(payload);
    }
    return switch (op) {
      case "truncate" -> sig.substring(0, sig.length() - 2);
      case "truncate-half" -> sig.substring(0, sig.length() / 2);
      case "uppercase" -> sig.toUpperCase(Locale.ROOT);
      case "empty" -> "";
      case "append-00" -> sig + "00";
      case "zero" -> "0".repeat(sig.length());
      case "doubled" -> sig + sig;
      case "base64" -> java.util.Base64.getEncoder().encodeToString(hex.parseHex(sig));
      case "other-key" -> {
        if (signer.isHmac()) {
          byte[] k = new byte[32];
          new SecureRandom().nextBytes(k);
          yield Signer.hmac(signer.kid(), k).sign(payload);
        }
        yield Signer.ed25519(signer.kid(), KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate())
            .sign(payload);
      }
      case "other-kid" -> signer.sign(payload.replaceFirst("\n" + signer.kid() + "\n", "\nk-hmac2\n"));
      case "raw-message" -> hex.formatHex(signer.signBytes(payload.getBytes(StandardCharsets.UTF_8)));
      case "trailing-newline" -> signer.sign(payload + "\n");
      case "crlf" -> signer.sign(payload.replace("\n", "\r\n"));
      case "sha256-of-body-missing" -> signer.sign(payload.substring(0, payload.lastIndexOf('\n')));
      default -> throw new IllegalArgumentException("unknown sig operation " + op);
    };
  }

  @Override
  public void close() throws Exception {
    for (Gate g : gates.values()) {
      g.close();
    }
    upstream.close();
  }
}
