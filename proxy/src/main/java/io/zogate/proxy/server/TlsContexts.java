package io.zogate.proxy.server;

import io.zogate.proxy.config.ConfigException;
import io.zogate.proxy.config.ProxyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * The proxy's TLS server context from {@code tls:} (CONTRACT.md section 6): the certificate
 * chain and private key as PEM files, and optionally a PEM bundle of the CAs that may issue
 * client certificates. Everything is read and checked here, once, at start-up; any problem is
 * a {@link ConfigException} with a one-line message, never a failed handshake later.
 *
 * <p>Client certificates are validated by the JDK's PKIX trust manager against {@code
 * tls.clientCa} only (never the JDK's cacerts), which checks the chain, validity dates, key
 * usage and the clientAuth extended key usage. {@link ClientTrust} repeats the end-entity
 * checks itself because the JDK skips them when the presented certificate is itself a trust
 * anchor, and so that the rule does not depend on a JDK default.
 */
public final class TlsContexts {
  private static final Logger LOG = Logger.getLogger(TlsContexts.class.getName());

  /** TLS 1.2 and 1.3 only; 1.0 and 1.1 are refused by the handshake. */
  static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /**
   * TLS 1.3 suites, and for TLS 1.2 only forward-secret AEAD suites (ECDHE with AES-GCM or
   * ChaCha20-Poly1305): the JDK's own defaults, minus CBC, static RSA and finite-field DHE.
   */
  private static final Pattern SUITES = Pattern.compile(
      "TLS_AES_(128|256)_GCM_SHA(256|384)|TLS_CHACHA20_POLY1305_SHA256"
          + "|TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)");

  static final String CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";

  private TlsContexts() {}

  /** A server context for the configuration; every file read and checked now. */
  public static SSLContext serverContext(ProxyConfig.Tls tls) throws ConfigException {
    if ((tls.requireClientCert() || tls.bindActorToCertificate()) && tls.clientCa().isEmpty()) {
      throw new ConfigException("tls: requireClientCert and bindActorToCertificate need tls.clientCa "
          + "(the CAs that issue client certificates)");
    }
    if (tls.allowCnIdentity() && !tls.bindActorToCertificate()) {
      LOG.warning("tls.allowCnIdentity has no effect without tls.bindActorToCertificate");
    }
    List<X509Certificate> chain = readCertificates(tls.cert(), "tls.cert");
    PrivateKey key = readPrivateKey(tls.key());
    X509Certificate leaf = chain.get(0);
    if (!keyMatches(key, leaf)) {
      throw new ConfigException("tls.key: " + tls.key() + " is not the private key of the first certificate in "
          + tls.cert());
    }
    try {
      leaf.checkValidity();
    } catch (CertificateExpiredException | CertificateNotYetValidException e) {
      // Not fatal: a restart must not turn an expiring certificate into an outage of its own;
      // clients refuse it anyway. Loud, though.
      LOG.warning("tls.cert: the server certificate is outside its validity period (notBefore "
          + leaf.getNotBefore().toInstant() + ", notAfter " + leaf.getNotAfter().toInstant() + ")");
    }
    try {
      char[] password = new char[0];
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("zo-gate", key, password, chain.toArray(new X509Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, password);
      TrustManager[] trust = null;
      if (tls.clientCa().isPresent()) {
        trust = new TrustManager[] {clientTrust(readCertificates(tls.clientCa().get(), "tls.clientCa"))};
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), trust, new SecureRandom());
      if (parameters(ctx, tls).getCipherSuites().length == 0) {
        throw new ConfigException("tls: this JDK offers none of the TLS 1.2/1.3 AEAD cipher suites zo-gate allows");
      }
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new ConfigException("tls: cannot build the TLS context: " + oneLine(e));
    }
  }

  /**
   * The parameters every connection gets: protocols, cipher suites, and client authentication
   * (needed when {@code requireClientCert}, else wanted when a client CA is configured).
   */
  static SSLParameters parameters(SSLContext ctx, ProxyConfig.Tls tls) {
    SSLParameters p = ctx.getDefaultSSLParameters();
    List<String> supported = Arrays.asList(ctx.getSupportedSSLParameters().getProtocols());
    p.setProtocols(PROTOCOLS.stream().filter(supported::contains).toArray(String[]::new));
    p.setCipherSuites(Arrays.stream(p.getCipherSuites()).filter(s -> SUITES.matcher(s).matches())
        .toArray(String[]::new));
    p.setUseCipherSuitesOrder(true);
    if (tls.requireClientCert()) {
      p.setNeedClientAuth(true);
    } else if (tls.clientCa().isPresent()) {
      p.setWantClientAuth(true);
    }
    return p;
  }

  /** The JDK's PKIX trust manager over exactly these CAs (no cacerts), wrapped by {@link ClientTrust}. */
  static X509ExtendedTrustManager clientTrust(List<X509Certificate> cas) throws GeneralSecurityException, IOException {
    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    int i = 0;
    for (X509Certificate ca : cas) {
      anchors.setCertificateEntry("client-ca-" + i++, ca);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(anchors);
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        return new ClientTrust(x);
      }
    }
    throw new GeneralSecurityException("the JDK offers no PKIX X509 trust manager");
  }

  static List<X509Certificate> readCertificates(Path file, String key) throws ConfigException {
    try (InputStream in = Files.newInputStream(file)) {
      List<X509Certificate> certs = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        certs.add((X509Certificate) c);
      }
      if (certs.isEmpty()) {
        throw new ConfigException(key + ": " + file + " holds no PEM certificate");
      }
      return List.copyOf(certs);
    } catch (NoSuchFileException e) {
      throw new ConfigException(key + ": " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException(key + ": cannot read " + file + ": " + oneLine(e));
    } catch (CertificateException | ClassCastException e) {
      throw new ConfigException(key + ": " + file + " is not a PEM certificate bundle: " + oneLine(e));
    }
  }

  /** One private key in PEM: PKCS#8, PKCS#1 RSA or SEC1 EC (an EC PARAMETERS block is skipped). */
  static PrivateKey readPrivateKey(Path file) throws ConfigException {
    List<PrivateKey> keys = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      Object o;
      while ((o = pem.readObject()) != null) {
        if (o instanceof PEMKeyPair pair) {
          keys.add(converter.getPrivateKey(pair.getPrivateKeyInfo()));
        } else if (o instanceof PrivateKeyInfo info) {
          keys.add(converter.getPrivateKey(info));
        } else if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
          throw new ConfigException("tls.key: " + file + " is encrypted; give zo-gate an unencrypted key "
              + "readable only by its user (e.g. openssl pkey -in enc.pem -out key.pem)");
        } else if (!(o instanceof X9ECParameters || o instanceof ASN1ObjectIdentifier)) {
          throw new ConfigException("tls.key: " + file + " holds a " + o.getClass().getSimpleName()
              + " where a private key was expected");
        }
      }
    } catch (NoSuchFileException e) {
      throw new ConfigException("tls.key: " + file + " does not exist");
    } catch (IOException | RuntimeException e) {
      // PEMException (an IOException) for a broken block; never the key material itself.
      // Bouncy Castle's messages name the problem, never the key material.
      throw new ConfigException("tls.key: " + file + " is not a readable PEM private key (" + oneLine(e) + ")");
    }
    if (keys.size() != 1) {
      throw new ConfigException("tls.key: " + file + " must hold exactly one private key, found " + keys.size());
    }
    return keys.get(0);
  }

  /** Whether the key signs what the certificate's public key verifies. */
  static boolean keyMatches(PrivateKey key, X509Certificate cert) throws ConfigException {
    String alg = switch (key.getAlgorithm().toUpperCase(Locale.ROOT)) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "ED25519", "ED448", "EDDSA" -> "EdDSA";
      default -> throw new ConfigException("tls.key: unsupported key algorithm " + key.getAlgorithm()
          + " (use RSA, EC or Ed25519)");
    };
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(cert.getPublicKey());
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String oneLine(Exception e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.replaceAll("\\s+", " "));
  }

  /**
   * The JDK's PKIX validation first, then the end-entity rules again on the presented leaf:
   * inside its validity period, not a CA, and, when it has an extended key usage extension,
   * clientAuth among them (anyExtendedKeyUsage is not enough). The JDK applies its own
   * end-entity checks only to chains longer than one, so a CA certificate presented as the
   * client's own would otherwise skip them. This manager never validates servers.
   */
  static final class ClientTrust extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager jdk;

    ClientTrust(X509ExtendedTrustManager jdk) {
      this.jdk = jdk;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      jdk.checkClientTrusted(chain, authType, socket);
      endEntity(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      jdk.checkClientTrusted(chain, authType, engine);
      endEntity(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      jdk.checkClientTrusted(chain, authType);
      endEntity(chain);
    }

    static void endEntity(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length == 0) {
        throw new CertificateException("empty client certificate chain");
      }
      X509Certificate leaf = chain[0];
      leaf.checkValidity();
      if (leaf.getBasicConstraints() >= 0) {
        throw new CertificateException("a CA certificate is not a client certificate");
      }
      List<String> eku = leaf.getExtendedKeyUsage();
      if (eku != null && !eku.contains(CLIENT_AUTH_EKU)) {
        throw new CertificateException("client certificate lacks the clientAuth extended key usage");
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("zo-gate's client trust never validates servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("zo-gate's client trust never validates servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("zo-gate's client trust never validates servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return jdk.getAcceptedIssuers();
    }
  }
}
