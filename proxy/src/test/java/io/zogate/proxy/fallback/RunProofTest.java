package io.zogate.proxy.fallback;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The argv encoding of the run proof, pinned to the bytes docs/PROTOCOL.md describes. */
class RunProofTest {
  @Test
  void argvJsonIsCompactWithTheDocumentedEscapes() {
    assertThat(RunProof.argvJson(List.of("/bin/echo", "a b", "\"q\"", "back\\slash", "/x/", "tab\t", "nl\n", "\u0001",
        "\u007f", "é", "\u2028")))
        .isEqualTo("[\"/bin/echo\",\"a b\",\"\\\"q\\\"\",\"back\\\\slash\",\"/x/\",\"tab\\t\",\"nl\\n\",\"\\u0001\","
            + "\"\u007f\",\"é\",\"\u2028\"]");
    assertThat(RunProof.argvJson(List.of("\u001f"))).isEqualTo("[\"\\u001F\"]");
    assertThat(RunProof.argvSha256(List.of("/bin/true")))
        .isEqualTo(java.util.HexFormat.of().formatHex(sha256("[\"/bin/true\"]")));
  }

  private static byte[] sha256(String s) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
