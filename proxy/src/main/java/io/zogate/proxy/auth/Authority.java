package io.zogate.proxy.auth;

import java.util.Optional;

/**
 * Canonical form of an HTTP authority ({@code host[:port]}), used on both sides of the
 * comparison: the configured {@code auth.authorities} and each request's {@code Host}. Lower
 * case, no trailing dot, IPv6 in RFC 5952 form inside brackets, the port always written.
 *
 * <p>Deliberately narrower than RFC 3986: a security proxy compares authorities, so any
 * spelling that two parsers could read differently is refused rather than interpreted. That
 * rules out userinfo, percent-encoding, non-ASCII (IDNs come as punycode), IPv6 zone ids,
 * IPvFuture, numeric hosts that are not dotted-quad IPv4 ({@code 127.1}, {@code 0x7f.1}),
 * leading zeros in IPv4 octets or ports (octal ambiguity), and an empty port.
 */
public final class Authority {
  private static final int MAX_HOST = 253;
  private static final int MAX_LABEL = 63;

  private Authority() {}

  /**
   * @param hostHeaderValue the raw value (never trimmed here: surrounding spaces are refused)
   * @param defaultPort the port written when the value has none (80 or 443 for the scheme)
   * @return the canonical {@code host:port}, or empty if the value is not a valid authority
   */
  public static Optional<String> canonicalize(String hostHeaderValue, int defaultPort) {
    if (defaultPort < 1 || defaultPort > 65535) {
      throw new IllegalArgumentException("default port out of range: " + defaultPort);
    }
    if (hostHeaderValue == null || hostHeaderValue.isEmpty() || hostHeaderValue.length() > 300) {
      return Optional.empty();
    }
    String s = hostHeaderValue;
    String host;
    String portText;
    if (s.charAt(0) == '[') {
      int close = s.indexOf(']');
      if (close < 0) {
        return Optional.empty();
      }
      Optional<String> v6 = Ipv6.canonical(s.substring(1, close));
      if (v6.isEmpty()) {
        return Optional.empty();
      }
      host = "[" + v6.get() + "]";
      String rest = s.substring(close + 1);
      if (rest.isEmpty()) {
        portText = null;
      } else if (rest.charAt(0) == ':') {
        portText = rest.substring(1);
      } else {
        return Optional.empty();
      }
    } else {
      int colon = s.indexOf(':');
      if (colon >= 0 && s.indexOf(':', colon + 1) >= 0) {
        return Optional.empty(); // several colons without brackets: an unbracketed IPv6 or junk
      }
      String hostText = colon < 0 ? s : s.substring(0, colon);
      portText = colon < 0 ? null : s.substring(colon + 1);
      Optional<String> name = canonicalHostName(hostText);
      if (name.isEmpty()) {
        return Optional.empty();
      }
      host = name.get();
    }
    int port;
    if (portText == null) {
      port = defaultPort;
    } else {
      port = parsePort(portText);
      if (port < 0) {
        return Optional.empty();
      }
    }
    return Optional.of(host + ":" + port);
  }

  /** 1-65535, decimal digits only, no leading zero; -1 otherwise. */
  private static int parsePort(String text) {
    if (text.isEmpty() || text.length() > 5 || text.charAt(0) == '0') {
      return -1;
    }
    int value = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value <= 65535 ? value : -1;
  }

