package io.zogate.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.auth.ActorKey;
import io.zogate.proxy.auth.KeyAlgorithm;
import io.zogate.proxy.auth.KeyStatus;
import io.zogate.proxy.auth.Keyring;
import io.zogate.proxy.auth.KeyringFile;
import io.zogate.proxy.cli.MainTest.Run;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keys generate | rotate | retire | list}: round trips, secrets shown once, atomic locked writes. */
class KeysCommandTest {
  @TempDir Path dir;

  static Run run(String... args) {
    return MainTest.run(args);
  }

  /** The one stdout line of a command that prints a secret, base64-decoded. */
  static byte[] secretOf(Run r) {
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(1);
    return Base64.getDecoder().decode(lines.get(0));
  }

  static String mode(Path file) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }

  static int occurrences(String haystack, String needle) {
    int n = 0;
    for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  /** An Ed25519 private key from its 32-byte seed, with the JDK only (RFC 8410 PKCS#8 prefix). */
  static PrivateKey ed25519Private(byte[] seed) throws Exception {
    byte[] der = HexFormat.of().parseHex("302e020100300506032b657004220420" + HexFormat.of().formatHex(seed));
    return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
  }

  @Test
  void hmacGenerateRotateRetireListRoundTrip() throws Exception {
    Path keyring = dir.resolve("keyring.json");
    Run gen = run("keys", "generate", "--keyring", keyring.toString(), "--kid", "k1",
        "--actor", "did:zo:agent:alice", "--actor", "did:zo:svc:*");
    assertThat(gen.exit()).as(gen.err()).isZero();
    String secret1 = gen.out().strip();
    byte[] raw1 = secretOf(gen);
    assertThat(raw1).hasSize(32);
    assertThat(occurrences(gen.out(), secret1)).isEqualTo(1);
    assertThat(gen.err()).contains("shown once").doesNotContain(secret1);
    assertThat(mode(keyring)).isEqualTo("rw-------");

    Keyring ring = KeyringFile.load(keyring);
    ActorKey k1 = ring.find("k1").orElseThrow();
    assertThat(k1.algorithm()).isEqualTo(KeyAlgorithm.HMAC_SHA256);
    assertThat(k1.status()).isEqualTo(KeyStatus.ACTIVE);
    assertThat(k1.actorTexts()).containsExactly("did:zo:agent:alice", "did:zo:svc:*");
    assertThat(k1.hmacSecret().orElseThrow().revealCopy()).isEqualTo(raw1);
    assertThat(k1.notBefore()).isEmpty();
    assertThat(k1.notAfter()).isEmpty();

    Run rot = run("keys", "rotate", "--keyring", keyring.toString(), "--kid", "k1", "--new-kid", "k2");
    assertThat(rot.exit()).as(rot.err()).isZero();
    String secret2 = rot.out().strip();
    byte[] raw2 = secretOf(rot);
    assertThat(secret2).isNotEqualTo(secret1);
    assertThat(rot.err()).contains("stays active").contains("keys retire").doesNotContain(secret2);
    assertThat(mode(keyring)).isEqualTo("rw-------");
    ring = KeyringFile.load(keyring);
    assertThat(ring.keys()).extracting(ActorKey::kid).containsExactly("k1", "k2");
    ActorKey k2 = ring.find("k2").orElseThrow();
    assertThat(k2.algorithm()).isEqualTo(KeyAlgorithm.HMAC_SHA256);
    assertThat(k2.actorTexts()).isEqualTo(k1.actorTexts());
    assertThat(k2.hmacSecret().orElseThrow().revealCopy()).isEqualTo(raw2);
    assertThat(ring.find("k1").orElseThrow().isActiveAt(Instant.now())).isTrue(); // still verifiable

    Run retire = run("keys", "retire", "--keyring", keyring.toString(), "--kid", "k1");
    assertThat(retire.exit()).as(retire.err()).isZero();
    assertThat(retire.out()).isEmpty();
    assertThat(mode(keyring)).isEqualTo("rw-------");
    ring = KeyringFile.load(keyring);
    assertThat(ring.find("k1").orElseThrow().status()).isEqualTo(KeyStatus.RETIRED);
    assertThat(ring.find("k1").orElseThrow().hmacSecret().orElseThrow().revealCopy()).isEqualTo(raw1);
    assertThat(ring.find("k2").orElseThrow().status()).isEqualTo(KeyStatus.ACTIVE);

    byte[] before = Files.readAllBytes(keyring);
    Run again = run("keys", "retire", "--keyring", keyring.toString(), "--kid", "k1");
    assertThat(again.exit()).isZero();
    assertThat(again.err()).contains("already retired");
    assertThat(Files.readAllBytes(keyring)).isEqualTo(before);

    Run list = run("keys", "list", "--keyring", keyring.toString());
    assertThat(list.exit()).as(list.err()).isZero();
    List<String> lines = list.out().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).startsWith("KID").contains("ALG", "STATUS", "NOT-BEFORE", "NOT-AFTER", "ACTORS");
    assertThat(lines.get(1)).startsWith("k1 ").contains("HMAC-SHA256", "retired", "did:zo:agent:alice,did:zo:svc:*");
    assertThat(lines.get(2)).startsWith("k2 ").contains("HMAC-SHA256", " active ");
    String everything = list.out() + list.err();
    for (byte[] raw : List.of(raw1, raw2)) {
      assertThat(everything).doesNotContain(Base64.getEncoder().encodeToString(raw))
          .doesNotContain(HexFormat.of().formatHex(raw))
          .doesNotContain(Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
    }
    assertThat(list.err()).isEmpty(); // 0600: no warning
  }

  @Test
  void ed25519KeepsOnlyThePublicKeyAndPrintsTheSeedOnce() throws Exception {
    Path keyring = dir.resolve("keyring.json");
    Run gen = run("keys", "generate", "--keyring", keyring.toString(), "--kid", "e1", "--alg", "Ed25519",
        "--actor", "spiffe://zo/actor/bob", "--not-before", "2020-01-01T00:00:00Z",
        "--not-after", "2999-01-01T00:00:00Z");
    assertThat(gen.exit()).as(gen.err()).isZero();
    String seedText = gen.out().strip();
    byte[] seed = secretOf(gen);
    assertThat(seed).hasSize(32);
    assertThat(gen.err()).contains("shown once", "stored nowhere").doesNotContain(seedText);
    String file = Files.readString(keyring);
    assertThat(file).doesNotContain(seedText).doesNotContain(HexFormat.of().formatHex(seed)).doesNotContain("secret");

    ActorKey e1 = KeyringFile.load(keyring).find("e1").orElseThrow();
    assertThat(e1.algorithm()).isEqualTo(KeyAlgorithm.ED25519);
    assertThat(e1.notBefore()).contains(Instant.parse("2020-01-01T00:00:00Z"));
    assertThat(e1.notAfter()).contains(Instant.parse("2999-01-01T00:00:00Z"));
    // The printed seed signs what the stored public key verifies (JDK signer, not zo-gate's).
    byte[] message = "zo-actor-proof-v1\ne1".getBytes(StandardCharsets.UTF_8);
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(ed25519Private(seed));
    s.update(message);
    assertThat(e1.verify(message, s.sign())).isTrue();

    Run rot = run("keys", "rotate", "--keyring", keyring.toString(), "--kid", "e1", "--new-kid", "e2");
    assertThat(rot.exit()).as(rot.err()).isZero();
    byte[] seed2 = secretOf(rot);
    ActorKey e2 = KeyringFile.load(keyring).find("e2").orElseThrow();
    assertThat(e2.algorithm()).isEqualTo(KeyAlgorithm.ED25519);
    assertThat(e2.actorTexts()).containsExactly("spiffe://zo/actor/bob");
    assertThat(e2.notBefore()).isEmpty(); // a rotation's window is its own, not the old key's
    s.initSign(ed25519Private(seed2));
    s.update(message);
    assertThat(e2.verify(message, s.sign())).isTrue();
    assertThat(mode(keyring)).isEqualTo("rw-------");

    Run list = run("keys", "list", "--keyring", keyring.toString());
    assertThat(list.exit()).isZero();
    assertThat(list.out()).contains("Ed25519", "2999-01-01T00:00:00Z", "SHA256:")
        .doesNotContain(seedText)
        .doesNotContain(Base64.getEncoder().encodeToString(e1.ed25519PublicKey().orElseThrow()));
    assertThat(list.out().lines().filter(l -> l.startsWith("e1 ")).findFirst().orElseThrow())
        .contains(KeysCommand.fingerprint(e1.ed25519PublicKey().orElseThrow()));
  }

  @Test
  void listShowsWhyAnActiveKeyDoesNotVerifyAndWarnsAboutAnOpenFile() throws Exception {
    Path keyring = dir.resolve("keyring.json");
    KeyringFile.write(keyring, Keyring.of(List.of(
        ActorKey.generateHmac("old", List.of("a:b")).withValidity(null, Instant.parse("2001-01-01T00:00:00Z")),
        ActorKey.generateHmac("later", List.of("a:b")).withValidity(Instant.parse("2999-01-01T00:00:00Z"), null))));
    Files.setPosixFilePermissions(keyring, PosixFilePermissions.fromString("rw-r--r--"));
    Run list = run("keys", "list", "--keyring", keyring.toString());
    assertThat(list.exit()).isZero();
    assertThat(list.out()).contains("active(expired)", "active(not-yet-valid)");
    assertThat(list.err()).contains("warning").contains("rw-r--r--").contains("0600");
  }

  @Test
  void usageErrorsExitTwoWithOneLineAndLeaveTheFileAlone() throws Exception {
    Path keyring = dir.resolve("keyring.json");
    String k = keyring.toString();
    assertThat(run("keys", "generate", "--keyring", k, "--kid", "k1", "--actor", "did:zo:agent:a").exit()).isZero();
    byte[] before = Files.readAllBytes(keyring);
    List<String[]> bad = List.of(
        new String[] {"keys", "generate", "--keyring", k, "--kid", "k1", "--actor", "did:zo:agent:a"}, // kid exists
        new String[] {"keys", "generate", "--keyring", k, "--kid", "bad kid", "--actor", "did:zo:agent:a"},
        new String[] {"keys", "generate", "--keyring", k, "--kid", "k9", "--actor", "did:zo:*:x"},
        new String[] {"keys", "generate", "--keyring", k, "--kid", "k9", "--actor", "a:b", "--alg", "RSA"},
        new String[] {"keys", "generate", "--keyring", k, "--kid", "k9", "--actor", "a:b", "--not-before", "tomorrow"},
        new String[] {"keys", "generate", "--keyring", k, "--kid", "k9", "--actor", "a:b", "--not-after", "2001-01-01T00:00:00Z"},
        new String[] {"keys", "rotate", "--keyring", k, "--kid", "nope", "--new-kid", "k9"},
        new String[] {"keys", "rotate", "--keyring", k, "--kid", "k1", "--new-kid", "k1"},
        new String[] {"keys", "rotate", "--keyring", k, "--kid", "k1", "--new-kid", "no/slash"},
        new String[] {"keys", "retire", "--keyring", k, "--kid", "nope"},
        new String[] {"keys", "list", "--keyring", dir.resolve("absent.json").toString()},
        new String[] {"keys", "retire", "--keyring", dir.resolve("absent.json").toString(), "--kid", "k1"},
        new String[] {"keys", "generate", "--keyring", dir.resolve("no/such/dir/k.json").toString(), "--kid", "k9",
            "--actor", "a:b"});
    for (String[] args : bad) {
      Run r = run(args);
      assertThat(r.exit()).as(String.join(" ", args) + " -> " + r.err()).isEqualTo(2);
      assertThat(r.out()).as(String.join(" ", args)).isEmpty(); // no secret for a key that was not added
      assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
      assertThat(r.err()).doesNotContain("Exception");
    }
    assertThat(Files.readAllBytes(keyring)).isEqualTo(before);
    assertThat(Files.exists(dir.resolve("absent.json"))).isFalse();
    // Missing options are picocli's usage errors: exit 2 as well.
    assertThat(run("keys", "generate", "--keyring", k, "--kid", "k9").exit()).isEqualTo(2);
    assertThat(run("keys").exit()).isEqualTo(2);
  }

  @Test
  void aKeyringThatDoesNotParseIsNeverOverwritten() throws Exception {
    Path keyring = dir.resolve("keyring.json");
    byte[] garbage = "{\"keys\": [ {\"kid\": \"k1\", \"alg\": \"HMAC-SHA256\", \"secret\": \"c2VjcmV0\"".getBytes(StandardCharsets.UTF_8);
    Files.write(keyring, garbage);
    for (String[] args : List.of(
        new String[] {"keys", "generate", "--keyring", keyring.toString(), "--kid", "k2", "--actor", "a:b"},
        new String[] {"keys", "rotate", "--keyring", keyring.toString(), "--kid", "k1", "--new-kid", "k2"},
        new String[] {"keys", "retire", "--keyring", keyring.toString(), "--kid", "k1"},
        new String[] {"keys", "list", "--keyring", keyring.toString()})) {
      Run r = run(args);
      assertThat(r.exit()).as(args[1]).isEqualTo(2);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).contains("not valid JSON").doesNotContain("c2VjcmV0");
      assertThat(Files.readAllBytes(keyring)).isEqualTo(garbage);
    }
    assertThat(run("keys", "generate", "--keyring", keyring.toString(), "--kid", "k2", "--actor", "a:b").err())
        .contains("left unchanged");
  }

  /** Needs root to give the file away; skipped otherwise. */
  @Test
  void refusesToRewriteAKeyringAnotherUserOwns() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0,
        "only root can chown the test file");
    Path keyring = dir.resolve("keyring.json");
    assertThat(run("keys", "generate", "--keyring", keyring.toString(), "--kid", "k1", "--actor", "a:b").exit()).isZero();
    Files.setAttribute(keyring, "unix:uid", 4242);
    byte[] before = Files.readAllBytes(keyring);
    Run r = run("keys", "rotate", "--keyring", keyring.toString(), "--kid", "k1", "--new-kid", "k2");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("uid 4242").contains("file left unchanged");
    assertThat(Files.readAllBytes(keyring)).isEqualTo(before);
    assertThat(Files.getAttribute(keyring, "unix:uid")).isEqualTo(4242);
    assertThat(run("keys", "list", "--keyring", keyring.toString()).exit()).isZero(); // reading is fine
  }

  @Test
  void concurrentThreadsLoseNoUpdate() throws Exception {
    Path keyring = dir.resolve("keyring.json");
    int threads = 4;
    int each = 5;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<Integer>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        results.add(pool.submit(() -> {
          List<Integer> exits = new ArrayList<>();
          for (int i = 0; i < each; i++) {
            exits.add(run("keys", "generate", "--keyring", keyring.toString(), "--kid", "t" + id + "-" + i,
                "--actor", "did:zo:agent:t" + id).exit());
          }
          return exits;
        }));
      }
      for (Future<List<Integer>> f : results) {
        assertThat(f.get(120, TimeUnit.SECONDS)).containsOnly(0);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(KeyringFile.load(keyring).keys()).hasSize(threads * each);
    assertThat(mode(keyring)).isEqualTo("rw-------");
  }

  /**
   * Separate JVMs: only the file lock keeps them apart. Each read-modify-write fsyncs, so
   * without the lock two writers reading the same version would lose one key at once.
   */
  @Test
  void concurrentProcessesLoseNoUpdate() throws Exception {
    Path keyring = dir.resolve("keyring.json");
    int processes = 3;
    int each = 6;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> started = new ArrayList<>();
    for (int p = 0; p < processes; p++) {
      started.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          KeysWriterMain.class.getName(), keyring.toString(), "p" + p, Integer.toString(each))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(dir.resolve("p" + p + ".err").toFile())
          .start());
    }
    for (int p = 0; p < processes; p++) {
      Process proc = started.get(p);
      assertThat(proc.waitFor(180, TimeUnit.SECONDS)).isTrue();
      assertThat(proc.exitValue()).as(Files.readString(dir.resolve("p" + p + ".err"))).isZero();
    }
    List<String> kids = KeyringFile.load(keyring).keys().stream().map(ActorKey::kid).toList();
    assertThat(kids).hasSize(processes * each).doesNotHaveDuplicates();
    assertThat(Files.exists(dir.resolve("keyring.json.lock"))).isTrue();
    assertThat(dir.toFile().list((d, name) -> name.endsWith(".tmp"))).isEmpty();
    assertThat(new File(keyring.toString()).length()).isPositive();
  }
}
