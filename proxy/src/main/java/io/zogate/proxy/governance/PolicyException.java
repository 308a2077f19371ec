package io.zogate.proxy.governance;

/**
 * A policy file that cannot be used. The message is one line, {@code FILE:LINE: FIELD: problem}
 * (without {@code :LINE} and {@code FIELD} when they do not apply, e.g. an unreadable file), fit
 * to be printed as the one-line reason of exit status 2.
 */
public final class PolicyException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final int line;
  private final String field;

  public PolicyException(String file, int line, String field, String problem) {
    this(file, line, field, problem, null);
  }

  public PolicyException(String file, int line, String field, String problem, Throwable cause) {
    super(format(file, line, field, problem), cause);
    this.file = file;
    this.line = line;
    this.field = field == null ? "" : field;
  }

  private static String format(String file, int line, String field, String problem) {
    StringBuilder b = new StringBuilder(oneLine(file));
    if (line > 0) {
      b.append(':').append(line);
    }
    b.append(": ");
    if (field != null && !field.isEmpty()) {
      b.append(oneLine(field)).append(": ");
    }
    return b.append(oneLine(problem)).toString();
  }

  /** Collapses whitespace and control characters so the message stays on one line; caps length. */
  static String oneLine(String s) {
    String t = s == null ? "" : s.replaceAll("[\\p{Cntrl}\\s]+", " ").trim();
    return t.length() > 300 ? t.substring(0, 300) + "..." : t;
  }

  /** The file as named to {@link PolicyFile#load}. */
  public String file() {
    return file;
  }

  /** The 1-based line of the offending token, or 0 if the problem has no line. */
  public int line() {
    return line;
  }

  /** The field path, e.g. {@code rules[2].match.tool}, or empty. */
  public String field() {
    return field;
  }
}
