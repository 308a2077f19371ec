package io.zogate.proxy.jsonrpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * JSONTestSuite (nst/JSONTestSuite, test_parsing): 318 inputs nobody here wrote. Every {@code n_}
 * input is refused with a -32700 reason; every {@code y_} input parses, except those the contract
 * refuses on purpose (I-JSON), each listed with the reason it gets; every {@code i_} input gets
 * the answer the written policy below gives, the same every time, and never anything but a tree
 * or a refusal.
 */
class JsonTestSuiteTest {
  private static final StrictJsonReader READER = new StrictJsonReader(64);

  /** y_ files that are valid RFC 8259 but not I-JSON: refused on purpose, with this reason. */
  static final Map<String, Reason> Y_REFUSED_ON_PURPOSE = Map.of(
      // RFC 7493 2.3 and CONTRACT section 3: object member names must be unique.
      "y_object_duplicated_key.json", Reason.DUPLICATE_KEY,
      "y_object_duplicated_key_and_value.json", Reason.DUPLICATE_KEY);

  /**
   * The written i_ policy: what zo-gate answers to each implementation-defined input ("parsed"
   * or the reason of its refusal). Numbers: an integer literal beyond 2^53 or a number that
   * overflows a double is not I-JSON; a number that underflows to zero is in range. Strings:
   * unpaired surrogate escapes are not I-JSON (Jackson already refuses one in a member name as
   * a syntax error); bytes that are not UTF-8 (Latin-1, UTF-16, overlong, encoded surrogates,
   * beyond U+10FFFF) are invalid_utf8; a UTF-8 BOM is invalid_json (RFC 8259 8.1). Structure:
   * 500 nested arrays exceed the depth cap of 64.
   */
  static final Map<String, String> I_POLICY = Map.ofEntries(
      Map.entry("i_number_double_huge_neg_exp.json", "parsed"),
      Map.entry("i_number_real_underflow.json", "parsed"),
      Map.entry("i_number_huge_exp.json", "NOT_I_JSON"),
      Map.entry("i_number_neg_int_huge_exp.json", "NOT_I_JSON"),
      Map.entry("i_number_pos_double_huge_exp.json", "NOT_I_JSON"),
      Map.entry("i_number_real_neg_overflow.json", "NOT_I_JSON"),
      Map.entry("i_number_real_pos_overflow.json", "NOT_I_JSON"),
      Map.entry("i_number_too_big_neg_int.json", "NOT_I_JSON"),
      Map.entry("i_number_too_big_pos_int.json", "NOT_I_JSON"),
      Map.entry("i_number_very_big_negative_int.json", "NOT_I_JSON"),
      Map.entry("i_object_key_lone_2nd_surrogate.json", "INVALID_JSON"),
      Map.entry("i_string_1st_surrogate_but_2nd_missing.json", "NOT_I_JSON"),
      Map.entry("i_string_1st_valid_surrogate_2nd_invalid.json", "NOT_I_JSON"),
      Map.entry("i_string_incomplete_surrogate_and_escape_valid.json", "NOT_I_JSON"),
      Map.entry("i_string_incomplete_surrogate_pair.json", "NOT_I_JSON"),
      Map.entry("i_string_incomplete_surrogates_escape_valid.json", "NOT_I_JSON"),
      Map.entry("i_string_invalid_lonely_surrogate.json", "NOT_I_JSON"),
      Map.entry("i_string_invalid_surrogate.json", "NOT_I_JSON"),
      Map.entry("i_string_inverted_surrogates_U+1D11E.json", "NOT_I_JSON"),
      Map.entry("i_string_lone_second_surrogate.json", "NOT_I_JSON"),
      Map.entry("i_string_UTF-16LE_with_BOM.json", "INVALID_UTF8"),
      Map.entry("i_string_UTF-8_invalid_sequence.json", "INVALID_UTF8"),
      Map.entry("i_string_UTF8_surrogate_U+D800.json", "INVALID_UTF8"),
      Map.entry("i_string_invalid_utf-8.json", "INVALID_UTF8"),
      Map.entry("i_string_iso_latin_1.json", "INVALID_UTF8"),
      Map.entry("i_string_lone_utf8_continuation_byte.json", "INVALID_UTF8"),
      Map.entry("i_string_not_in_unicode_range.json", "INVALID_UTF8"),
      Map.entry("i_string_overlong_sequence_2_bytes.json", "INVALID_UTF8"),
      Map.entry("i_string_overlong_sequence_6_bytes.json", "INVALID_UTF8"),
      Map.entry("i_string_overlong_sequence_6_bytes_null.json", "INVALID_UTF8"),
      Map.entry("i_string_truncated-utf-8.json", "INVALID_UTF8"),
      Map.entry("i_string_utf16BE_no_BOM.json", "INVALID_UTF8"),
      Map.entry("i_string_utf16LE_no_BOM.json", "INVALID_UTF8"),
      Map.entry("i_structure_500_nested_arrays.json", "TOO_DEEP"),
      Map.entry("i_structure_UTF-8_BOM_empty_object.json", "INVALID_JSON"));

