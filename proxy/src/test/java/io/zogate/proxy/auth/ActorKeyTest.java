package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ActorKeyTest {
  static final byte[] SECRET = HexFormat.of().parseHex(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  static final byte[] MESSAGE = "zo-actor-proof-v1\nk\n...".getBytes(StandardCharsets.UTF_8);

  static ActorKey hmacKey(List<String> actors) {
    return ActorKey.hmac("k1", Secret.copyOf(SECRET), actors, KeyStatus.ACTIVE, null, null);
  }

  static byte[] jdkHmac(byte[] key, byte[] message) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(message);
  }

  @Test
  void prefixPatternMatchesOnlyBelowItsSeparator() {
    ActorKey key = hmacKey(List.of("did:zo:svc:*", "spiffe://zo/actor/*", "did:zo:agent:alice"));
    assertThat(key.mayActFor("did:zo:svc:x")).isTrue();
    assertThat(key.mayActFor("did:zo:svc:x:y")).isTrue();
    assertThat(key.mayActFor("did:zo:svcx")).isFalse();
    assertThat(key.mayActFor("did:zo:svc:")).isFalse();
    assertThat(key.mayActFor("did:zo:svc")).isFalse();
    assertThat(key.mayActFor("spiffe://zo/actor/bob")).isTrue();
    assertThat(key.mayActFor("spiffe://zo/actorx/bob")).isFalse();
    assertThat(key.mayActFor("did:zo:agent:alice")).isTrue();
    assertThat(key.mayActFor("did:zo:agent:alice2")).isFalse();
    assertThat(key.mayActFor("DID:zo:agent:alice")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"did:zo:svc*", "*", "did:*:x", "did:zo:svc:**", "did:zo:*:*", "a*b",
      "did:zo:svc:x*", "", "did:zo:./x", "has space"})
  void badPatternsAreLoadErrors(String pattern) {
    assertThatThrownBy(() -> hmacKey(List.of(pattern))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("k1");
  }

  @Test
  void emptyActorsIsALoadError() {
    assertThatThrownBy(() -> hmacKey(List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hmacVerifiesJdkTagsAndRefusesEveryOneBitFlip() throws Exception {
    ActorKey key = hmacKey(List.of("a"));
    byte[] tag = jdkHmac(SECRET, MESSAGE);
    assertThat(key.verify(MESSAGE, tag)).isTrue();
    for (int bit = 0; bit < tag.length * 8; bit++) {
      byte[] flipped = tag.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThat(key.verify(MESSAGE, flipped)).as("bit %d", bit).isFalse();
    }
    for (int bit = 0; bit < MESSAGE.length * 8; bit++) {
      byte[] flipped = MESSAGE.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThat(key.verify(flipped, tag)).as("message bit %d", bit).isFalse();
    }
  }

  @Test
  void hmacRefusesTruncatedAndExtendedTags() throws Exception {
    ActorKey key = hmacKey(List.of("a"));
    byte[] tag = jdkHmac(SECRET, MESSAGE);
    assertThat(key.verify(MESSAGE, Arrays.copyOf(tag, 16))).isFalse();
    assertThat(key.verify(MESSAGE, Arrays.copyOf(tag, 31))).isFalse();
    assertThat(key.verify(MESSAGE, Arrays.copyOf(tag, 33))).isFalse();
    assertThat(key.verify(MESSAGE, new byte[0])).isFalse();
  }

  @Test
  void hmacSecretMustBeAtLeast32Bytes() {
    assertThatThrownBy(() -> ActorKey.hmac("k", Secret.copyOf(new byte[31]), List.of("a"),
        KeyStatus.ACTIVE, null, null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ed25519BothWaysWithTheJdk() throws Exception {
    GeneratedEd25519 generated = ActorKey.generateEd25519("e1", List.of("a"));
    ActorKey key = generated.actorKey();
    // Production key -> JDK-signed message: sign with a PKCS#8 key built independently.
    java.security.PrivateKey privateKey = java.security.KeyFactory.getInstance("Ed25519")
        .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(HexFormat.of().parseHex(
            "302e020100300506032b657004220420"
                + HexFormat.of().formatHex(generated.privateSeed().revealCopy()))));
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(privateKey);
    signer.update(MESSAGE);
    byte[] sig = signer.sign();
    assertThat(key.verify(MESSAGE, sig)).isTrue();
    byte[] appended = Arrays.copyOf(sig, 65);
    assertThat(key.verify(MESSAGE, appended)).isFalse();
    for (int bit = 0; bit < sig.length * 8; bit += 7) {
      byte[] flipped = sig.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThat(key.verify(MESSAGE, flipped)).as("bit %d", bit).isFalse();
    }
    // A JDK-generated key pair -> production key from the raw public key.
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    byte[] spki = pair.getPublic().getEncoded();
    ActorKey fromJdk = ActorKey.ed25519("e2", Arrays.copyOfRange(spki, spki.length - 32, spki.length),
        List.of("a"), KeyStatus.ACTIVE, null, null);
    signer.initSign(pair.getPrivate());
    signer.update(MESSAGE);
    assertThat(fromJdk.verify(MESSAGE, signer.sign())).isTrue();
    assertThat(fromJdk.verify(MESSAGE, sig)).isFalse();
  }

  @Test
  void ed25519PublicKeyMustBe32Bytes() {
    assertThatThrownBy(() -> ActorKey.ed25519("e", new byte[31], List.of("a"), KeyStatus.ACTIVE,
        null, null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ActorKey.ed25519("e", new byte[33], List.of("a"), KeyStatus.ACTIVE,
        null, null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void activeWindowIsInclusiveAtBothEnds() {
    Instant from = Instant.parse("2026-11-01T00:00:00Z");
    Instant to = Instant.parse("2026-12-01T00:00:00Z");
    ActorKey key = ActorKey.hmac("k", Secret.copyOf(SECRET), List.of("a"), KeyStatus.ACTIVE, from, to);
    assertThat(key.isActiveAt(from.minusMillis(1))).isFalse();
    assertThat(key.isActiveAt(from)).isTrue();
    assertThat(key.isActiveAt(to)).isTrue();
    assertThat(key.isActiveAt(to.plusMillis(1))).isFalse();
    assertThat(key.withStatus(KeyStatus.RETIRED).isActiveAt(from)).isFalse();
    assertThatThrownBy(() -> key.withValidity(to, from)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void secretsNeverPrint() {
    ActorKey key = ActorKey.generateHmac("k", List.of("a"));
    Secret secret = key.hmacSecret().orElseThrow();
    String hex = HexFormat.of().formatHex(secret.revealCopy());
    String b64 = java.util.Base64.getEncoder().encodeToString(secret.revealCopy());
    assertThat(key.toString()).doesNotContain(hex).doesNotContain(b64);
    assertThat(secret.toString()).isEqualTo("Secret[redacted, 32 bytes]");
    GeneratedEd25519 ed = ActorKey.generateEd25519("e", List.of("a"));
    assertThat(ed.toString()).contains("redacted")
        .doesNotContain(HexFormat.of().formatHex(ed.privateSeed().revealCopy()));
  }

  @Test
  void secretComparesByContentAndCopiesDefensively() {
    byte[] raw = SECRET.clone();
    Secret a = Secret.copyOf(raw);
    raw[0] ^= 1;
    assertThat(a.revealCopy()).isEqualTo(SECRET);
    assertThat(a).isEqualTo(Secret.copyOf(SECRET)).isNotEqualTo(Secret.copyOf(raw));
    byte[] out = a.revealCopy();
    out[0] ^= 1;
    assertThat(a.revealCopy()).isEqualTo(SECRET);
  }

  @Test
  void generatedHmacKeysAreRandomAndActive() {
    ActorKey a = ActorKey.generateHmac("a", List.of("x"));
    ActorKey b = ActorKey.generateHmac("b", List.of("x"));
    assertThat(a.hmacSecret().orElseThrow().length()).isEqualTo(32);
    assertThat(a.hmacSecret()).isNotEqualTo(b.hmacSecret());
    assertThat(a.isActiveAt(Instant.now())).isTrue();
  }
}
