package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class StringToSignProperties {

  @Example
  void matchesTheContractByteForByte() {
    ActorHeaders h = new ActorHeaders("did:zo:agent:alice", "k2026-11", "1790000000000",
        1790000000000L, "abcdefghijklmnop", "ab".repeat(32));
    String emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    byte[] bytes = StringToSign.of(h, "POST", "127.0.0.1:8787", "/mcp?x=1", emptyHash);
    assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo(
        "zo-actor-proof-v1\nk2026-11\ndid:zo:agent:alice\n1790000000000\nabcdefghijklmnop\n"
            + "POST\n127.0.0.1:8787\n/mcp?x=1\n" + emptyHash);
  }

  @Provide
  Arbitrary<String> targets() {
    return Arbitraries.strings().ofMinLength(1).ofMaxLength(60)
        .excludeChars('\n', '\r').map(s -> "/" + s);
  }

  @Property
  void nineLinesInContractOrderAndNoTrailingNewline(
      @ForAll("targets") String target, @ForAll byte[] body) throws Exception {
    ActorHeaders h = new ActorHeaders("spiffe://zo/actor/bob", "e1", "1790000000001",
        1790000000001L, "n".repeat(20), "00".repeat(64));
    String bodyHash = ActorSigner.sha256Hex(body);
    byte[] bytes = StringToSign.of(h, "DELETE", "[::1]:8443", target, bodyHash);
    String expected = IndependentSigner.stringToSign("e1", "spiffe://zo/actor/bob",
        "1790000000001", "n".repeat(20), "DELETE", "[::1]:8443", target, body);
    assertThat(bytes).isEqualTo(expected.getBytes(StandardCharsets.UTF_8));
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
    assertThat(lines).hasSize(9);
    assertThat(lines[7]).isEqualTo(target);
    assertThat(bytes[bytes.length - 1]).isNotEqualTo((byte) '\n');
  }

  @Example
  void refusesLineBreaksAndBadInputs() {
    ActorHeaders h = new ActorHeaders("a", "k", "1790000000000", 1790000000000L,
        "n".repeat(16), "00".repeat(32));
    String hash = "0".repeat(64);
    assertThatThrownBy(() -> StringToSign.of(h, "POST", "a:1", "/mcp\nX", hash))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StringToSign.of(h, "post", "a:1", "/mcp", hash))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StringToSign.of(h, "POST", "a:1\r", "/mcp", hash))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StringToSign.of(h, "POST", "a:1", "/mcp", "A".repeat(64)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
