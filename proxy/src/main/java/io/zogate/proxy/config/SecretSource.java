package io.zogate.proxy.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a secret lives: an environment variable or a file, never the YAML itself. Resolved
 * once at start-up so a missing secret fails there, not at the first request.
 */
public sealed interface SecretSource {
  record Env(String name) implements SecretSource {}

  record File(Path path) implements SecretSource {}

  /** The secret's value, trailing line breaks removed; never logged. */
  default String resolve(Map<String, String> env) throws ConfigException {
    if (this instanceof Env e) {
      String v = env.get(e.name());
      if (v == null || v.isEmpty()) {
        throw new ConfigException("environment variable " + e.name() + " is not set");
      }
      return v;
    }
    Path p = ((File) this).path();
    try {
      String v = Files.readString(p, StandardCharsets.UTF_8).stripTrailing();
      if (v.isEmpty()) {
        throw new ConfigException("secret file " + p + " is empty");
      }
      return v;
    } catch (IOException ex) {
      throw new ConfigException("cannot read secret file " + p + ": " + ex.getClass().getSimpleName());
    }
  }
}
