package io.zogate.proxy.jsonrpc;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the external corpora (../shared/corpora, read-only data) are. */
final class Corpora {
  private Corpora() {}

  static Path root() {
    String prop = System.getProperty("zogate.corpora");
    if (prop != null && Files.isDirectory(Path.of(prop))) {
      return Path.of(prop);
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolveSibling("shared").resolve("corpora");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("../shared/corpora not found (set -Dzogate.corpora)");
  }
}
