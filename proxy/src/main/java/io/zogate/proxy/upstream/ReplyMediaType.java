package io.zogate.proxy.upstream;

import java.util.Locale;
import java.util.Optional;

/**
 * The two reply media types MCP allows, read from the upstream's {@code Content-Type}.
 * Parameters are allowed, but a charset other than UTF-8 is not: the strict reader only reads
 * UTF-8, and guessing another decoding is how two parsers come to disagree.
 */
enum ReplyMediaType {
  JSON,
  EVENT_STREAM;

  /** Empty when the value is missing, malformed, another type, or names another charset. */
  static Optional<ReplyMediaType> of(String contentType) {
    if (contentType == null) {
      return Optional.empty();
    }
    String[] parts = contentType.split(";", -1);
    String essence = parts[0].trim().toLowerCase(Locale.ROOT);
    ReplyMediaType type;
    if (essence.equals("application/json")) {
      type = JSON;
    } else if (essence.equals("text/event-stream")) {
      type = EVENT_STREAM;
    } else {
      return Optional.empty();
    }
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].trim();
      if (parameter.isEmpty()) {
        continue;
      }
      int equals = parameter.indexOf('=');
      if (equals <= 0) {
        return Optional.empty();
      }
      String name = parameter.substring(0, equals).trim().toLowerCase(Locale.ROOT);
      String value = parameter.substring(equals + 1).trim();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      if (name.equals("charset") && !value.equalsIgnoreCase("utf-8")) {
        return Optional.empty();
      }
    }
    return Optional.of(type);
  }
}
