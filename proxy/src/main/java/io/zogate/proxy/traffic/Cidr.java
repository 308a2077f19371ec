package io.zogate.proxy.traffic;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Objects;

/**
 * An IP network, {@code 10.0.0.0/8} or {@code 2001:db8::/32}; a bare address means that one
 * address ({@code /32} or {@code /128}). Parsing takes literals only (no DNS) and refuses host
 * bits set beyond the prefix ({@code 10.0.0.1/8}): that is usually a typo, and guessing which
 * network was meant is the wrong default for a trust setting. IPv4 addresses never match an
 * IPv6 network, except that IPv4-mapped IPv6 addresses are read as the IPv4 they carry.
 */
public final class Cidr {

  private final byte[] network;
  private final int prefixLength;

  private Cidr(byte[] network, int prefixLength) {
    this.network = network;
    this.prefixLength = prefixLength;
  }

  /** Parses {@code address/prefix} or a bare address; throws IllegalArgumentException. */
  public static Cidr parse(String text) {
    Objects.requireNonNull(text, "text");
    String s = text.strip();
    int slash = s.indexOf('/');
    InetAddress addr = IpLiterals.parse(slash < 0 ? s : s.substring(0, slash));
    if (addr == null) {
      throw new IllegalArgumentException("not an IP network: '" + text + "'");
    }
    byte[] raw = addr.getAddress();
    int max = raw.length * 8;
    int prefix = max;
    if (slash >= 0) {
      String p = s.substring(slash + 1);
      if (!p.matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(p) > max) {
        throw new IllegalArgumentException("bad prefix length in '" + text + "'");
      }
      prefix = Integer.parseInt(p);
    }
    if (!Arrays.equals(mask(raw, prefix), raw)) {
      throw new IllegalArgumentException(
          "host bits set beyond the prefix in '" + text + "' (did you mean "
              + format(mask(raw, prefix), prefix) + "?)");
    }
    return new Cidr(raw, prefix);
  }

  /** Whether {@code address} is inside this network. */
  public boolean contains(InetAddress address) {
    byte[] raw = address.getAddress();
    return raw.length == network.length && Arrays.equals(mask(raw, prefixLength), network);
  }

  public int prefixLength() {
    return prefixLength;
  }

  static byte[] mask(byte[] raw, int prefix) {
    byte[] out = raw.clone();
    for (int i = 0; i < out.length; i++) {
      int bits = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] &= (byte) (0xff << (8 - bits));
    }
    return out;
  }

  private static String format(byte[] raw, int prefix) {
    try {
      return InetAddress.getByAddress(raw).getHostAddress() + "/" + prefix;
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefixLength == prefixLength
        && Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefixLength;
  }

  @Override
  public String toString() {
    return format(network, prefixLength);
  }
}
