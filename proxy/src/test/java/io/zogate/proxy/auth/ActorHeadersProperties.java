package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

class ActorHeadersProperties {
  static final String ACTOR_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:@/+=-";
  static final String KID_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
  static final String NONCE_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

  static final String ACTOR = "did:zo:agent:alice";
  static final String KID = "k2026-11";
  static final String TS = "1790000000000";
  static final String NONCE = "abcdefghijklmnop";
  static final String SIG = "ab".repeat(32);

  static Map<String, List<String>> valid() {
    Map<String, List<String>> m = new HashMap<>();
    m.put("x-actor-id", List.of(ACTOR));
    m.put("x-actor-kid", List.of(KID));
    m.put("x-actor-ts", List.of(TS));
    m.put("x-actor-nonce", List.of(NONCE));
    m.put("x-actor-sig", List.of(SIG));
    return m;
  }

  static Reason refusal(Map<String, List<String>> headers) {
    try {
      ActorHeaders.parse(headers::get);
      return null;
    } catch (RefusalException e) {
      return e.refusal().reason();
    }
  }

  static Map<String, List<String>> with(String name, String value) {
    Map<String, List<String>> m = valid();
    m.put(name, List.of(value));
    return m;
  }

  @Provide
  Arbitrary<String> actorIds() {
    return Arbitraries.strings().withChars(ACTOR_ALPHABET.toCharArray()).ofMinLength(1).ofMaxLength(256)
        .filter(s -> !hasDotSegment(s));
  }

  static boolean hasDotSegment(String s) {
    for (String segment : s.split("[/:]", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        return true;
      }
    }
    return false;
  }

  @Provide
  Arbitrary<String> kids() {
    return Arbitraries.strings().withChars(KID_ALPHABET.toCharArray()).ofMinLength(1).ofMaxLength(64);
  }

  @Provide
  Arbitrary<String> nonces() {
    return Arbitraries.strings().withChars(NONCE_ALPHABET.toCharArray()).ofMinLength(16).ofMaxLength(128);
  }

  @Provide
  Arbitrary<String> timestamps() {
    return Arbitraries.longs().between(1_000_000_000_000L, 9_999_999_999_999L).map(String::valueOf);
  }

  @Provide
  Arbitrary<String> signatures() {
    return Arbitraries.of(32, 64).flatMap(n ->
        Arbitraries.strings().withChars("0123456789abcdef".toCharArray()).ofLength(n * 2));
  }

  @Property
  void validValuesParseUnchanged(@ForAll("actorIds") String actor, @ForAll("kids") String kid,
      @ForAll("timestamps") String ts, @ForAll("nonces") String nonce,
      @ForAll("signatures") String sig) throws RefusalException {
    Map<String, List<String>> m = new HashMap<>();
    m.put("x-actor-id", List.of(actor));
    m.put("x-actor-kid", List.of(kid));
    m.put("x-actor-ts", List.of(ts));
    m.put("x-actor-nonce", List.of(nonce));
    m.put("x-actor-sig", List.of(sig));
    ActorHeaders h = ActorHeaders.parse(m::get);
    assertThat(h).isEqualTo(new ActorHeaders(actor, kid, ts, Long.parseLong(ts), nonce, sig));
  }

  @Property
  void anyCharOutsideTheAlphabetIsMalformed(
      @ForAll @IntRange(min = 0, max = 4) int header, @ForAll char c,
      @ForAll @IntRange(min = 0, max = 15) int position) {
    String name = ActorHeaders.NAMES.get(header);
    String base = valid().get(name).get(0);
    String alphabet = switch (name) {
      case "x-actor-id" -> ACTOR_ALPHABET;
      case "x-actor-kid" -> KID_ALPHABET;
      case "x-actor-ts" -> "0123456789";
      case "x-actor-nonce" -> NONCE_ALPHABET;
      default -> "0123456789abcdef";
    };
    Assume.that(alphabet.indexOf(c) < 0);
    int at = Math.min(position, base.length() - 1);
    String bad = base.substring(0, at) + c + base.substring(at + 1);
    assertThat(refusal(with(name, bad))).isEqualTo(Reason.MALFORMED_HEADER);
  }

  @Property
  void wrongLengthsAreMalformed(@ForAll @IntRange(min = 0, max = 400) int length) {
    String actor = "a".repeat(length);
    assertThat(refusal(with("x-actor-id", actor)))
        .isEqualTo(length >= 1 && length <= 256 ? null : Reason.MALFORMED_HEADER);
    String kid = "k".repeat(length);
    assertThat(refusal(with("x-actor-kid", kid)))
        .isEqualTo(length >= 1 && length <= 64 ? null : Reason.MALFORMED_HEADER);
    String nonce = "n".repeat(length);
    assertThat(refusal(with("x-actor-nonce", nonce)))
        .isEqualTo(length >= 16 && length <= 128 ? null : Reason.MALFORMED_HEADER);
    String sig = "0".repeat(length);
    assertThat(refusal(with("x-actor-sig", sig)))
        .isEqualTo(length == 64 || length == 128 ? null : Reason.MALFORMED_HEADER);
    String ts = "1" + "0".repeat(Math.max(0, length - 1));
    assertThat(refusal(with("x-actor-ts", length == 0 ? "" : ts)))
        .isEqualTo(length == 13 ? null : Reason.MALFORMED_HEADER);
  }

