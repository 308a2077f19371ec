package io.zogate.proxy.config;

import java.net.URI;
import java.nio.file.Path;

/** Where a governance store keeps its state: {@code memory}, {@code sqlite:PATH}, {@code redis://...} or {@code off}. */
public sealed interface StoreLocation {
  record Memory() implements StoreLocation {}

  record Sqlite(Path file) implements StoreLocation {}

  record Redis(URI uri) implements StoreLocation {}

  /** Only for rate limits: no limiting at all. */
  record Off() implements StoreLocation {}

  static StoreLocation parse(String text, Path baseDir, boolean offAllowed) {
    String t = text.trim();
    if (t.equals("memory")) {
      return new Memory();
    }
    if (t.equals("off") && offAllowed) {
      return new Off();
    }
    if (t.startsWith("sqlite:") && t.length() > "sqlite:".length()) {
      return new Sqlite(baseDir.resolve(t.substring("sqlite:".length())).normalize());
    }
    if (t.startsWith("redis://") || t.startsWith("rediss://")) {
      return new Redis(URI.create(t));
    }
    throw new IllegalArgumentException(
        "expected memory, sqlite:PATH" + (offAllowed ? ", off" : "") + " or redis://HOST:PORT/DB, got '" + text + "'");
  }
}