  static Stream<Path> files(String prefix) throws IOException {
    Path dir = Corpora.root().resolve("jsontestsuite/test_parsing");
    List<Path> all;
    try (Stream<Path> s = Files.list(dir)) {
      all = s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
    }
    return all.stream();
  }

  @Test
  void theCorpusIsComplete() throws IOException {
    assertThat(files("y_").count()).isEqualTo(95);
    assertThat(files("n_").count()).isEqualTo(188);
    assertThat(files("i_").count()).isEqualTo(35);
  }

  @TestFactory
  Stream<DynamicTest> everyNInputIsRefusedAsAParseError() throws IOException {
    return files("n_").map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
      byte[] bytes = Files.readAllBytes(p);
      try {
        READER.read(bytes);
        fail("accepted " + p.getFileName());
      } catch (RefusalException e) {
        assertThat(e.refusal().code()).isEqualTo(ErrorCode.PARSE_ERROR);
      }
    }));
  }

  @TestFactory
  Stream<DynamicTest> everyYInputParsesUnlessTheContractRefusesIt() throws IOException {
    return files("y_").map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
      byte[] bytes = Files.readAllBytes(p);
      Reason expected = Y_REFUSED_ON_PURPOSE.get(p.getFileName().toString());
      if (expected == null) {
        assertThatCode(() -> READER.read(bytes)).doesNotThrowAnyException();
      } else {
        try {
          READER.read(bytes);
          fail("accepted " + p.getFileName());
        } catch (RefusalException e) {
          assertThat(e.refusal().reason()).isEqualTo(expected);
        }
      }
    }));
  }

  @TestFactory
  Stream<DynamicTest> everyIInputGetsTheWrittenPolicysAnswerEveryTime() throws IOException {
    return files("i_").map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
      byte[] bytes = Files.readAllBytes(p);
      String expected = I_POLICY.get(p.getFileName().toString());
      assertThat(expected).as("policy for " + p.getFileName()).isNotNull();
      assertThat(outcome(bytes)).isEqualTo(expected);
      assertThat(outcome(bytes)).isEqualTo(expected);
    }));
  }

  @TestFactory
  Stream<DynamicTest> transformInputsNeverCrashTheReader() throws IOException {
    Path dir = Corpora.root().resolve("jsontestsuite/test_transform");
    List<Path> all;
    try (Stream<Path> s = Files.list(dir)) {
      all = s.sorted().toList();
    }
    return all.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
      byte[] bytes = Files.readAllBytes(p);
      assertThat(outcome(bytes)).isEqualTo(outcome(bytes));
    }));
  }

  /** "parsed" or the refusal's reason; anything else thrown fails the test. */
  static String outcome(byte[] bytes) {
    try {
      READER.read(bytes);
      return "parsed";
    } catch (RefusalException e) {
      return e.refusal().reason().name();
    }
  }
}
