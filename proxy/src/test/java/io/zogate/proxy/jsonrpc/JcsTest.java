package io.zogate.proxy.jsonrpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** RFC 8785 canonical form, checked against the cyberphone corpus and by properties. */
class JcsTest {
  static final StrictJsonReader READER = new StrictJsonReader(64);

  static JsonNode read(String s) throws RefusalException {
    return READER.read(s.getBytes(StandardCharsets.UTF_8));
  }

  @TestFactory
  Stream<DynamicTest> everyCorpusInputCanonicalizesToItsExpectedBytes() throws IOException {
    Path dir = Corpora.root().resolve("jcs/testdata");
    List<Path> inputs;
    try (Stream<Path> s = Files.list(dir.resolve("input"))) {
      inputs = s.sorted().toList();
    }
    assertThat(inputs).hasSize(6);
    return inputs.stream().map(in -> DynamicTest.dynamicTest(in.getFileName().toString(), () -> {
      byte[] expected = Files.readAllBytes(dir.resolve("output").resolve(in.getFileName()));
      byte[] actual = Jcs.canonicalize(READER.read(Files.readAllBytes(in)));
      assertThat(new String(actual, StandardCharsets.UTF_8)).isEqualTo(new String(expected, StandardCharsets.UTF_8));
      assertThat(actual).isEqualTo(expected);
    }));
  }

  @Test
  void absentParamsFingerprintAsNull() throws Exception {
    assertThat(Jcs.paramsSha256Hex(null)).isEqualTo(Jcs.sha256Hex("null".getBytes(StandardCharsets.US_ASCII)));
    assertThat(Jcs.paramsSha256Hex(read("{}"))).isNotEqualTo(Jcs.paramsSha256Hex(null));
  }

  @Test
  void spellingDoesNotChangeTheFingerprint() throws Exception {
    String a = Jcs.paramsSha256Hex(read("{\"b\":[1,2],\"a\":{\"y\":1.0,\"x\":\"\\u00e9\"}}"));
    String b = Jcs.paramsSha256Hex(read("{ \"a\" : { \"x\" : \"\u00e9\" , \"y\" : 10E-1 } , \"b\" : [ 1e0 , 2.00 ] }"));
    assertThat(a).isEqualTo(b);
  }

  @Property(tries = 200)
  void keyOrderWhitespaceAndNumberSpellingNeverChangeIt(@ForAll("pairs") List<Integer> values,
      @ForAll("spellings") int spelling) throws Exception {
    StringBuilder forward = new StringBuilder("{");
    StringBuilder backward = new StringBuilder("{ ");
    for (int i = 0; i < values.size(); i++) {
      forward.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(values.get(i));
    }
    for (int i = values.size() - 1; i >= 0; i--) {
      backward.append(i == values.size() - 1 ? "" : " ,\n").append("\"k").append(i).append("\" :\t")
          .append(spell(values.get(i), spelling));
    }
    forward.append("}");
    backward.append(" }");
    assertThat(Jcs.paramsSha256Hex(read(backward.toString()))).isEqualTo(Jcs.paramsSha256Hex(read(forward.toString())));
  }

  @Property(tries = 200)
  void anyChangeOfAValueChangesIt(@ForAll("pairs") List<Integer> values, @ForAll("indexes") int which) throws Exception {
    int i = which % values.size();
    StringBuilder original = new StringBuilder("[");
    StringBuilder changed = new StringBuilder("[");
    for (int k = 0; k < values.size(); k++) {
      original.append(k == 0 ? "" : ",").append(values.get(k));
      changed.append(k == 0 ? "" : ",").append(k == i ? values.get(k) + 1 : values.get(k));
    }
    assertThat(Jcs.paramsSha256Hex(read(changed + "]"))).isNotEqualTo(Jcs.paramsSha256Hex(read(original + "]")));
  }

  static String spell(int v, int how) {
    return switch (how) {
      case 0 -> v + ".0";
      case 1 -> v + "e0";
      case 2 -> (v * 10) + "E-1";
      default -> Integer.toString(v);
    };
  }

  @Provide
  Arbitrary<List<Integer>> pairs() {
    return Arbitraries.integers().between(-1_000_000, 1_000_000).list().ofMinSize(1).ofMaxSize(8);
  }

  @Provide
  Arbitrary<Integer> spellings() {
    return Arbitraries.integers().between(0, 3);
  }

  @Provide
  Arbitrary<Integer> indexes() {
    return Arbitraries.integers().between(0, 100);
  }

  @Test
  void theRequestIdFollowsTheContractsLines() {
    String id = RequestId.derive("did:zo:agent:alice", "k1", JsonRpcId.of(7), "tools/call", "ab", "1764331200000", "n0");
    String expected = "req_" + Jcs.sha256Hex(String.join("\n", "zo-request-v1", "did:zo:agent:alice", "k1", "7",
        "tools/call", "ab", "1764331200000", "n0").getBytes(StandardCharsets.UTF_8)).substring(0, 32);
    assertThat(id).isEqualTo(expected).hasSize(36);
    assertThat(RequestId.derive("a", "k", JsonRpcId.of("7"), "m", "ab", "1", "n"))
        .isNotEqualTo(RequestId.derive("a", "k", JsonRpcId.of(7), "m", "ab", "1", "n"));
    assertThat(RequestId.derive("a", "k", null, "m", "ab", "1", "n")).startsWith("req_");
  }

  @Test
  void theErrorBodyHasTheContractsShape() throws Exception {
    Refusal r = Refusal.of(Reason.UPSTREAM_STATUS, "secret detail").withData("upstreamStatus", 502);
    JsonNode body = read(new String(ErrorBody.render(r, JsonRpcId.of("x"), "t1"), StandardCharsets.UTF_8));
    assertThat(body.toString()).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"error\":{\"code\":-32021,"
        + "\"message\":\"Upstream rejected request\",\"data\":{\"reason\":\"upstream_status\",\"traceId\":\"t1\","
        + "\"upstreamStatus\":502}}}");
    assertThat(read(new String(ErrorBody.render(Refusal.of(Reason.INVALID_JSON), null, "t"), StandardCharsets.UTF_8))
        .get("id").isNull()).isTrue();
  }
}
