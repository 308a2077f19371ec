package io.zogate.proxy.governance;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A precompiled path glob. Either an absolute path ({@code /etc/**}), matched against
 * lexically normalised paths (plain paths and {@code file:} URIs), or a URI with a scheme other
 * than {@code file} ({@code https://api.example.com/**}), matched against URI targets of the
 * same shape as they are, unnormalised. {@code *} matches any run of characters within one
 * segment; {@code **}, which must be a whole segment, matches zero or more whole segments (so
 * {@code /etc/**} also matches {@code /etc} itself).
 *
 * <p>Matching is the classic two-level wildcard walk with one resume point: O(segments x
 * pattern segments x segment length) at worst, never exponential.
 */
public final class PathGlob {
  static final Pattern URI_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.\\-]+:");

  /** One compiled segment: {@code null} parts stand for {@code **}. */
  private final String[][] segments;
  private final boolean uri;
  private final String pattern;

  private PathGlob(String pattern, boolean uri, String[][] segments) {
    this.pattern = pattern;
    this.uri = uri;
    this.segments = segments;
  }

  /**
   * Compiles a path glob.
   *
   * @throws IllegalArgumentException if it is neither absolute nor a non-file URI, or is not in
   *     normal form ({@code //}, {@code .}, {@code ..}, a trailing {@code /}), or puts
   *     {@code **} inside a segment, or holds a backslash, NUL or other control character
   */
  public static PathGlob compile(String pattern) {
    if (pattern.isEmpty()) {
      throw new IllegalArgumentException("empty pattern");
    }
    Glob.checkNoControl(pattern);
    if (pattern.indexOf('\\') >= 0) {
      throw new IllegalArgumentException("backslash in path pattern");
    }
    boolean uri;
    List<String> raw;
    if (pattern.startsWith("/")) {
      uri = false;
      if (pattern.equals("/")) {
        raw = List.of();
      } else {
        if (pattern.endsWith("/")) {
          throw new IllegalArgumentException("trailing '/' (write /dir or /dir/**)");
        }
        raw = List.of(pattern.substring(1).split("/", -1));
        for (String s : raw) {
          if (s.isEmpty() || s.equals(".") || s.equals("..")) {
            throw new IllegalArgumentException("path pattern is not normalised ('//', '.' or '..')");
          }
        }
      }
    } else if (URI_SCHEME.matcher(pattern).find()) {
      if (pattern.regionMatches(true, 0, "file:", 0, 5)) {
        throw new IllegalArgumentException("file: URIs are matched as paths; write the absolute path");
      }
      uri = true;
      raw = List.of(pattern.split("/", -1));
    } else {
      throw new IllegalArgumentException("path pattern must be absolute (start with '/') or a URI");
    }
    String[][] segs = new String[raw.size()][];
    for (int i = 0; i < segs.length; i++) {
      String s = raw.get(i);
      if (s.equals("**")) {
        segs[i] = null;
      } else if (s.contains("**")) {
        throw new IllegalArgumentException("'**' must be a whole segment");
      } else {
        segs[i] = s.split("\\*", -1);
      }
    }
    return new PathGlob(pattern, uri, segs);
  }

  /** True if the (already parsed) target matches. Paths match only path globs, URIs only URI globs. */
  boolean matches(PathTarget target) {
    if (target.uri() != uri) {
      return false;
    }
    List<String> text = target.segments();
    int n = text.size();
    int m = segments.length;
    int p = 0;
    int t = 0;
    int starP = -1;
    int starT = -1;
    while (t < n) {
      if (p < m && segments[p] == null) {
        starP = p++;
        starT = t;
      } else if (p < m && Glob.matchParts(segments[p], text.get(t))) {
        p++;
        t++;
      } else if (starP >= 0) {
        p = starP + 1;
        t = ++starT;
      } else {
        return false;
      }
    }
    while (p < m && segments[p] == null) {
      p++;
    }
    return p == m;
  }

  /** Convenience for tests and tools: parses the text as a target first; invalid never matches. */
  public boolean matches(String target) {
    PathTarget parsed = PathTarget.parse(target);
    return parsed.valid() && matches(parsed);
  }

  public String pattern() {
    return pattern;
  }

  @Override
  public String toString() {
    return pattern;
  }
}
