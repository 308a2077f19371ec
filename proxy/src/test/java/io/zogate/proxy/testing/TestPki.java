package io.zogate.proxy.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.PKCS12PBEParams;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Certificates minted at test time with Bouncy Castle: CAs, server and client leaves with any
 * subject, SANs, extended key usages and validity, and PEM files of them in every key format
 * the proxy reads. EC P-256 unless asked otherwise (fast to generate).
 */
public final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private TestPki() {}

  /** A certificate with its key pair. */
  public record Issued(X509Certificate cert, KeyPair keys, List<X509Certificate> chain) {
    public PrivateKey privateKey() {
      return keys.getPrivate();
    }
  }

  public static KeyPair ec() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyPair rsa() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** What a leaf should look like; every field has a sensible default. */
  public static final class Spec {
    X500Name subject = new X500Name("CN=test");
    final List<GeneralName> sans = new ArrayList<>();
    List<KeyPurposeId> ekus = List.of(KeyPurposeId.id_kp_clientAuth);
    Instant notBefore = Instant.now().minus(Duration.ofHours(1));
    Instant notAfter = Instant.now().plus(Duration.ofDays(1));
    KeyPair keys;
    boolean ca;

    public Spec subject(X500Name subject) {
      this.subject = subject;
      return this;
    }

    public Spec subject(String dn) {
      return subject(new X500Name(dn));
    }

    public Spec uri(String uri) {
      sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
      return this;
    }

    public Spec dns(String name) {
      sans.add(new GeneralName(GeneralName.dNSName, name));
      return this;
    }

    public Spec ip(String ip) {
      sans.add(new GeneralName(GeneralName.iPAddress, ip));
      return this;
    }

    /** Extended key usages; none at all = no EKU extension. */
    public Spec ekus(KeyPurposeId... ekus) {
      this.ekus = List.of(ekus);
      return this;
    }

    public Spec validity(Instant notBefore, Instant notAfter) {
      this.notBefore = notBefore;
      this.notAfter = notAfter;
      return this;
    }

    public Spec keys(KeyPair keys) {
      this.keys = keys;
      return this;
    }

    public Spec ca() {
      this.ca = true;
      return this;
    }
  }

  public static Spec spec() {
    return new Spec();
  }

  /** A self-signed CA. */
  public static Issued ca(String name) {
    return selfSigned(spec().subject("CN=" + name + ",O=zo-gate tests").ekus().ca());
  }

  public static Issued selfSigned(Spec s) {
    KeyPair keys = s.keys != null ? s.keys : ec();
    X509Certificate cert = build(s, s.subject, keys.getPublic(), keys.getPrivate());
    return new Issued(cert, keys, List.of(cert));
  }

  public static Issued issue(Issued issuer, Spec s) {
    KeyPair keys = s.keys != null ? s.keys : ec();
    X509Certificate cert = build(s, X500Name.getInstance(issuer.cert().getSubjectX500Principal().getEncoded()),
        keys.getPublic(), issuer.privateKey());
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(cert);
    for (X509Certificate c : issuer.chain()) {
      if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
        chain.add(c); // intermediates are presented; the root is the peer's trust anchor
      }
    }
    return new Issued(cert, keys, List.copyOf(chain));
  }

  /** A server certificate for 127.0.0.1 and localhost. */
  public static Issued server(Issued ca) {
    return issue(ca, spec().subject("CN=zo-gate test server").ip("127.0.0.1").dns("localhost")
        .ekus(KeyPurposeId.id_kp_serverAuth));
  }

  private static X509Certificate build(Spec s, X500Name issuer, java.security.PublicKey subjectKey,
      PrivateKey signingKey) {
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
        b.addExtension(Extension.subjectAlternativeName, false,
            new DERSequence(s.sans.toArray(new ASN1Encodable[0])));
      }
      if (!s.ekus.isEmpty()) {
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(s.ekus.toArray(new KeyPurposeId[0])));
      }
      String alg = signingKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
      ContentSigner signer = new JcaContentSignerBuilder(alg).build(signingKey);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** PEM of certificates, in order. */
  public static String pem(List<X509Certificate> certs) {
    return pemOf(certs.toArray());
  }

  /**
   * The key in traditional OpenSSL form: PKCS#1 for RSA, SEC1 for EC. For EC it is built by
   * hand with the curve and public key inside, as {@code openssl ecparam -genkey} writes it;
   * the JDK's own encoding leaves the curve out of the inner structure.
   */
  public static String traditionalPem(KeyPair keys) {
    if (!keys.getPrivate().getAlgorithm().equals("EC")) {
      return pemOf(keys.getPrivate());
    }
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
    try {
      BigInteger d = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey()).getKey();
      ASN1Encodable curve = info.getPrivateKeyAlgorithm().getParameters();
      DERBitString publicKey = new DERBitString(
          SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()).getPublicKeyData().getBytes());
      byte[] der = new org.bouncycastle.asn1.sec.ECPrivateKey(256, d, publicKey, curve).getEncoded();
      return pemOf(new PemObject("EC PRIVATE KEY", der));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A well-formed {@code ENCRYPTED PRIVATE KEY} block (random ciphertext: nobody decrypts it). */
  public static String encryptedPkcs8Pem() {
    byte[] salt = new byte[8];
    byte[] ciphertext = new byte[128];
    new java.security.SecureRandom().nextBytes(ciphertext);
    AlgorithmIdentifier alg = new AlgorithmIdentifier(PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC,
        new PKCS12PBEParams(salt, 2048));
    try {
      byte[] der = new EncryptedPrivateKeyInfo(alg, ciphertext).getEncoded();
      return pemOf(new PemObject("ENCRYPTED PRIVATE KEY", der));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The key as PKCS#8 ({@code BEGIN PRIVATE KEY}). */
  public static String pkcs8Pem(PrivateKey key) {
    try {
      return pemOf(new JcaPKCS8Generator(key, null).generate());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** PEM of any objects {@link JcaPEMWriter} knows (certificates, keys, PKCS#8 blobs). */
  public static String pemObject(Object... objects) {
    return pemOf(objects);
  }

  private static String pemOf(Object... objects) {
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

  public static Path write(Path file, String text) {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
      w.write(text);
      return file;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
