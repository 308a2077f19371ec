package io.zogate.proxy.governance;

import java.util.Arrays;
import java.util.List;

/**
 * A precompiled name glob for actors, methods and tools: {@code *} matches any run of
 * characters, including none and including {@code :} and {@code /} (so {@code did:zo:svc:*}
 * is a prefix match, as in the keyring). Every other character matches itself, case-sensitively.
 *
 * <p>Matching is hand-written, linear in practice and never worse than O(text x pattern): the
 * parts between stars are found left to right, and the leftmost occurrence of each part is
 * always a safe choice, so there is no backtracking to blow up.
 */
public final class Glob {
  private final String pattern;
  /** The literal parts between stars; one part means no star (an exact match). */
  private final String[] parts;

  private Glob(String pattern, String[] parts) {
    this.pattern = pattern;
    this.parts = parts;
  }

  /**
   * Compiles a name glob.
   *
   * @throws IllegalArgumentException if the pattern is empty, contains a control character, or
   *     contains {@code **} (meaningful only in path globs)
   */
  public static Glob compile(String pattern) {
    if (pattern.isEmpty()) {
      throw new IllegalArgumentException("empty pattern");
    }
    checkNoControl(pattern);
    if (pattern.contains("**")) {
      throw new IllegalArgumentException("'**' is only meaningful in a path glob; use '*'");
    }
    return new Glob(pattern, pattern.split("\\*", -1));
  }

  static void checkNoControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException("control character in pattern");
      }
    }
  }

  public boolean matches(String text) {
    return matchParts(parts, text);
  }

  /** True if text matches the star-separated literal parts (shared with path segments). */
  static boolean matchParts(String[] parts, String text) {
    if (parts.length == 1) {
      return parts[0].equals(text);
    }
    String first = parts[0];
    String last = parts[parts.length - 1];
    if (text.length() < first.length() + last.length() || !text.startsWith(first) || !text.endsWith(last)) {
      return false;
    }
    int from = first.length();
    int end = text.length() - last.length();
    for (int i = 1; i < parts.length - 1; i++) {
      String part = parts[i];
      if (part.isEmpty()) {
        continue;
      }
      int at = text.indexOf(part, from);
      if (at < 0 || at + part.length() > end) {
        return false;
      }
      from = at + part.length();
    }
    return true;
  }

  public String pattern() {
    return pattern;
  }

  List<String> parts() {
    return Arrays.asList(parts);
  }

  @Override
  public String toString() {
    return pattern;
  }
}
