package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.zogate.proxy.testing.TestPki;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.DERUniversalString;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** CONTRACT.md section 1 step 6, read from the certificate structure. */
class CertificateIdentityTest {
  static TestPki.Issued ca;

  @BeforeAll
  static void mintCa() {
    ca = TestPki.ca("identity CA");
  }

  static X509Certificate cert(TestPki.Spec spec) {
    return TestPki.issue(ca, spec).cert();
  }

  static X500Name cns(String... values) {
    X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
    for (String v : values) {
      b.addRDN(BCStyle.CN, v);
    }
    return b.build();
  }

  @Test
  void theOneUriSanIsTheIdentityWhateverTheCnSays() {
    X509Certificate c = cert(TestPki.spec().subject("CN=did:zo:agent:cn").uri("spiffe://zo/actor/bob"));
    assertThat(CertificateIdentity.of(c, false)).contains("spiffe://zo/actor/bob");
    assertThat(CertificateIdentity.of(c, true)).contains("spiffe://zo/actor/bob");
  }

  @Test
  void theUriSanIsReturnedExactlyAsEncoded() {
    X509Certificate c = cert(TestPki.spec().uri("did:zo:agent:Alice%41"));
    assertThat(CertificateIdentity.of(c, false)).contains("did:zo:agent:Alice%41");
  }

  @Test
  void severalUriSansAreNoIdentityAndNeverFallBackToTheCn() {
    X509Certificate c = cert(TestPki.spec().subject("CN=did:zo:agent:a").uri("did:zo:agent:a").uri("did:zo:agent:b"));
    assertThat(CertificateIdentity.of(c, false)).isEmpty();
    assertThat(CertificateIdentity.of(c, true)).isEmpty();
  }

  @Test
  void otherSanTypesAreNotIdentities() {
    X509Certificate c = cert(TestPki.spec().subject("CN=did:zo:agent:a").dns("agent.example").ip("10.0.0.1"));
    assertThat(CertificateIdentity.of(c, false)).isEmpty();
    // No URI SAN: the CN counts when allowed.
    assertThat(CertificateIdentity.of(c, true)).contains("did:zo:agent:a");
  }

  @Test
  void theSingleCnIsTheIdentityOnlyWhenAllowed() {
    X509Certificate c = cert(TestPki.spec().subject("CN=did:zo:agent:alice,OU=agents,O=zo"));
    assertThat(CertificateIdentity.of(c, false)).isEmpty();
    assertThat(CertificateIdentity.of(c, true)).contains("did:zo:agent:alice");
  }

  @Test
  void severalCnsAreNoIdentity() {
    assertThat(CertificateIdentity.of(cert(TestPki.spec().subject(cns("did:zo:agent:a", "did:zo:agent:b"))), true))
        .isEmpty();
    assertThat(CertificateIdentity.of(cert(TestPki.spec().subject(cns("did:zo:agent:a", "did:zo:agent:a"))), true))
        .isEmpty();
  }

  @Test
  void cnsInOneMultiValuedRdnAreSeveralCns() {
    RDN multi = new RDN(new AttributeTypeAndValue[] {
        new AttributeTypeAndValue(BCStyle.CN, new DERUTF8String("did:zo:agent:a")),
        new AttributeTypeAndValue(BCStyle.CN, new DERUTF8String("did:zo:agent:b"))});
    X500Name name = new X500Name(new RDN[] {multi});
    assertThat(CertificateIdentity.of(cert(TestPki.spec().subject(name)), true)).isEmpty();
  }

  @Test
  void aCnContainingCommaCnIsOneStringComparedWhole() {
    X509Certificate c = cert(TestPki.spec().subject(cns("did:zo:agent:a,CN=did:zo:agent:b")));
    // The DN text shows the embedded name with escapes that differ between renderings
    // (RFC 2253 here: "CN=did:zo:agent:a\\,CN\\=did:zo:agent:b"); a text matcher could find it.
    assertThat(c.getSubjectX500Principal().getName()).contains("did:zo:agent:b");
    assertThat(CertificateIdentity.of(c, true)).contains("did:zo:agent:a,CN=did:zo:agent:b");
  }

  @Test
  void escapedCharactersInTheCnAreTakenLiterally() {
    String value = "did:zo:agent:a\\,CN=did:zo:agent:b+CN=\"did:zo:agent:c\";x=#00";
    X509Certificate c = cert(TestPki.spec().subject(cns(value)));
    assertThat(CertificateIdentity.of(c, true)).contains(value);
  }

  @Test
  void aCnInAnAmbiguousStringTypeIsNoIdentity() {
    ASN1Encodable universal = new DERUniversalString(new byte[] {0, 0, 0, 'a'});
    X500Name name = new X500Name(new RDN[] {new RDN(BCStyle.CN, universal)});
    assertThat(CertificateIdentity.of(cert(TestPki.spec().subject(name)), true)).isEmpty();
  }

  @Test
  void aCertificateWithNeitherHasNoIdentity() {
    X509Certificate c = cert(TestPki.spec().subject("O=zo,OU=agents"));
    assertThat(CertificateIdentity.of(c, true)).isEmpty();
    assertThat(CertificateIdentity.of(c, false)).isEmpty();
  }

  @Test
  void anEmptyCnIsNoIdentity() {
    X500Name name = new X500Name(new RDN[] {new RDN(BCStyle.CN, new DERUTF8String(""))});
    assertThat(CertificateIdentity.of(cert(TestPki.spec().subject(name)), true)).isEmpty();
  }

  @Test
  void aSanExtensionTheJdkCannotParseIsNoIdentityNotAFallbackToTheCn() {
    // A URI with a space is not a URI: the JDK keeps the extension unparsed.
    X509Certificate c = cert(TestPki.spec().subject("CN=did:zo:agent:a").uri("did:zo:agent:a b"));
    assertThat(c.getExtensionValue("2.5.29.17")).isNotNull();
    assertThat(CertificateIdentity.of(c, true)).isEmpty();
  }

  @Test
  void otherAttributeTypesNamedLikeCnDoNotCount() {
    // An attribute with an unrelated OID whose value looks like a CN.
    ASN1ObjectIdentifier other = new ASN1ObjectIdentifier("1.2.3.4.5");
    X500Name name = new X500Name(new RDN[] {
        new RDN(other, new DERUTF8String("CN=did:zo:agent:x")),
        new RDN(new AttributeTypeAndValue[] {new AttributeTypeAndValue(BCStyle.CN,
            new DERUTF8String("did:zo:agent:y"))})});
    assertThat(CertificateIdentity.of(cert(TestPki.spec().subject(name)), true)).isEqualTo(Optional.of("did:zo:agent:y"));
  }
}