  @Property
  void timestampWithLeadingZeroIsMalformed(@ForAll @StringLength(12) @CharRange(from = '0', to = '9') String rest) {
    assertThat(refusal(with("x-actor-ts", "0" + rest))).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(refusal(with("x-actor-ts", "1" + rest))).isNull();
  }

  @Property
  void twelveAndFourteenDigitTimestampsAreMalformed(@ForAll("timestamps") String ts) {
    assertThat(refusal(with("x-actor-ts", ts.substring(1)))).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(refusal(with("x-actor-ts", ts + "0"))).isEqualTo(Reason.MALFORMED_HEADER);
  }

  @Property
  void valuesAreNeverTrimmed(@ForAll @IntRange(min = 0, max = 4) int header,
      @ForAll("whitespace") String space, @ForAll boolean leading) {
    String name = ActorHeaders.NAMES.get(header);
    String base = valid().get(name).get(0);
    String padded = leading ? space + base : base + space;
    assertThat(refusal(with(name, padded))).isEqualTo(Reason.MALFORMED_HEADER);
  }

  @Provide
  Arbitrary<String> whitespace() {
    return Arbitraries.of(" ", "\t", "\u00a0", "\r\n", "  ");
  }

  @Property
  void dotSegmentsInActorIdsAreMalformed(@ForAll("actorIds") String head,
      @ForAll("dotSegment") String dots, @ForAll boolean colon) {
    Assume.that(head.length() <= 250);
    String sep = colon ? ":" : "/";
    assertThat(refusal(with("x-actor-id", head + sep + dots))).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(refusal(with("x-actor-id", dots + sep + "x"))).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(refusal(with("x-actor-id", "a" + sep + dots + sep + "b"))).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(refusal(with("x-actor-id", "a" + sep + dots + "x" + sep + "b"))).isNull();
  }

  @Provide
  Arbitrary<String> dotSegment() {
    return Arbitraries.of(".", "..");
  }

  @Example
  void dottedNamesThatAreNotWholeSegmentsAreFine() {
    assertThat(refusal(with("x-actor-id", "spiffe://zo/actor/alice.v2"))).isNull();
    assertThat(refusal(with("x-actor-id", "did:zo:agent:...x"))).isNull();
    assertThat(refusal(with("x-actor-id", "."))).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(refusal(with("x-actor-id", ".."))).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(refusal(with("x-actor-sig", "AB".repeat(32)))).isEqualTo(Reason.MALFORMED_HEADER);
  }

  @Property
  void presenceAndDuplicationOfAllFiveComeBeforeAnySyntax(
      @ForAll @IntRange(min = 0, max = 4) int malformed, @ForAll @IntRange(min = 0, max = 4) int other,
      @ForAll boolean duplicate) {
    Map<String, List<String>> m = valid();
    m.put(ActorHeaders.NAMES.get(malformed), List.of("bad value"));
    String name = ActorHeaders.NAMES.get(other);
    if (duplicate) {
      m.put(name, List.of(valid().get(name).get(0), valid().get(name).get(0)));
    } else {
      m.remove(name);
    }
    Reason expected = duplicate ? Reason.DUPLICATE_HEADER : Reason.MISSING_HEADER;
    assertThat(refusal(m)).isEqualTo(expected);
  }

  @Example
  void emptyListAndNullMeanAbsent() {
    Map<String, List<String>> m = valid();
    m.put("x-actor-nonce", List.of());
    assertThat(refusal(m)).isEqualTo(Reason.MISSING_HEADER);
    m.remove("x-actor-nonce");
    assertThat(refusal(m)).isEqualTo(Reason.MISSING_HEADER);
  }

  @Example
  void logDetailNamesTheHeaderNotItsValue() {
    assertThatThrownBy(() -> ActorHeaders.parse(with("x-actor-sig", "zz".repeat(32))::get))
        .isInstanceOfSatisfying(RefusalException.class, e -> {
          assertThat(e.refusal().logDetail()).isEqualTo("x-actor-sig");
          assertThat(e.refusal().reason()).isEqualTo(Reason.MALFORMED_HEADER);
        });
  }

  @Example
  void toStringRedactsTheSignature() throws RefusalException {
    ActorHeaders h = ActorHeaders.parse(valid()::get);
    assertThat(h.toString()).doesNotContain(SIG).contains("redacted");
  }
}
