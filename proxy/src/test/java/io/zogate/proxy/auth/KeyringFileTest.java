package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyringFileTest {
  static final String SECRET_B64 = Base64.getEncoder().encodeToString(ActorKeyTest.SECRET);
  static final String PUBLIC_B64 = Base64.getEncoder().encodeToString(new byte[] {
      (byte) 0xd7, 0x5a, (byte) 0x98, 0x01, (byte) 0x82, (byte) 0xb1, 0x0a, (byte) 0xb7,
      (byte) 0xd5, 0x4b, (byte) 0xfe, (byte) 0xd3, (byte) 0xc9, 0x64, 0x07, 0x3a,
      0x0e, (byte) 0xe1, 0x72, (byte) 0xf3, (byte) 0xda, (byte) 0xa6, 0x23, 0x25,
      (byte) 0xaf, 0x02, 0x1a, 0x68, (byte) 0xf7, 0x07, 0x51, 0x1a}); // RFC 8032 test 1

  static final String HMAC_ENTRY = "{\"kid\":\"k2026-11\",\"alg\":\"HMAC-SHA256\",\"secret\":\""
      + SECRET_B64 + "\",\"actors\":[\"did:zo:agent:alice\",\"did:zo:svc:*\"],\"status\":\"active\","
      + "\"notBefore\":\"2026-11-01T00:00:00Z\",\"notAfter\":null}";
  static final String ED_ENTRY = "{\"kid\":\"e1\",\"alg\":\"Ed25519\",\"publicKey\":\"" + PUBLIC_B64
      + "\",\"actors\":[\"spiffe://zo/actor/bob\"],\"status\":\"retired\"}";

  @TempDir Path dir;

  static String file(String... entries) {
    return "{ \"keys\": [" + String.join(",", entries) + "] }";
  }

  Keyring parse(String json) throws KeyringException {
    return KeyringFile.parse(json.getBytes(StandardCharsets.UTF_8), "test.json");
  }

  @Test
  void parsesTheContractExample() throws Exception {
    Keyring keyring = parse(file(HMAC_ENTRY, ED_ENTRY));
    ActorKey k = keyring.find("k2026-11").orElseThrow();
    assertThat(k.algorithm()).isEqualTo(KeyAlgorithm.HMAC_SHA256);
    assertThat(k.hmacSecret().orElseThrow().revealCopy()).isEqualTo(ActorKeyTest.SECRET);
    assertThat(k.notBefore()).contains(Instant.parse("2026-11-01T00:00:00Z"));
    assertThat(k.notAfter()).isEmpty();
    assertThat(k.mayActFor("did:zo:svc:x")).isTrue();
    ActorKey e = keyring.find("e1").orElseThrow();
    assertThat(e.algorithm()).isEqualTo(KeyAlgorithm.ED25519);
    assertThat(e.status()).isEqualTo(KeyStatus.RETIRED);
    assertThat(keyring.find("k3")).isEmpty();
    assertThat(parse("{\"keys\":[]}").keys()).isEmpty();
  }

  /** Each load error, with what its one-line message must name. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "unknown field            | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"actors\":[\"a\"],\"status\":\"active\",\"extra\":1} | key k: unknown field \"extra\"",
      "publicKey on HMAC        | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"publicKey\":\"P\",\"actors\":[\"a\"],\"status\":\"active\"} | key k: unknown field \"publicKey\"",
      "secret on Ed25519        | {\"kid\":\"k\",\"alg\":\"Ed25519\",\"publicKey\":\"P\",\"secret\":\"S\",\"actors\":[\"a\"],\"status\":\"active\"} | key k: unknown field \"secret\"",
      "missing kid              | {\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"actors\":[\"a\"],\"status\":\"active\"} | keys[0]: field kid",
      "bad kid                  | {\"kid\":\"k k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"actors\":[\"a\"],\"status\":\"active\"} | keys[0]: field kid",
      "unknown alg              | {\"kid\":\"k\",\"alg\":\"hmac-sha256\",\"secret\":\"S\",\"actors\":[\"a\"],\"status\":\"active\"} | key k: field alg",
      "missing secret           | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"actors\":[\"a\"],\"status\":\"active\"} | key k: field secret",
      "missing publicKey        | {\"kid\":\"k\",\"alg\":\"Ed25519\",\"actors\":[\"a\"],\"status\":\"active\"} | key k: field publicKey",
      "bad base64               | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"!!!!\",\"actors\":[\"a\"],\"status\":\"active\"} | key k: field secret is not canonical",
      "unpadded base64          | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"UNPADDED\",\"actors\":[\"a\"],\"status\":\"active\"} | key k: field secret is not canonical",
      "base64 with newline      | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"NEWLINE\",\"actors\":[\"a\"],\"status\":\"active\"} | key k: field secret is not canonical",
      "short secret             | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"SHORT\",\"actors\":[\"a\"],\"status\":\"active\"} | key k: field secret must decode to at least 32",
      "short public key         | {\"kid\":\"k\",\"alg\":\"Ed25519\",\"publicKey\":\"SHORT\",\"actors\":[\"a\"],\"status\":\"active\"} | key k: field publicKey must decode to exactly 32",
      "unknown status           | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"actors\":[\"a\"],\"status\":\"Active\"} | key k: field status",
      "missing status           | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"actors\":[\"a\"]} | key k: field status",
      "bad date                 | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"actors\":[\"a\"],\"status\":\"active\",\"notBefore\":\"2026-11-01\"} | key k: field notBefore",
      "numeric date             | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"actors\":[\"a\"],\"status\":\"active\",\"notAfter\":1} | key k: field notAfter",
      "window reversed          | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"actors\":[\"a\"],\"status\":\"active\",\"notBefore\":\"2027-01-01T00:00:00Z\",\"notAfter\":\"2026-01-01T00:00:00Z\"} | key k: notAfter is before notBefore",
      "empty actors             | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"actors\":[],\"status\":\"active\"} | key k: field actors",
      "bad actor pattern        | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"actors\":[\"did:zo:svc*\"],\"status\":\"active\"} | key k: field actors[0]",
      "non-string actor         | {\"kid\":\"k\",\"alg\":\"HMAC-SHA256\",\"secret\":\"S\",\"actors\":[1],\"status\":\"active\"} | key k: field actors[0]",
      "entry not an object      | [] | keys[0]: must be an object",
  })
  void eachLoadError(String name, String entry, String expected) {
    String json = file(entry
        .replace("\"S\"", "\"" + SECRET_B64 + "\"")
        .replace("\"P\"", "\"" + PUBLIC_B64 + "\"")
        .replace("UNPADDED", SECRET_B64.replace("=", ""))
        .replace("NEWLINE", SECRET_B64.substring(0, 20) + "\\n" + SECRET_B64.substring(20))
        .replace("SHORT", Base64.getEncoder().encodeToString(new byte[31])));
    assertLoadError(json, expected);
  }

  void assertLoadError(String json, String expected) {
    assertThatThrownBy(() -> parse(json)).isInstanceOf(KeyringException.class)
        .satisfies(e -> {
          assertThat(e.getMessage()).startsWith("keyring test.json: ").contains(expected)
              .doesNotContain("\n").doesNotContain(SECRET_B64).doesNotContain(SECRET_B64.substring(0, 20));
        });
  }

  @Test
  void fileLevelErrors() {
    assertLoadError(file(HMAC_ENTRY, HMAC_ENTRY), "key k2026-11: duplicate kid");
    assertLoadError("{\"keys\":[], \"more\":1}", "unknown top-level field \"more\"");
    assertLoadError("{\"keys\":[], \"keys\":[]}", "duplicate field");
    assertLoadError(file(HMAC_ENTRY.replace("\"status\":\"active\",", "\"status\":\"active\",\"status\":\"retired\",")),
        "duplicate field");
    assertLoadError("{\"keys\":{}}", "field keys must be an array");
    assertLoadError("[]", "top level must be an object");
    assertLoadError("{\"keys\":[]} {}", "not valid JSON");
    // A syntax error right after a secret must not echo the secret.
    assertLoadError("{\"keys\":[{\"kid\":\"k\",\"secret\":\"" + SECRET_B64 + "\" x", "not valid JSON at line 1");
  }

  @Test
  void nonCanonicalTrailingBitsAreRefused() {
    // "AB==" and "AC==" decode to the same byte in the JDK; only "AA==" is canonical for 0x00.
    String canonical = Base64.getEncoder().encodeToString(new byte[32]);
    String sloppy = canonical.substring(0, canonical.length() - 2) + "B=";
    assertThat(Base64.getDecoder().decode(sloppy)).isEqualTo(new byte[32]);
    assertLoadError(file(HMAC_ENTRY.replace(SECRET_B64, sloppy)), "not canonical");
  }

  @Test
  void writeThenLoadRoundTripsAtMode0600() throws Exception {
    GeneratedEd25519 ed = ActorKey.generateEd25519("e1", List.of("spiffe://zo/actor/*"));
    Keyring keyring = Keyring.of(List.of(
        ActorKey.generateHmac("k1", List.of("did:zo:agent:alice")).withValidity(
            Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2027-11-01T00:00:00.123Z")),
        ed.actorKey().withStatus(KeyStatus.RETIRED)));
    Path path = dir.resolve("keyring.json");
    KeyringFile.write(path, keyring);
    Keyring loaded = KeyringFile.load(path);
    assertThat(loaded.keys()).hasSize(2);
    ActorKey k1 = loaded.find("k1").orElseThrow();
    assertThat(k1.hmacSecret()).isEqualTo(keyring.find("k1").orElseThrow().hmacSecret());
    assertThat(k1.notAfter()).contains(Instant.parse("2027-11-01T00:00:00.123Z"));
    assertThat(loaded.find("e1").orElseThrow().ed25519PublicKey().orElseThrow())
        .isEqualTo(ed.actorKey().ed25519PublicKey().orElseThrow());
    assertThat(loaded.find("e1").orElseThrow().status()).isEqualTo(KeyStatus.RETIRED);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
    // Overwrite: still atomic, no temp files left behind.
    KeyringFile.write(path, loaded.replacing(k1.withStatus(KeyStatus.RETIRED)));
    assertThat(KeyringFile.load(path).find("k1").orElseThrow().status()).isEqualTo(KeyStatus.RETIRED);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("keyring.json");
    }
  }

  @Test
  void missingFileIsAKeyringException() {
    assertThatThrownBy(() -> KeyringFile.load(dir.resolve("absent.json")))
        .isInstanceOf(KeyringException.class).hasMessageContaining("cannot read");
  }

  @Test
  void keyringToStringHasNoSecrets() throws Exception {
    Keyring keyring = parse(file(HMAC_ENTRY));
    assertThat(keyring.toString()).doesNotContain(SECRET_B64).contains("k2026-11");
    assertThatThrownBy(() -> keyring.with(keyring.keys().get(0))).isInstanceOf(IllegalArgumentException.class);
  }
}
