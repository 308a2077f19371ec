package io.zogate.proxy.auth;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1BMPString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1PrintableString;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * The actor identity a verified client certificate speaks for (CONTRACT.md section 1 step 6):
 * its one URI subject alternative name, or, only when CN identity is allowed and the
 * certificate has no URI subject alternative name, its one common name. Both are read
 * from the certificate's ASN.1 structure, never by matching on the DN's text form, so a CN
 * value such as {@code did:zo:agent:a,CN=did:zo:agent:b} is one string, compared whole.
 * Anything ambiguous (several URI SANs, several CNs, a SAN extension that cannot be parsed, a
 * CN in an unusual string type) has no identity, which binding treats as a mismatch.
 */
public final class CertificateIdentity {
  private static final int URI_NAME = 6;
  private static final String SUBJECT_ALT_NAME_OID = "2.5.29.17";

  private CertificateIdentity() {}

  public static Optional<String> of(X509Certificate cert, boolean allowCnIdentity) {
    Collection<List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return Optional.empty();
    }
    if (sans == null && cert.getExtensionValue(SUBJECT_ALT_NAME_OID) != null) {
      // The extension is there but the JDK could not parse it: not a reason to fall back to CN.
      return Optional.empty();
    }
    List<String> uris = new ArrayList<>();
    if (sans != null) {
      for (List<?> san : sans) {
        if (san.size() >= 2 && Integer.valueOf(URI_NAME).equals(san.get(0))) {
          if (!(san.get(1) instanceof String s)) {
            return Optional.empty();
          }
          uris.add(s);
        }
      }
    }
    if (uris.size() == 1) {
      return nonEmpty(uris.get(0));
    }
    if (!uris.isEmpty() || !allowCnIdentity) {
      return Optional.empty();
    }
    return commonName(cert);
  }

  /** The single CN of the subject, across all RDNs including multi-valued ones. */
  static Optional<String> commonName(X509Certificate cert) {
    X500Name subject;
    try {
      subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    List<ASN1Encodable> cns = new ArrayList<>();
    for (RDN rdn : subject.getRDNs()) {
      for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
        if (BCStyle.CN.equals(atv.getType())) {
          cns.add(atv.getValue());
        }
      }
    }
    if (cns.size() != 1) {
      return Optional.empty();
    }
    ASN1Encodable v = cns.get(0);
    // DirectoryString types whose text is unambiguous; TeletexString and UniversalString are
    // refused rather than guessed (BC renders a UniversalString as "#hex").
    if (v instanceof ASN1UTF8String || v instanceof ASN1PrintableString || v instanceof ASN1BMPString
        || v instanceof ASN1IA5String) {
      return nonEmpty(((ASN1String) v).getString());
    }
    return Optional.empty();
  }

  private static Optional<String> nonEmpty(String s) {
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }
}
