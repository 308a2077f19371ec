package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Wycheproof vectors (CONTRACT-independent, public corpora) through {@link ActorKey#verify}. */
class WycheproofTest {

  static Path corpus(String file) {
    String configured = System.getProperty("zogate.corpora");
    Path base = configured != null ? Paths.get(configured) : Paths.get("../shared/corpora");
    if (!Files.isDirectory(base)) {
      base = Paths.get("../../shared/corpora"); // from proxy/ when run outside Maven
    }
    return base.resolve("wycheproof/testvectors_v1").resolve(file);
  }

  static JsonNode load(String file, String schema) throws Exception {
    JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(corpus(file)));
    assertThat(root.get("schema").asText()).as("unknown schema").isEqualTo(schema);
    return root;
  }

  @Test
  void hmacSha256() throws Exception {
    JsonNode root = load("hmac_sha256_test.json", "mac_test_schema_v1.json");
    List<String> failures = new ArrayList<>();
    int usable = 0;
    int truncated = 0;
    int shortKeys = 0;
    for (JsonNode group : root.get("testGroups")) {
      int keyBits = group.get("keySize").asInt();
      int tagBits = group.get("tagSize").asInt();
      for (JsonNode test : group.get("tests")) {
        int id = test.get("tcId").asInt();
        byte[] key = HexFormat.of().parseHex(test.get("key").asText());
        byte[] msg = HexFormat.of().parseHex(test.get("msg").asText());
        byte[] tag = HexFormat.of().parseHex(test.get("tag").asText());
        boolean valid = test.get("result").asText().equals("valid");
        if (keyBits >= 256 && tagBits == 256) {
          usable++;
          ActorKey actorKey = ActorKey.hmac("w", Secret.copyOf(key), List.of("a"),
              KeyStatus.ACTIVE, null, null);
          if (actorKey.verify(msg, tag) != valid) {
            failures.add("tcId " + id + " " + test.get("flags"));
          }
        } else if (tagBits < 256) {
          truncated++;
          // A truncated tag is never a zo-gate signature, valid or not in Wycheproof's sense.
          byte[] fullKey = key.length >= 32 ? key : java.util.Arrays.copyOf(key, 32);
          ActorKey actorKey = ActorKey.hmac("w", Secret.copyOf(fullKey), List.of("a"),
              KeyStatus.ACTIVE, null, null);
          if (actorKey.verify(msg, tag)) {
            failures.add("tcId " + id + " truncated tag accepted");
          }
        } else {
          // A full tag but a key under 32 bytes: such a key is refused when loaded.
          try {
            ActorKey.hmac("w", Secret.copyOf(key), List.of("a"), KeyStatus.ACTIVE, null, null);
            failures.add("tcId " + id + " key of " + key.length + " bytes accepted");
          } catch (IllegalArgumentException expected) {
            shortKeys++;
          }
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(usable).isGreaterThan(60);
    assertThat(truncated).isGreaterThan(60);
    assertThat(shortKeys).isPositive();
  }

  @Test
  void ed25519() throws Exception {
    JsonNode root = load("ed25519_test.json", "eddsa_verify_schema_v1.json");
    List<String> failures = new ArrayList<>();
    int count = 0;
    boolean sawTcId37 = false;
    for (JsonNode group : root.get("testGroups")) {
      byte[] pk = HexFormat.of().parseHex(group.get("publicKey").get("pk").asText());
      ActorKey key;
      try {
        key = ActorKey.ed25519("w", pk, List.of("a"), KeyStatus.ACTIVE, null, null);
      } catch (IllegalArgumentException e) {
        key = null; // an unusable public key: every vector in the group must then be invalid
      }
      for (JsonNode test : group.get("tests")) {
        count++;
        int id = test.get("tcId").asInt();
        sawTcId37 |= id == 37;
        byte[] msg = HexFormat.of().parseHex(test.get("msg").asText());
        byte[] sig = HexFormat.of().parseHex(test.get("sig").asText());
        boolean valid = test.get("result").asText().equals("valid");
        boolean verified = key != null && key.verify(msg, sig);
        if (verified != valid) {
          failures.add("tcId " + id + " " + test.get("flags") + " expected " + test.get("result"));
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(count).isEqualTo(root.get("numberOfTests").asInt());
    assertThat(sawTcId37).isTrue();
  }
}