  /** A DNS-style name (LDH labels, underscore tolerated) or a dotted-quad IPv4 address. */
  private static Optional<String> canonicalHostName(String text) {
    String name = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
    if (name.isEmpty() || name.length() > MAX_HOST) {
      return Optional.empty();
    }
    StringBuilder out = new StringBuilder(name.length());
    int labelStart = 0;
    boolean lastLabelNumeric = false;
    for (int i = 0; i <= name.length(); i++) {
      if (i == name.length() || name.charAt(i) == '.') {
        int length = i - labelStart;
        if (length == 0 || length > MAX_LABEL
            || name.charAt(labelStart) == '-' || name.charAt(i - 1) == '-') {
          return Optional.empty();
        }
        lastLabelNumeric = isAllDigits(name, labelStart, i);
        labelStart = i + 1;
        if (i < name.length()) {
          out.append('.');
        }
        continue;
      }
      char c = name.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        out.append((char) (c + ('a' - 'A')));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
        out.append(c);
      } else {
        return Optional.empty();
      }
    }
    if (lastLabelNumeric) {
      // A name ending in a number is read as IPv4 by URL parsers: accept it only when it is a
      // plain dotted quad, and without a trailing dot, so there is one spelling per address.
      return name.length() == text.length() && isDottedQuad(name)
          ? Optional.of(out.toString())
          : Optional.empty();
    }
    return Optional.of(out.toString());
  }

  private static boolean isAllDigits(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return to > from;
  }

  static boolean isDottedQuad(String s) {
    return parseDottedQuad(s, 0, s.length()) != null;
  }

  /** Four decimal octets 0-255 without leading zeros, or null. */
  static int[] parseDottedQuad(String s, int from, int to) {
    int[] octets = new int[4];
    int octet = 0;
    int start = from;
    for (int i = from; i <= to; i++) {
      if (i == to || s.charAt(i) == '.') {
        if (octet > 3 || !isAllDigits(s, start, i) || i - start > 3
            || (i - start > 1 && s.charAt(start) == '0')) {
          return null;
        }
        int value = Integer.parseInt(s, start, i, 10);
        if (value > 255) {
          return null;
        }
        octets[octet++] = value;
        start = i + 1;
      }
    }
    return octet == 4 ? octets : null;
  }

  /** RFC 4291 text parsing and RFC 5952 canonical output. */
  static final class Ipv6 {
    private Ipv6() {}

    static Optional<String> canonical(String text) {
      int[] groups = parse(text);
      return groups == null ? Optional.empty() : Optional.of(format(groups));
    }

    /** Eight 16-bit groups, or null when the text is not an IPv6 address (no zone id). */
    static int[] parse(String text) {
      if (text.isEmpty() || text.length() > 45) {
        return null;
      }
      int[] head = new int[8];
      int[] tail = new int[8];
      int headCount = 0;
      int tailCount = 0;
      boolean compressed = false;
      int i = 0;
      int n = text.length();
      if (text.startsWith("::")) {
        compressed = true;
        i = 2;
        if (i == n) {
          return new int[8];
        }
      } else if (text.charAt(0) == ':') {
        return null;
      }
      while (i < n) {
        int groupEnd = i;
        while (groupEnd < n && text.charAt(groupEnd) != ':') {
          groupEnd++;
        }
        if (groupEnd == i) {
          return null; // an empty group not forming "::"
        }
        int count = headCount + tailCount;
        if (groupEnd == n && text.indexOf('.', i) >= 0) {
          // Trailing embedded IPv4 takes the last two groups.
          int[] v4 = parseDottedQuad(text, i, n);
          if (v4 == null || count + 2 > 8) {
            return null;
          }
          int hi = (v4[0] << 8) | v4[1];
          int lo = (v4[2] << 8) | v4[3];
          if (compressed) {
            tail[tailCount++] = hi;
            tail[tailCount++] = lo;
          } else {
            head[headCount++] = hi;
            head[headCount++] = lo;
          }
          i = n;
          break;
        }
        if (groupEnd - i > 4 || count >= 8) {
          return null;
        }
        int value = 0;
        for (int j = i; j < groupEnd; j++) {
          int d = Character.digit(text.charAt(j), 16);
          if (d < 0 || text.charAt(j) > 'f') {
            return null; // Character.digit also accepts non-ASCII digits
          }
          value = (value << 4) | d;
        }
        if (compressed) {
          tail[tailCount++] = value;
        } else {
          head[headCount++] = value;
        }
        if (groupEnd == n) {
          i = n;
          break;
        }
        // groupEnd is a ':'
        if (groupEnd + 1 < n && text.charAt(groupEnd + 1) == ':') {
          if (compressed) {
            return null; // a second "::"
          }
          compressed = true;
          i = groupEnd + 2;
          if (i == n) {
            break;
          }
        } else if (groupEnd + 1 == n) {
          return null; // trailing single ':'
        } else {
          i = groupEnd + 1;
        }
      }
      int total = headCount + tailCount;
      if (compressed ? total > 7 : total != 8) {
        return null; // "::" must stand for at least one zero group
      }
      int[] groups = new int[8];
      System.arraycopy(head, 0, groups, 0, headCount);
      System.arraycopy(tail, 0, groups, 8 - tailCount, tailCount);
      return groups;
    }

    static String format(int[] groups) {
      // IPv4-mapped addresses keep the dotted quad, as RFC 5952 section 5 recommends.
      boolean mapped = true;
      for (int g = 0; g < 5; g++) {
        mapped &= groups[g] == 0;
      }
      mapped &= groups[5] == 0xffff;
      if (mapped) {
        return "::ffff:" + (groups[6] >> 8) + "." + (groups[6] & 0xff) + "."
            + (groups[7] >> 8) + "." + (groups[7] & 0xff);
      }
      // The longest run of two or more zero groups becomes "::" (the first on a tie).
      int bestStart = -1;
      int bestLength = 1;
      for (int g = 0; g < 8; ) {
        if (groups[g] != 0) {
          g++;
          continue;
        }
        int start = g;
        while (g < 8 && groups[g] == 0) {
          g++;
        }
        if (g - start > bestLength) {
          bestStart = start;
          bestLength = g - start;
        }
      }
      StringBuilder out = new StringBuilder(39);
      for (int g = 0; g < 8; g++) {
        if (g == bestStart) {
          out.append("::");
          g += bestLength - 1;
          continue;
        }
        if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
          out.append(':');
        }
        out.append(Integer.toHexString(groups[g]));
      }
      return out.toString();
    }
  }
}
