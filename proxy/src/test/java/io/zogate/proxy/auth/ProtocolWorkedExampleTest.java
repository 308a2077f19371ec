package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.testing.TestSigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The worked examples of docs/PROTOCOL.md ("Worked example"): fixed key, kid, actor, ts, nonce
 * and body give exactly the string to sign and the signature printed there. The production
 * signer, the independent test signer and the verifier must all agree with the numbers, and the
 * page must still print them, so neither the code nor the doc can drift.
 */
class ProtocolWorkedExampleTest {
  static final byte[] KEY = new byte[32];

  static {
    for (int i = 0; i < 32; i++) {
      KEY[i] = (byte) i;
    }
  }

  static final String KEY_B64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  static final String BODY = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
  static final String BODY_SHA256 = "b9e9dd030c7c21f7951be2c67c4f74cf2ef76960e7355887b6afa33c074df553";
  static final long TS = 1796000000000L;

  static final String HMAC_KID = "k2026-11";
  static final String HMAC_ACTOR = "did:zo:agent:alice";
  static final String HMAC_NONCE = "worked-example-nonce-0001";
  static final String HMAC_STRING_TO_SIGN = String.join("\n", "zo-actor-proof-v1", HMAC_KID, HMAC_ACTOR,
      "1796000000000", HMAC_NONCE, "POST", "127.0.0.1:8787", "/mcp", BODY_SHA256);
  static final String HMAC_SIG = "513ed334cbc8ff2111702f9d882917289ad845d8878194eadc9223773fc1af34";

  static final String ED_KID = "e2026-11";
  static final String ED_ACTOR = "spiffe://zo/actor/bob";
  static final String ED_NONCE = "worked-example-nonce-0002";
  static final String ED_PUBLIC_B64 = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=";
  static final String ED_SIG = "582085d8998246559b7901e90d06b93aeb52f38fdead8ca1b2cf012c6dfe818e"
      + "031e229b7407b289db3aa671719cd01c47fd96f31eb1d85c36e1a66402ae9d06";

  static byte[] body() {
    return BODY.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theHmacExampleSignsToThePrintedSignature() {
    assertThat(Base64.getEncoder().encodeToString(KEY)).isEqualTo(KEY_B64);
    assertThat(ActorSigner.sha256Hex(body())).isEqualTo(BODY_SHA256);
    assertThat(TestSigner.stringToSign(HMAC_KID, HMAC_ACTOR, "1796000000000", HMAC_NONCE, "POST", "127.0.0.1:8787",
        "/mcp", body())).isEqualTo(HMAC_STRING_TO_SIGN);
    assertThat(TestSigner.hmac(HMAC_KID, KEY).sign(HMAC_STRING_TO_SIGN)).isEqualTo(HMAC_SIG);

    Map<String, String> headers = ActorSigner.hmac(HMAC_KID, HMAC_ACTOR, Secret.copyOf(KEY))
        .headers("POST", "127.0.0.1:8787", "/mcp", body(), TS, HMAC_NONCE);
    assertThat(headers).containsExactly(Map.entry("x-actor-id", HMAC_ACTOR), Map.entry("x-actor-kid", HMAC_KID),
        Map.entry("x-actor-ts", "1796000000000"), Map.entry("x-actor-nonce", HMAC_NONCE),
        Map.entry("x-actor-sig", HMAC_SIG));

    ActorKey key = ActorKey.hmac(HMAC_KID, Secret.copyOf(KEY), List.of(HMAC_ACTOR), KeyStatus.ACTIVE, null, null);
    assertThat(key.verify(HMAC_STRING_TO_SIGN.getBytes(StandardCharsets.UTF_8), HexFormat.of().parseHex(HMAC_SIG)))
        .isTrue();
  }

  @Test
  void theEd25519ExampleSignsToThePrintedSignature() throws Exception {
    byte[] publicKey = new byte[32];
    org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(KEY, 0, publicKey, 0);
    assertThat(Base64.getEncoder().encodeToString(publicKey)).isEqualTo(ED_PUBLIC_B64);
    String toSign = String.join("\n", "zo-actor-proof-v1", ED_KID, ED_ACTOR, "1796000000000", ED_NONCE, "POST",
        "127.0.0.1:8787", "/mcp", BODY_SHA256);
    assertThat(TestSigner.ed25519(ED_KID, Ed25519Keys.privateKey(Secret.copyOf(KEY))).sign(toSign)).isEqualTo(ED_SIG);
    Map<String, String> headers = ActorSigner.ed25519(ED_KID, ED_ACTOR, Secret.copyOf(KEY))
        .headers("POST", "127.0.0.1:8787", "/mcp", body(), TS, ED_NONCE);
    assertThat(headers.get("x-actor-sig")).isEqualTo(ED_SIG);
    ActorKey key = ActorKey.ed25519(ED_KID, publicKey, List.of(ED_ACTOR), KeyStatus.ACTIVE, null, null);
    assertThat(key.verify(toSign.getBytes(StandardCharsets.UTF_8), HexFormat.of().parseHex(ED_SIG))).isTrue();
  }

  @Test
  void docsProtocolPrintsTheseExactValues() throws Exception {
    String doc = Files.readString(protocolDoc(), StandardCharsets.UTF_8);
    assertThat(doc).contains("```\n" + HMAC_STRING_TO_SIGN + "\n```");
    assertThat(doc).contains(KEY_B64, "BODY='" + BODY + "'", BODY_SHA256, HMAC_SIG, ED_PUBLIC_B64, ED_SIG,
        "TS=1796000000000", "NONCE=" + HMAC_NONCE, "KID=" + HMAC_KID, "ACTOR=" + HMAC_ACTOR,
        "NONCE=" + ED_NONCE, "KID=" + ED_KID);
  }

  static Path protocolDoc() {
    for (Path p : List.of(Path.of("docs", "PROTOCOL.md"), Path.of("..", "docs", "PROTOCOL.md"))) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IllegalStateException("docs/PROTOCOL.md not found from " + Path.of("").toAbsolutePath());
  }
}
