package io.zogate.adversarial;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;

/**
 * What ran, as JSON lines under {@code target/adversarial-results}: one line per attack case
 * ({@code cases.jsonl}) and per corpus input ({@code corpora.jsonl}). The report is counted
 * from these lines, never from numbers typed anywhere. The first write in a test JVM starts a
 * new run (older lines are removed).
 */
public final class Results {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static boolean started;

  private Results() {}

  public static Path dir() {
    String prop = System.getProperty("zogate.results");
    return Path.of(prop != null ? prop : "target/adversarial-results");
  }

  public static synchronized void recordCase(Map<String, Object> line) {
    append("cases.jsonl", line);
  }

  public static synchronized void recordCorpus(String corpus, String input, boolean agreed, String detail) {
    append("corpora.jsonl", Map.of("corpus", corpus, "input", input, "agreed", agreed, "detail", detail));
  }

  private static void append(String file, Map<String, Object> line) {
    try {
      Path d = dir();
      if (!started) {
        Files.createDirectories(d);
        Files.deleteIfExists(d.resolve("cases.jsonl"));
        Files.deleteIfExists(d.resolve("corpora.jsonl"));
        Files.writeString(d.resolve("started"), Instant.now().toString());
        started = true;
      }
      Files.write(d.resolve(file), (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8),
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
