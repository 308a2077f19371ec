package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ActorVerifierTest {
  static final long NOW = 1_790_000_000_000L;
  static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
  static final byte[] SECRET = ActorKeyTest.SECRET;
  static final String AUTHORITY = "127.0.0.1:8787";
  static final String TARGET = "/mcp";
  static final byte[] BODY = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}"
      .getBytes(StandardCharsets.UTF_8);
  static final String NONCE = "nonce-0123456789abcdef";

  final GeneratedEd25519 ed = ActorKey.generateEd25519("e1", List.of("spiffe://zo/actor/*"));
  final Keyring keyring = Keyring.of(List.of(
      ActorKey.hmac("k1", Secret.copyOf(SECRET), List.of("did:zo:agent:alice", "did:zo:svc:*"),
          KeyStatus.ACTIVE, null, null),
      ActorKey.hmac("retired", Secret.copyOf(SECRET), List.of("did:zo:agent:alice"),
          KeyStatus.RETIRED, null, null),
      ActorKey.hmac("future", Secret.copyOf(SECRET), List.of("did:zo:agent:alice"),
          KeyStatus.ACTIVE, Instant.ofEpochMilli(NOW + 1), null),
      ActorKey.hmac("expired", Secret.copyOf(SECRET), List.of("did:zo:agent:alice"),
          KeyStatus.ACTIVE, null, Instant.ofEpochMilli(NOW - 1)),
      ed.actorKey()));
  final ActorVerifier verifier =
      new ActorVerifier(() -> keyring, CLOCK, Duration.ofSeconds(300), Long.MIN_VALUE);

  /** Runs the whole check the way the pipeline will; returns the refusal reason or null. */
  Reason check(ActorVerifier v, Map<String, String> headers, String method, byte[] body) {
    Map<String, List<String>> multi = new HashMap<>();
    headers.forEach((k, val) -> multi.put(k, List.of(val)));
    try {
      ActorHeaders h = ActorHeaders.parse(multi::get);
      ActorKey key = v.checkKeyAndTime(h);
      VerifiedActor actor = v.verify(key, h, method, AUTHORITY, TARGET, ActorSigner.sha256Hex(body));
      assertThat(actor).isEqualTo(new VerifiedActor(h.actorId(), h.kid(), h.tsMillis(), h.tsText(), h.nonce()));
      return null;
    } catch (RefusalException e) {
      return e.refusal().reason();
    }
  }

  Reason check(Map<String, String> headers) {
    return check(verifier, headers, "POST", BODY);
  }

  /** Headers signed with the test's own HMAC code (not the production signer). */
  static Map<String, String> independentHmac(String kid, String actor, long ts, byte[] secret,
      byte[] body) throws Exception {
    String text = IndependentSigner.stringToSign(kid, actor, Long.toString(ts), NONCE, "POST",
        AUTHORITY, TARGET, body);
    return headers(kid, actor, ts, IndependentSigner.hmacHex(secret, text));
  }

  static Map<String, String> headers(String kid, String actor, long ts, String sig) {
    Map<String, String> m = new HashMap<>();
    m.put("x-actor-id", actor);
    m.put("x-actor-kid", kid);
    m.put("x-actor-ts", Long.toString(ts));
    m.put("x-actor-nonce", NONCE);
    m.put("x-actor-sig", sig);
    return m;
  }

  @Test
  void acceptsBothTheIndependentAndTheProductionSigner() throws Exception {
    assertThat(check(independentHmac("k1", "did:zo:agent:alice", NOW, SECRET, BODY))).isNull();
    ActorSigner signer = ActorSigner.hmac("k1", "did:zo:svc:billing", Secret.copyOf(SECRET), CLOCK);
    assertThat(check(signer.headers("POST", AUTHORITY, TARGET, BODY))).isNull();
    assertThat(check(signer.headers("POST", AUTHORITY, TARGET, BODY, NOW, NONCE)))
        .isNull();
    assertThat(signer.headers("POST", AUTHORITY, TARGET, BODY, NOW, NONCE))
        .isEqualTo(independentHmac("k1", "did:zo:svc:billing", NOW, SECRET, BODY));
  }

  @Test
  void ed25519BothWays() throws Exception {
    ActorSigner signer = ActorSigner.ed25519("e1", "spiffe://zo/actor/bob", ed.privateSeed(), CLOCK);
    assertThat(check(signer.headers("POST", AUTHORITY, TARGET, BODY))).isNull();
    PrivateKey jdkKey = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(
        HexFormat.of().parseHex("302e020100300506032b657004220420"
            + HexFormat.of().formatHex(ed.privateSeed().revealCopy()))));
    String text = IndependentSigner.stringToSign("e1", "spiffe://zo/actor/bob", Long.toString(NOW),
        NONCE, "POST", AUTHORITY, TARGET, BODY);
    Map<String, String> h = headers("e1", "spiffe://zo/actor/bob", NOW,
        IndependentSigner.ed25519Hex(jdkKey, text));
    assertThat(check(h)).isNull();
    assertThat(signer.headers("POST", AUTHORITY, TARGET, BODY, NOW, NONCE)).isEqualTo(h);
    // Different body, method or authority: the same signature no longer verifies.
    assertThat(check(verifier, h, "POST", "{}".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(Reason.SIGNATURE_INVALID);
    assertThat(check(verifier, h, "GET", BODY)).isEqualTo(Reason.SIGNATURE_INVALID);
  }

  @Test
  void signatureLengthMustFitTheKeysAlgorithm() throws Exception {
    Map<String, String> hmacSigned = independentHmac("k1", "did:zo:agent:alice", NOW, SECRET, BODY);
    Map<String, String> onEd = new HashMap<>(hmacSigned);
    onEd.put("x-actor-kid", "e1");
    onEd.put("x-actor-id", "spiffe://zo/actor/bob");
    assertThat(check(onEd)).isEqualTo(Reason.SIGNATURE_INVALID);
    Map<String, String> doubled = new HashMap<>(hmacSigned);
    doubled.put("x-actor-sig", hmacSigned.get("x-actor-sig").repeat(2));
    assertThat(check(doubled)).isEqualTo(Reason.SIGNATURE_INVALID);
  }

  @Test
  void unknownAndInactiveKeysGetTheSameAnswerAndTheLogSaysWhich() throws Exception {
    for (String kid : List.of("nope", "retired", "future", "expired")) {
      Map<String, String> h = independentHmac(kid, "did:zo:agent:alice", NOW, SECRET, BODY);
      Map<String, List<String>> multi = new HashMap<>();
      h.forEach((k, v) -> multi.put(k, List.of(v)));
      assertThatThrownBy(() -> verifier.checkKeyAndTime(ActorHeaders.parse(multi::get)))
          .isInstanceOfSatisfying(RefusalException.class, e -> {
            assertThat(e.refusal().reason()).isEqualTo(Reason.UNKNOWN_KEY);
            assertThat(e.refusal().logDetail()).contains(kid);
            assertThat(e.refusal().data()).isEmpty();
          });
    }
  }

  @Test
  void skewBoundariesToTheMillisecond() throws Exception {
    long skew = 300_000;
    assertThat(check(independentHmac("k1", "did:zo:agent:alice", NOW - skew, SECRET, BODY))).isNull();
    assertThat(check(independentHmac("k1", "did:zo:agent:alice", NOW + skew, SECRET, BODY))).isNull();
    assertThat(check(independentHmac("k1", "did:zo:agent:alice", NOW - skew - 1, SECRET, BODY)))
        .isEqualTo(Reason.TIMESTAMP_SKEW);
    assertThat(check(independentHmac("k1", "did:zo:agent:alice", NOW + skew + 1, SECRET, BODY)))
        .isEqualTo(Reason.TIMESTAMP_SKEW);
  }

  @Test
  void timestampsBeforeTheReplayStoreStartAreRefused() throws Exception {
    ActorVerifier fresh = new ActorVerifier(() -> keyring, CLOCK, Duration.ofSeconds(300), NOW - 10);
    assertThat(check(fresh, independentHmac("k1", "did:zo:agent:alice", NOW - 10, SECRET, BODY),
        "POST", BODY)).isNull();
    assertThat(check(fresh, independentHmac("k1", "did:zo:agent:alice", NOW - 11, SECRET, BODY),
        "POST", BODY)).isEqualTo(Reason.TIMESTAMP_SKEW);
  }

  @Test
  void actorScopeIsCheckedAfterTheSignature() throws Exception {
    assertThat(check(independentHmac("k1", "did:zo:svcx", NOW, SECRET, BODY)))
        .isEqualTo(Reason.KEY_NOT_PERMITTED_FOR_ACTOR);
    // Same out-of-scope actor, but a wrong secret: the caller learns nothing about scope.
    byte[] wrong = SECRET.clone();
    wrong[0] ^= 1;
    assertThat(check(independentHmac("k1", "did:zo:svcx", NOW, wrong, BODY)))
        .isEqualTo(Reason.SIGNATURE_INVALID);
  }

  @Test
  void aRequestFailingSeveralChecksReportsTheFirstInContractOrder() throws Exception {
    byte[] wrong = SECRET.clone();
    wrong[31] ^= (byte) 0x80;
    long stale = NOW - 400_000;
    // unknown key + skew + bad signature + out of scope -> unknown_key
    assertThat(check(independentHmac("nope", "did:zo:svcx", stale, wrong, BODY)))
        .isEqualTo(Reason.UNKNOWN_KEY);
    // retired + skew -> unknown_key
    assertThat(check(independentHmac("retired", "did:zo:agent:alice", stale, SECRET, BODY)))
        .isEqualTo(Reason.UNKNOWN_KEY);
    // skew + bad signature + out of scope -> timestamp_skew
    assertThat(check(independentHmac("k1", "did:zo:svcx", stale, wrong, BODY)))
        .isEqualTo(Reason.TIMESTAMP_SKEW);
    // bad signature + out of scope -> signature_invalid
    assertThat(check(independentHmac("k1", "did:zo:svcx", NOW, wrong, BODY)))
        .isEqualTo(Reason.SIGNATURE_INVALID);
    // malformed header + unknown key -> malformed_header (step 1 first)
    Map<String, String> h = independentHmac("nope", "did:zo:agent:alice", stale, wrong, BODY);
    h.put("x-actor-nonce", "short");
    assertThat(check(h)).isEqualTo(Reason.MALFORMED_HEADER);
  }

  @Test
  void everyOneBitFlipOfTheSignatureIsRefused() throws Exception {
    Map<String, String> h = independentHmac("k1", "did:zo:agent:alice", NOW, SECRET, BODY);
    byte[] sig = HexFormat.of().parseHex(h.get("x-actor-sig"));
    for (int bit = 0; bit < 256; bit++) {
      byte[] flipped = sig.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      Map<String, String> copy = new HashMap<>(h);
      copy.put("x-actor-sig", HexFormat.of().formatHex(flipped));
      assertThat(check(copy)).as("bit %d", bit).isEqualTo(Reason.SIGNATURE_INVALID);
    }
  }

  @Test
  void keyringSwapIsSeenByTheNextRequest() throws Exception {
    java.util.concurrent.atomic.AtomicReference<Keyring> ref = new java.util.concurrent.atomic.AtomicReference<>(keyring);
    ActorVerifier v = new ActorVerifier(ref::get, CLOCK, Duration.ofSeconds(300), Long.MIN_VALUE);
    Map<String, String> h = independentHmac("k1", "did:zo:agent:alice", NOW, SECRET, BODY);
    assertThat(check(v, h, "POST", BODY)).isNull();
    ref.set(keyring.replacing(keyring.find("k1").orElseThrow().withStatus(KeyStatus.RETIRED)));
    assertThat(check(v, h, "POST", BODY)).isEqualTo(Reason.UNKNOWN_KEY);
  }

  @Test
  void measureVerificationsPerSecond() throws Exception {
    Map<String, String> hmac = independentHmac("k1", "did:zo:agent:alice", NOW, SECRET, BODY);
    ActorSigner edSigner = ActorSigner.ed25519("e1", "spiffe://zo/actor/bob", ed.privateSeed(), CLOCK);
    Map<String, String> edHeaders = edSigner.headers("POST", AUTHORITY, TARGET, BODY, NOW, NONCE);
    for (Map<String, String> h : List.of(hmac, edHeaders)) {
      int rounds = h == hmac ? 200_000 : 2_000;
      for (int i = 0; i < rounds / 10; i++) {
        check(h);
      }
      long start = System.nanoTime();
      for (int i = 0; i < rounds; i++) {
        if (check(h) != null) {
          throw new AssertionError("verification failed during measurement");
        }
      }
      double perSecond = rounds / ((System.nanoTime() - start) / 1e9);
      System.out.printf("[measure] %s parse+check+verify: %.0f/s on one thread%n",
          h == hmac ? "HMAC-SHA256" : "Ed25519", perSecond);
    }
  }
}
