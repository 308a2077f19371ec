package io.zogate.proxy.jsonrpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class StrictJsonReaderTest {
  static final StrictJsonReader READER = new StrictJsonReader(64);

  static Reason reasonFor(String json) {
    return reasonFor(json.getBytes(StandardCharsets.UTF_8));
  }

  static Reason reasonFor(byte[] bytes) {
    try {
      READER.read(bytes);
      return null;
    } catch (RefusalException e) {
      return e.refusal().reason();
    }
  }

  @Test
  void readsOneValueWithJsonWhitespaceAround() throws Exception {
    JsonNode n = READER.read(" \t\r\n{\"a\":[1,2.5,\"x\",true,null]}\n".getBytes(StandardCharsets.UTF_8));
    assertThat(n.get("a").get(0).isIntegralNumber()).isTrue();
    assertThat(n.get("a").get(1).isDouble()).isTrue();
  }

  @Test
  void syntaxAndTrailingDataAreInvalidJson() {
    for (String bad : new String[] {"", " ", "{", "{}}", "{} {}", "[1,]", "{\"a\":1,}", "'a'", "[01]", "[NaN]",
        "[1e]", "{a:1}", "/*c*/{}", "[\"\t\"]", "\u000b{}", "{}\u00a0"}) {
      assertThat(reasonFor(bad)).as(bad).isEqualTo(Reason.INVALID_JSON);
    }
  }

  @Test
  void aByteOrderMarkIsRefused() {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'};
    assertThat(reasonFor(bom)).isEqualTo(Reason.INVALID_JSON);
  }

  @Test
  void invalidUtf8IsRefusedWhereverItIs() {
    byte[][] cases = {
        {'"', (byte) 0xC0, (byte) 0xAF, '"'},                 // overlong '/'
        {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'},    // encoded surrogate U+D800
        {'"', (byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '"'}, // beyond U+10FFFF
        {'"', (byte) 0xE2, (byte) 0x82, '"'},                 // truncated
        {'"', (byte) 0x80, '"'},                              // lone continuation
        {'"', (byte) 0xFF, '"'},
        {' ', (byte) 0xE2},                                    // truncated at the very end
    };
    for (byte[] c : cases) {
      assertThat(reasonFor(c)).isEqualTo(Reason.INVALID_UTF8);
    }
    assertThat(reasonFor("\"\u00e9\u20ac\ud83d\ude00\"")).isNull();
  }

  @Test
  void duplicateKeysAtAnyDepthAfterUnescaping() {
    assertThat(reasonFor("{\"a\":1,\"a\":2}")).isEqualTo(Reason.DUPLICATE_KEY);
    assertThat(reasonFor("{\"a\":1,\"\\u0061\":2}")).isEqualTo(Reason.DUPLICATE_KEY);
    assertThat(reasonFor("[{\"x\":{\"y\":[{\"k\":1,\"k\":1}]}}]")).isEqualTo(Reason.DUPLICATE_KEY);
    assertThat(reasonFor("{\"a\":1,\"A\":2}")).isNull();
  }

  @Test
  void depthIsCappedAndNeverOverflowsTheStack() {
    String atCap = "[".repeat(64) + "]".repeat(64);
    assertThat(reasonFor(atCap)).isNull();
    assertThat(reasonFor("[" + atCap + "]")).isEqualTo(Reason.TOO_DEEP);
    long t0 = System.nanoTime();
    assertThat(reasonFor("[".repeat(100_000))).isEqualTo(Reason.TOO_DEEP);
    assertThat(reasonFor("{\"a\":".repeat(100_000))).isEqualTo(Reason.TOO_DEEP);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void iJsonNumbersAndStrings() {
    assertThat(reasonFor("9007199254740992")).isNull();
    assertThat(reasonFor("-9007199254740992")).isNull();
    assertThat(reasonFor("9007199254740993")).isEqualTo(Reason.NOT_I_JSON);
    assertThat(reasonFor("-9007199254740993")).isEqualTo(Reason.NOT_I_JSON);
    assertThat(reasonFor("123456789012345678901234567890")).isEqualTo(Reason.NOT_I_JSON);
    assertThat(reasonFor("1e309")).isEqualTo(Reason.NOT_I_JSON);
    assertThat(reasonFor("-1e309")).isEqualTo(Reason.NOT_I_JSON);
    assertThat(reasonFor("1e308")).isNull();
    assertThat(reasonFor("1e-400")).isNull();
    assertThat(reasonFor("\"\\ud800\"")).isEqualTo(Reason.NOT_I_JSON);
    assertThat(reasonFor("\"\\udc00\\ud800\"")).isEqualTo(Reason.NOT_I_JSON);
    assertThat(reasonFor("\"\\ud83d\\ude00\"")).isNull();
    assertThat(reasonFor("\"\\uffff\"")).isNull();
  }

  @Property(tries = 300)
  void noInputMakesTheReaderThrowAnythingButARefusal(@ForAll byte[] bytes) {
    reasonFor(bytes);
  }

  @Property(tries = 300)
  void noMutationOfValidJsonMakesTheReaderThrowAnythingButARefusal(@ForAll("mutations") byte[] bytes) {
    reasonFor(bytes);
  }

  @Provide
  Arbitrary<byte[]> mutations() {
    byte[] base = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"read_file\",\"arguments\":{\"path\":\"/w/\\u00e9\",\"n\":[1,2.5e3,-0,true,null]}}}"
        .getBytes(StandardCharsets.UTF_8);
    return Arbitraries.longs().map(seed -> {
      Random r = new Random(seed);
      byte[] b = base.clone();
      int edits = 1 + r.nextInt(4);
      for (int i = 0; i < edits; i++) {
        b[r.nextInt(b.length)] = (byte) r.nextInt(256);
      }
      return b;
    });
  }
}
