package io.zogate.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.adversarial.harness.Gate;
import io.zogate.adversarial.harness.RawHttp;
import io.zogate.adversarial.harness.RawUpstream;
import io.zogate.adversarial.harness.Signer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property-based attacks against the real proxy over real sockets: for any valid signed
 * request, a single-bit flip of the signature, or a change of any one signed field on the wire,
 * is refused with 401 and nothing reaches upstream; no generated body makes the proxy answer a
 * 5xx. Each property's outcome is in the report (category property-attacks).
 */
class SignedRequestProperties {
  static Gate gate;
  static RawUpstream upstream;

  @BeforeContainer
  static void start() throws Exception {
    upstream = new RawUpstream();
    gate = new Gate(Files.createTempDirectory("zo-adversarial-props"), upstream.url(), "", Map.of());
  }

  @AfterContainer
  static void stop() throws Exception {
    gate.close();
    upstream.close();
  }

  /** One request as it goes on the wire: method, target, header lines, body. */
  record Wire(String method, String target, List<String[]> headers, byte[] body) {
    RawHttp.Response send() throws Exception {
      List<String> head = new ArrayList<>();
      head.add(method + " " + target + " HTTP/1.1");
      for (String[] h : headers) {
        head.add(h[0] + ": " + h[1]);
      }
      head.add("Content-Length: " + body.length);
      head.add("Connection: close");
      return RawHttp.send(gate.port, head, body);
    }

    Wire with(String name, String value) {
      List<String[]> hs = new ArrayList<>();
      for (String[] h : headers) {
        hs.add(h[0].equalsIgnoreCase(name) ? new String[] {h[0], value} : h.clone());
      }
      return new Wire(method, target, hs, body);
    }

    String get(String name) {
      return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).findFirst().orElseThrow()[1];
    }
  }

  static Wire signed(String signerName, byte[] body) {
    Signer s = gate.signer(signerName);
    String actor = gate.actorOf(signerName);
    String ts = Long.toString(gate.clock.millis());
    String nonce = Signer.freshNonce();
    String sig = s.sign(Signer.stringToSign(s.kid(), actor, ts, nonce, "POST", gate.authority(), "/mcp", body));
    List<String[]> h = new ArrayList<>();
    h.add(new String[] {"Host", gate.authority()});
    h.add(new String[] {"Content-Type", "application/json"});
    h.add(new String[] {"x-actor-id", actor});
    h.add(new String[] {"x-actor-kid", s.kid()});
    h.add(new String[] {"x-actor-ts", ts});
    h.add(new String[] {"x-actor-nonce", nonce});
    h.add(new String[] {"x-actor-sig", sig});
    return new Wire("POST", "/mcp", h, body);
  }

  static byte[] call(int id, String tool) {
    return ("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":"
        + quote(tool) + "}}").getBytes(StandardCharsets.UTF_8);
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c < 0x20 || c == '"' || c == '\\') {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  void assertRefused401(Wire w) throws Exception {
    upstream.reset();
    RawHttp.Response r = w.send();
    assertThat(r.status()).as(r.outcome()).isEqualTo(401);
    assertThat(r.json().path("error").path("code").asInt()).isEqualTo(-32030);
    assertThat(upstream.count()).as("forwarded").isZero();
  }

  @Property(tries = 60)
  void anySingleBitFlipOfTheSignatureIsRefused(@ForAll("signers") String signer, @ForAll @IntRange(min = 0, max = 511) int bit,
      @ForAll @IntRange(min = 1, max = 1_000_000) int id, @ForAll("tools") String tool) throws Exception {
    Wire w = signed(signer, call(id, tool));
    byte[] sig = HexFormat.of().parseHex(w.get("x-actor-sig"));
    int b = bit % (sig.length * 8);
    sig[b / 8] ^= (byte) (1 << (b % 8));
    assertRefused401(w.with("x-actor-sig", HexFormat.of().formatHex(sig)));
  }

  @Property(tries = 80)
  void anySingleSignedFieldChangedOnTheWireIsRefused(@ForAll("signers") String signer,
      @ForAll @IntRange(min = 0, max = 8) int field, @ForAll @IntRange(min = 0, max = 10_000) int where,
      @ForAll("tools") String tool) throws Exception {
    Wire w = signed(signer, call(where, tool));
    Wire changed = switch (field) {
      case 0 -> { // one body byte
        byte[] body = w.body().clone();
        int i = where % body.length;
        body[i] = (byte) (body[i] == '1' ? '2' : body[i] ^ 0x01);
        yield new Wire(w.method(), w.target(), w.headers(), body);
      }
      case 1 -> w.with("x-actor-ts", Long.toString(Long.parseLong(w.get("x-actor-ts")) + 1 + where % 1000));
      case 2 -> {
        String n = w.get("x-actor-nonce");
        int i = where % n.length();
        yield w.with("x-actor-nonce", n.substring(0, i) + (n.charAt(i) == 'a' ? 'b' : 'a') + n.substring(i + 1));
      }
      case 3 -> w.with("x-actor-kid", signer.equals("alice") ? "k-hmac2" : "k-hmac");
      case 4 -> w.with("x-actor-id", signer.equals("alice") ? "did:zo:svc:x" + where : "spiffe://zo/actor/eve");
      case 5 -> new Wire(w.method(), "/mcp?x=" + where, w.headers(), w.body());
      case 6 -> w.with("Host", "evil" + where + ".example:" + gate.port);
      case 7 -> { // signed for another method, sent as POST
        Signer s = gate.signer(signer);
        String sig = s.sign(Signer.stringToSign(s.kid(), w.get("x-actor-id"), w.get("x-actor-ts"),
            w.get("x-actor-nonce"), "DELETE", gate.authority(), "/mcp", w.body()));
        yield w.with("x-actor-sig", sig);
      }
      default -> { // signed for another authority
        Signer s = gate.signer(signer);
        String sig = s.sign(Signer.stringToSign(s.kid(), w.get("x-actor-id"), w.get("x-actor-ts"),
            w.get("x-actor-nonce"), "POST", "127.0.0.1:" + (gate.port + 1 + where % 100), "/mcp", w.body()));
        yield w.with("x-actor-sig", sig);
      }
    };
    assertRefused401(changed);
  }

  @Property(tries = 120)
  void noGeneratedBodyMakesTheProxyAnswerA5xx(@ForAll("bodies") byte[] body) throws Exception {
    RawHttp.Response r = signed("alice", body).send();
    assertThat(r.status()).as(r.outcome() + " for " + new String(body, StandardCharsets.UTF_8)).isLessThan(500);
  }

  @Provide
  Arbitrary<String> signers() {
    return Arbitraries.of("alice", "bob");
  }

  @Provide
  Arbitrary<String> tools() {
    return Arbitraries.strings().withCharRange(' ', '~').withChars('\u00e9', '\u4e2d').ofMaxLength(24);
  }

  @Provide
  Arbitrary<byte[]> bodies() {
    Arbitrary<byte[]> raw = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    Arbitrary<byte[]> jsonish = Arbitraries.strings()
        .withChars("{}[]\":,0123456789.eE+-truefalsnl \\u\t\nabc\u00e9\ud800")
        .ofMaxLength(200).map(s -> s.getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> rpcish = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(60)
        .map(s -> ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":" + s + "}").getBytes(StandardCharsets.UTF_8));
    return Arbitraries.oneOf(raw, jsonish, rpcish);
  }
}
