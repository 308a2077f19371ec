package io.zogate.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zogate.adversarial.harness.Gate;
import io.zogate.adversarial.harness.RawHttp;
import io.zogate.adversarial.harness.RawUpstream;
import io.zogate.adversarial.harness.Signer;
import io.zogate.proxy.auth.ActorKey;
import io.zogate.proxy.auth.KeyStatus;
import io.zogate.proxy.auth.Secret;
import io.zogate.proxy.jsonrpc.Jcs;
import io.zogate.proxy.jsonrpc.StrictJsonReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data nobody here wrote (../shared/corpora), run through the proxy: JSONTestSuite through the
 * real socket (signed, so each body reaches the parser), Wycheproof HMAC-SHA256 and Ed25519
 * through {@link ActorKey#verify}, RFC 8785 through {@link Jcs}. Each input is recorded as
 * agreed or not for the report's corpora section.
 */
class CorporaTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** y_ inputs that are RFC 8259 but not I-JSON: refused on purpose (CONTRACT section 3). */
  static final Set<String> Y_REFUSED_ON_PURPOSE = Set.of("y_object_duplicated_key.json",
      "y_object_duplicated_key_and_value.json");

  static Path corpora() {
    String prop = System.getProperty("zogate.corpora");
    Path p = prop != null ? Path.of(prop) : AttackFiles.root().resolve("../shared/corpora");
    assertThat(p).as("corpora at " + p).isDirectory();
    return p.normalize();
  }

  static List<Path> list(Path dir, String prefix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
    }
  }

  @Test
  void jsonTestSuiteThroughTheRealSocket(@TempDir Path dir) throws Exception {
    Path suite = corpora().resolve("jsontestsuite/test_parsing");
    List<String> disagreements = new ArrayList<>();
    int count = 0;
    try (RawUpstream upstream = new RawUpstream();
        Gate gate = new Gate(dir, upstream.url(), "", Map.of())) {
      for (Path p : list(suite, "")) {
        String name = p.getFileName().toString();
        byte[] body = Files.readAllBytes(p);
        String first = send(gate, body);
        boolean agreed;
        String detail = first;
        if (name.startsWith("n_")) {
          agreed = first.startsWith("400 -32700 ");
        } else if (name.startsWith("y_")) {
          agreed = Y_REFUSED_ON_PURPOSE.contains(name) ? first.equals("400 -32700 duplicate_key")
              : !first.contains(" -32700 ") && !first.startsWith("5");
        } else if (name.startsWith("i_")) {
          String second = send(gate, body);
          agreed = first.equals(second) && !first.startsWith("5");
          detail = first + " / " + second;
        } else {
          continue;
        }
        count++;
        Results.recordCorpus("JSONTestSuite", name, agreed, detail);
        if (!agreed) {
          disagreements.add(name + ": " + detail);
        }
      }
    }
    assertThat(count).isEqualTo(318);
    assertThat(disagreements).isEmpty();
  }

  static String send(Gate gate, byte[] body) throws IOException {
    Signer s = gate.signer("alice");
    String ts = Long.toString(gate.clock.millis());
    String nonce = Signer.freshNonce();
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.put("x-actor-id", gate.actorOf("alice"));
    h.put("x-actor-kid", s.kid());
    h.put("x-actor-ts", ts);
    h.put("x-actor-nonce", nonce);
    h.put("x-actor-sig", s.sign(Signer.stringToSign(s.kid(), gate.actorOf("alice"), ts, nonce, "POST",
        gate.authority(), "/mcp", body)));
    return RawHttp.request(gate.port, "POST", "/mcp", h, body).outcome();
  }

  static JsonNode wycheproof(String file, String schema) throws IOException {
    JsonNode root = JSON.readTree(corpora().resolve("wycheproof/testvectors_v1").resolve(file).toFile());
    assertThat(root.get("schema").asText()).as("unknown schema").isEqualTo(schema);
    return root;
  }

  @Test
  void wycheproofHmacSha256ThroughActorKey() throws Exception {
    JsonNode root = wycheproof("hmac_sha256_test.json", "mac_test_schema_v1.json");
    List<String> failures = new ArrayList<>();
    int count = 0;
    for (JsonNode group : root.get("testGroups")) {
      int keyBits = group.get("keySize").asInt();
      int tagBits = group.get("tagSize").asInt();
      for (JsonNode t : group.get("tests")) {
        count++;
        byte[] key = HexFormat.of().parseHex(t.get("key").asText());
        byte[] msg = HexFormat.of().parseHex(t.get("msg").asText());
        byte[] tag = HexFormat.of().parseHex(t.get("tag").asText());
        String result = t.get("result").asText();
        boolean agreed;
        String detail;
        if (keyBits < 256) {
          // zo-gate refuses HMAC secrets under 32 bytes when the keyring is loaded.
          boolean refused;
          try {
            ActorKey.hmac("w", Secret.copyOf(key), List.of("a"), KeyStatus.ACTIVE, null, null);
            refused = false;
          } catch (IllegalArgumentException e) {
            refused = true;
          }
          agreed = refused;
          detail = "short key refused at load: " + refused;
        } else {
          ActorKey k = ActorKey.hmac("w", Secret.copyOf(key), List.of("a"), KeyStatus.ACTIVE, null, null);
          boolean verified = k.verify(msg, tag);
          // A truncated tag is never a zo-gate signature (exactly 32 bytes), whatever Wycheproof says.
          boolean expected = tagBits == 256 && result.equals("valid");
          agreed = result.equals("acceptable") ? !verified || tagBits == 256 : verified == expected;
          detail = "tag " + tagBits + " bits, " + result + ", verified " + verified;
        }
        Results.recordCorpus("Wycheproof-HMAC-SHA256", "tcId " + t.get("tcId").asInt(), agreed, detail);
        if (!agreed) {
          failures.add("tcId " + t.get("tcId").asInt() + " " + detail);
        }
      }
    }
    assertThat(count).isEqualTo(root.get("numberOfTests").asInt());
    assertThat(failures).isEmpty();
  }

  @Test
  void wycheproofEd25519ThroughActorKey() throws Exception {
    JsonNode root = wycheproof("ed25519_test.json", "eddsa_verify_schema_v1.json");
    List<String> failures = new ArrayList<>();
    int count = 0;
    for (JsonNode group : root.get("testGroups")) {
      byte[] pk = HexFormat.of().parseHex(group.get("publicKey").get("pk").asText());
      ActorKey key;
      try {
        key = ActorKey.ed25519("w", pk, List.of("a"), KeyStatus.ACTIVE, null, null);
      } catch (IllegalArgumentException e) {
        key = null;
      }
      for (JsonNode t : group.get("tests")) {
        count++;
        byte[] msg = HexFormat.of().parseHex(t.get("msg").asText());
        byte[] sig = HexFormat.of().parseHex(t.get("sig").asText());
        String result = t.get("result").asText();
        boolean verified = key != null && key.verify(msg, sig);
        // "acceptable" is documented as refused: zo-gate accepts only what is plainly valid.
        boolean agreed = result.equals("valid") ? verified : !verified;
        Results.recordCorpus("Wycheproof-Ed25519", "tcId " + t.get("tcId").asInt(), agreed,
            result + ", verified " + verified);
        if (!agreed) {
          failures.add("tcId " + t.get("tcId").asInt() + " " + t.get("flags") + " " + result);
        }
      }
    }
    assertThat(count).isEqualTo(root.get("numberOfTests").asInt());
    assertThat(failures).isEmpty();
  }

  @Test
  void rfc8785ThroughTheParamsCanonicalForm() throws Exception {
    Path dir = corpora().resolve("jcs/testdata");
    StrictJsonReader reader = new StrictJsonReader(64);
    List<String> failures = new ArrayList<>();
    List<Path> inputs = list(dir.resolve("input"), "");
    for (Path in : inputs) {
      String name = in.getFileName().toString();
      byte[] expected = Files.readAllBytes(dir.resolve("output").resolve(name));
      JsonNode tree = reader.read(Files.readAllBytes(in));
      byte[] actual = Jcs.canonicalize(tree);
      boolean agreed = java.util.Arrays.equals(actual, expected)
          && Jcs.paramsSha256Hex(tree).equals(Signer.sha256Hex(expected));
      Results.recordCorpus("RFC8785-JCS", name, agreed, agreed ? "canonical" : "differs");
      if (!agreed) {
        failures.add(name);
      }
    }
    assertThat(inputs).isNotEmpty();
    assertThat(failures).isEmpty();
  }
}
