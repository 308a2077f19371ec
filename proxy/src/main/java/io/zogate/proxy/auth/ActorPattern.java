package io.zogate.proxy.auth;

import java.util.Objects;

/**
 * One entry of a key's {@code actors} list: an exact actor id, or a prefix ending in {@code *}
 * where the {@code *} directly follows {@code :} or {@code /}. Anchoring wildcards at a
 * separator keeps {@code did:zo:svc:*} from also granting {@code did:zo:svcx}.
 */
public record ActorPattern(String text) {

  public ActorPattern {
    Objects.requireNonNull(text, "text");
    String problem = problem(text);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  /** Null when {@code text} is a valid pattern, otherwise why not (never echoing the text). */
  static String problem(String text) {
    int star = text.indexOf('*');
    if (star < 0) {
      return ActorHeaders.isValidActorId(text) ? null : "not a valid actor id";
    }
    if (star != text.length() - 1) {
      return "'*' is allowed only at the end";
    }
    if (star == 0 || (text.charAt(star - 1) != ':' && text.charAt(star - 1) != '/')) {
      return "'*' must directly follow ':' or '/'";
    }
    // The prefix must itself be the start of a valid id (it ends in a separator).
    String prefix = text.substring(0, star);
    return ActorHeaders.isValidActorId(prefix + "x") ? null : "prefix is not a valid actor id";
  }

  public boolean isPrefix() {
    return text.endsWith("*");
  }

  /**
   * Exact byte-for-byte match, or (prefix pattern) the id starts with the prefix and has at
   * least one more character: {@code did:zo:svc:*} does not grant the bare {@code did:zo:svc:}.
   */
  public boolean matches(String actorId) {
    if (!isPrefix()) {
      return text.equals(actorId);
    }
    int prefixLength = text.length() - 1;
    return actorId.length() > prefixLength && actorId.regionMatches(0, text, 0, prefixLength);
  }

  @Override
  public String toString() {
    return text;
  }
}
