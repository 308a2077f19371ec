package io.zogate.proxy.governance;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One path-like target of an action, parsed once so that every rule sees the same reading:
 *
 * <ul>
 *   <li>an absolute path ({@code /...}) is normalised lexically: empty and {@code .} segments
 *       dropped, {@code ..} removes the previous segment, a trailing {@code /} dropped;
 *   <li>a {@code file:} URI ({@code file:///p}, {@code file://localhost/p}, {@code file:/p})
 *       becomes its path, percent-decoded exactly once (UTF-8), then normalised the same way;
 *   <li>any other URI ({@code scheme:...}, scheme of two or more characters) is kept as it is
 *       and split on {@code /} for matching against URI globs;
 *   <li>everything else is invalid: a relative path (including {@code ~/x}, {@code C:\x} and
 *       the empty string), a NUL anywhere, a {@code ..} that climbs above the root, a backslash
 *       or a percent escape in a plain path, a {@code file:} URI with a host, a query or a fragment, a malformed or
 *       still-encoded ({@code %252e}) percent escape.
 * </ul>
 *
 * @param uri true for a non-file URI kept as it is
 * @param segments the normalised path segments (no leading empty segment), or the URI split on {@code /}
 * @param text the normalised path ({@code /a/b}) or the URI
 * @param invalid why the target is invalid, or null if it is valid
 */
record PathTarget(boolean uri, List<String> segments, String text, String invalid) {
  PathTarget {
    segments = List.copyOf(segments);
  }

  boolean valid() {
    return invalid == null;
  }

  private static PathTarget invalid(String why) {
    return new PathTarget(false, List.of(), "", why);
  }

  static PathTarget parse(String raw) {
    if (raw.indexOf('\0') >= 0) {
      return invalid("NUL in path");
    }
    if (raw.startsWith("/")) {
      if (hasPercentEscape(raw)) {
        // A plain path is not percent-decoded here, but an upstream that decodes it would read
        // another path ("/w/..%2f..%2fetc/passwd" is "/etc/passwd" to it): refuse to guess.
        return invalid("percent-encoding in a plain path");
      }
      return normalise(raw);
    }
    if (PathGlob.URI_SCHEME.matcher(raw).find()) {
      if (raw.regionMatches(true, 0, "file:", 0, 5)) {
        return fileUri(raw.substring(5));
      }
      return new PathTarget(true, List.of(raw.split("/", -1)), raw, null);
    }
    return invalid("relative path");
  }

  private static PathTarget fileUri(String rest) {
    if (rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
      return invalid("file URI with a query or fragment");
    }
    String path;
    if (rest.startsWith("//")) {
      int slash = rest.indexOf('/', 2);
      String host = slash < 0 ? rest.substring(2) : rest.substring(2, slash);
      if (!host.isEmpty() && !host.toLowerCase(Locale.ROOT).equals("localhost")) {
        return invalid("file URI with a host");
      }
      if (slash < 0) {
        return invalid("file URI without a path");
      }
      path = rest.substring(slash);
    } else if (rest.startsWith("/")) {
      path = rest;
    } else {
      return invalid("relative file URI");
    }
    String decoded = percentDecodeOnce(path);
    if (decoded == null) {
      return invalid("malformed percent-encoding in file URI");
    }
    if (decoded.indexOf('\0') >= 0) {
      return invalid("NUL in path");
    }
    if (hasPercentEscape(decoded)) {
      // Decoded once and still encoded: another reader might decode again and see something else.
      return invalid("percent-encoding left after decoding file URI");
    }
    return normalise(decoded);
  }

  private static PathTarget normalise(String path) {
    if (path.indexOf('\\') >= 0) {
      // A backslash is a separator to some upstreams and a name character to others: refuse to guess.
      return invalid("backslash in path");
    }
    List<String> out = new ArrayList<>();
    for (String s : path.split("/", -1)) {
      if (s.isEmpty() || s.equals(".")) {
        continue;
      }
      if (s.equals("..")) {
        if (out.isEmpty()) {
          return invalid("'..' climbs above the root");
        }
        out.remove(out.size() - 1);
        continue;
      }
      out.add(s);
    }
    return new PathTarget(false, out, "/" + String.join("/", out), null);
  }

  private static boolean hasPercentEscape(String s) {
    for (int i = s.indexOf('%'); i >= 0 && i + 2 < s.length(); i = s.indexOf('%', i + 1)) {
      if (hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
        return true;
      }
    }
    return false;
  }

  /** Decodes %XX escapes once as UTF-8; null if an escape is malformed or the bytes are not UTF-8. */
  static String percentDecodeOnce(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    StringBuilder out = new StringBuilder(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          return null;
        }
        int hi = hex(s.charAt(i + 1));
        int lo = hex(s.charAt(i + 2));
        if (hi < 0 || lo < 0) {
          return null;
        }
        bytes.write(hi << 4 | lo);
        i += 3;
        continue;
      }
      if (!flush(bytes, out)) {
        return null;
      }
      out.append(c);
      i++;
    }
    return flush(bytes, out) ? out.toString() : null;
  }

  private static boolean flush(ByteArrayOutputStream bytes, StringBuilder out) {
    if (bytes.size() == 0) {
      return true;
    }
    try {
      out.append(StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray())));
    } catch (CharacterCodingException e) {
      return false;
    }
    bytes.reset();
    return true;
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
