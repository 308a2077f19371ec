package io.zogate.adversarial.harness;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The suite's test PKI, minted with Bouncy Castle once per JVM (adapted from the proxy's
 * {@code TestPki}): a server CA and the proxy's certificate for 127.0.0.1, the client CA the
 * proxy trusts, another CA it does not, and named client certificates the attack cases present
 * ({@code "tls": {"clientCert": NAME}}). Names are listed in {@code fixtures/attacks/README.md}.
 */
public final class Pki {
  public static final String ALICE = Gate.ALICE;
  public static final String BOB = Gate.BOB;
  public static final String SVC = "did:zo:svc:indexer";

  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
  private static Pki instance;

  /** A certificate with its key and the chain it presents. */
  public record Issued(X509Certificate cert, KeyPair keys, List<X509Certificate> chain) {
    public PrivateKey privateKey() {
      return keys.getPrivate();
    }
  }

  public final Issued serverCa;
  public final Issued server;
  public final Issued clientCa;
  public final Issued otherCa;
  private final Map<String, Issued> clients = new LinkedHashMap<>();

  public static synchronized Pki get() {
    if (instance == null) {
      instance = new Pki();
    }
    return instance;
  }

  private Pki() {
    serverCa = ca("server CA");
    server = issue(serverCa, spec().subject(new X500Name("CN=zo-gate adversarial server")).ip("127.0.0.1")
        .dns("localhost").ekus(KeyPurposeId.id_kp_serverAuth));
    clientCa = ca("client CA");
    otherCa = ca("other CA");
    Instant now = Instant.now();
    put("alice", issue(clientCa, spec().uri(ALICE)));
    put("alice-rsa", issue(clientCa, spec().uri(ALICE).keys(rsa())));
    put("alice-no-eku", issue(clientCa, spec().uri(ALICE).ekus()));
    put("alice-server-and-client-eku", issue(clientCa, spec().uri(ALICE)
        .ekus(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth)));
    put("alice-server-eku", issue(clientCa, spec().uri(ALICE).ekus(KeyPurposeId.id_kp_serverAuth)));
    put("alice-code-signing-eku", issue(clientCa, spec().uri(ALICE).ekus(KeyPurposeId.id_kp_codeSigning)));
    put("alice-other-ca", issue(otherCa, spec().uri(ALICE)));
    put("alice-self-signed", selfSigned(spec().subject(new X500Name("CN=" + ALICE)).uri(ALICE)));
    put("client-ca-itself", clientCa);
    put("alice-expired", issue(clientCa, spec().uri(ALICE)
        .validity(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)))));
    put("alice-not-yet-valid", issue(clientCa, spec().uri(ALICE)
        .validity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)))));
    put("bob", issue(clientCa, spec().uri(BOB)));
    put("alice-and-bob-uris", issue(clientCa, spec().uri(ALICE).uri(BOB)));
    put("alice-uri-uppercase", issue(clientCa, spec().uri("DID:ZO:AGENT:ALICE")));
    put("alice-dns-only", issue(clientCa, spec().subject(new X500Name("CN=" + ALICE)).dns("alice.zo.test")));
    put("cn-svc-san-alice", issue(clientCa, spec().subject(new X500Name("CN=" + SVC)).uri(ALICE)));
    put("cn-svc", issue(clientCa, spec().subject(new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.CN, SVC).addRDN(BCStyle.O, "zo").build())));
    put("two-cns", issue(clientCa, spec().subject(new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.CN, "did:zo:svc:one").addRDN(BCStyle.CN, SVC).build())));
    put("cn-embedded-cn", issue(clientCa, spec().subject(new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.CN, "did:zo:svc:a,CN=" + SVC).build())));
    put("cn-escaped", issue(clientCa, spec().subject(new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.CN, "did:zo:svc:a\\,CN=" + SVC + "+CN=did:zo:svc:c").build())));
    put("cn-svc-other-ca", issue(otherCa, spec().subject(new X500Name("CN=" + SVC))));
  }

  private void put(String name, Issued issued) {
    clients.put(name, issued);
  }

  /** A named client certificate; {@code null} for none. */
  public Issued client(String name) {
    if (name == null) {
      return null;
    }
    Issued i = clients.get(name);
    if (i == null) {
      throw new IllegalArgumentException("unknown client certificate '" + name + "' (known: " + clients.keySet() + ")");
    }
    return i;
  }

  /**
   * Writes the proxy's files into {@code dir} and returns the {@code tls:} YAML for them.
   */
  public String writeProxyFiles(Path dir, boolean requireClientCert, boolean bind, boolean allowCn) {
    write(dir.resolve("server.pem"), pem(server.chain().toArray()));
    write(dir.resolve("server-key.pem"), pkcs8(server.privateKey()));
    write(dir.resolve("client-ca.pem"), pem(clientCa.cert()));
    return """
        tls:
          cert: server.pem
          key: server-key.pem
          clientCa: client-ca.pem
          requireClientCert: %s
          bindActorToCertificate: %s
          allowCnIdentity: %s
        """.formatted(requireClientCert, bind, allowCn);
  }

  // ---------------------------------------------------------------- minting

  static final class Spec {
    X500Name subject = new X500Name("CN=test");
    final List<GeneralName> sans = new ArrayList<>();
    List<KeyPurposeId> ekus = List.of(KeyPurposeId.id_kp_clientAuth);
    Instant notBefore = Instant.now().minus(Duration.ofHours(1));
    Instant notAfter = Instant.now().plus(Duration.ofDays(1));
    KeyPair keys;
    boolean ca;

    Spec subject(X500Name s) {
      subject = s;
      return this;
    }

    Spec uri(String uri) {
      sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
      return this;
    }

    Spec dns(String name) {
      sans.add(new GeneralName(GeneralName.dNSName, name));
      return this;
    }

    Spec ip(String ip) {
      sans.add(new GeneralName(GeneralName.iPAddress, ip));
      return this;
    }

    Spec ekus(KeyPurposeId... e) {
      ekus = List.of(e);
      return this;
    }

    Spec validity(Instant nb, Instant na) {
      notBefore = nb;
      notAfter = na;
      return this;
    }

    Spec keys(KeyPair k) {
      keys = k;
      return this;
    }

    Spec ca() {
      ca = true;
      return this;
    }
  }

  static Spec spec() {
    return new Spec();
  }

  static KeyPair ec() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static KeyPair rsa() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Issued ca(String name) {
    return selfSigned(spec().subject(new X500Name("CN=" + name + ",O=zo-gate adversarial")).ekus().ca());
  }

  static Issued selfSigned(Spec s) {
    KeyPair keys = s.keys != null ? s.keys : ec();
    X509Certificate cert = build(s, s.subject, keys.getPublic(), keys.getPrivate());
    return new Issued(cert, keys, List.of(cert));
  }

  static Issued issue(Issued issuer, Spec s) {
    KeyPair keys = s.keys != null ? s.keys : ec();
    X509Certificate cert = build(s, X500Name.getInstance(issuer.cert().getSubjectX500Principal().getEncoded()),
        keys.getPublic(), issuer.privateKey());
    return new Issued(cert, keys, List.of(cert));
  }

  private static X509Certificate build(Spec s, X500Name issuer, PublicKey subjectKey, PrivateKey signingKey) {
    try {
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
          Date.from(s.notBefore), Date.from(s.notAfter), s.subject, subjectKey);
      if (s.ca) {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      }
      if (!s.sans.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, new DERSequence(s.sans.toArray(new ASN1Encodable[0])));
      }
      if (!s.ekus.isEmpty()) {
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(s.ekus.toArray(new KeyPurposeId[0])));
      }
      String alg = signingKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg).build(signingKey)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pkcs8(PrivateKey key) {
    try {
      return pem(new JcaPKCS8Generator(key, null).generate());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(Object... objects) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      for (Object o : objects) {
        w.writeObject(o);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
