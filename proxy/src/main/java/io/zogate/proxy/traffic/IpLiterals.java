package io.zogate.proxy.traffic;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Parses IP address literals only: never a host name, so never a DNS lookup. */
final class IpLiterals {

  private IpLiterals() {}

  /**
   * An IPv4 dotted quad (four decimal octets, no leading zeros) or an IPv6 literal (no zone
   * id); null for anything else. IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}) comes back as IPv4.
   */
  static InetAddress parse(String s) {
    if (s == null || s.isEmpty() || s.length() > 45) {
      return null;
    }
    if (s.indexOf(':') < 0) {
      byte[] v4 = parseV4(s);
      return v4 == null ? null : byAddress(v4);
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
          || c == ':' || c == '.';
      if (!ok) {
        return null;
      }
    }
    try {
      // a string with ':' is parsed as an IPv6 literal or refused; the JDK never resolves it
      return InetAddress.getByName(s);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /**
   * One element of an X-Forwarded-For list: an address as {@link #parse} reads it, optionally
   * with a port ({@code 192.0.2.1:4711}, {@code [2001:db8::1]:4711}) or IPv6 in brackets.
   */
  static InetAddress parseForwarded(String s) {
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        return null;
      }
      String rest = s.substring(close + 1);
      if (!rest.isEmpty() && !isPort(rest)) {
        return null;
      }
      InetAddress a = parse(s.substring(1, close));
      return a != null && a.getAddress().length == 16 ? a : null;
    }
    int colon = s.indexOf(':');
    if (colon > 0 && colon == s.lastIndexOf(':')) { // exactly one colon: IPv4 with a port
      if (!isPort(s.substring(colon))) {
        return null;
      }
      InetAddress a = parse(s.substring(0, colon));
      return a != null && a.getAddress().length == 4 ? a : null;
    }
    return parse(s);
  }

  private static boolean isPort(String colonPort) {
    if (colonPort.length() < 2 || colonPort.length() > 6 || colonPort.charAt(0) != ':') {
      return false;
    }
    for (int i = 1; i < colonPort.length(); i++) {
      if (colonPort.charAt(i) < '0' || colonPort.charAt(i) > '9') {
        return false;
      }
    }
    return Integer.parseInt(colonPort.substring(1)) <= 65535;
  }

  private static byte[] parseV4(String s) {
    byte[] out = new byte[4];
    int part = 0;
    int start = 0;
    for (int i = 0; i <= s.length(); i++) {
      if (i == s.length() || s.charAt(i) == '.') {
        int len = i - start;
        if (part >= 4 || len < 1 || len > 3 || (len > 1 && s.charAt(start) == '0')) {
          return null;
        }
        int v = 0;
        for (int j = start; j < i; j++) {
          char c = s.charAt(j);
          if (c < '0' || c > '9') {
            return null;
          }
          v = v * 10 + (c - '0');
        }
        if (v > 255) {
          return null;
        }
        out[part++] = (byte) v;
        start = i + 1;
      }
    }
    return part == 4 ? out : null;
  }

  private static InetAddress byAddress(byte[] raw) {
    try {
      return InetAddress.getByAddress(raw);
    } catch (UnknownHostException e) {
      throw new AssertionError(e); // only for a wrong length
    }
  }
}
