package io.zogate.proxy.governance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;

/**
 * A signed ledger head, exported by {@code ledger checkpoint} and kept off the host, so that a
 * truncated or rewritten chain fails {@code ledger verify --checkpoint}. As JSON:
 *
 * <pre>
 * {"schema":"zo-ledger-checkpoint/v1","seq":42,"hash":"&lt;64 hex&gt;","time":"2026-11-28T12:00:00Z",
 *  "kid":"ledger-1a2b3c4d","alg":"HMAC-SHA256","sig":"&lt;64 hex&gt;"}
 * </pre>
 *
 * {@code sig} is the lowercase hex HMAC-SHA256, with the ledger key {@code kid}, of the UTF-8
 * lines {@code zo-ledger-checkpoint-v1}, seq, hash, time, kid joined by LF (no trailing LF).
 */
public record LedgerCheckpoint(long seq, String hash, String time, String kid, String sig) {
  public static final String SCHEMA = "zo-ledger-checkpoint/v1";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> FIELDS = Set.of("schema", "seq", "hash", "time", "kid", "alg", "sig");

  public LedgerCheckpoint {
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(kid, "kid");
    Objects.requireNonNull(sig, "sig");
    if (seq < 0) {
      throw new IllegalArgumentException("seq must not be negative");
    }
    if (!LedgerCanonical.isHashHex(hash)) {
      throw new IllegalArgumentException("hash must be 64 lowercase hex chars");
    }
    if (!LedgerCanonical.isHashHex(sig)) {
      throw new IllegalArgumentException("sig must be 64 lowercase hex chars (HMAC-SHA256)");
    }
    try {
      Instant.parse(time);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("time must be an ISO-8601 instant");
    }
  }

  /** Signs a head with the ledger key. */
  public static LedgerCheckpoint sign(LedgerHead head, LedgerKey key, Instant now) {
    String time = now.toString();
    return new LedgerCheckpoint(head.seq(), head.hash(), time, key.kid(),
        key.mac(signedBytes(head.seq(), head.hash(), time, key.kid())));
  }

  /** Whether {@code key} made this signature (constant-time compare). */
  public boolean verifySignature(LedgerKey key) {
    if (!key.kid().equals(kid)) {
      return false;
    }
    String expected = key.mac(signedBytes(seq, hash, time, kid));
    return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), sig.getBytes(StandardCharsets.US_ASCII));
  }

  static byte[] signedBytes(long seq, String hash, String time, String kid) {
    return String.join("\n", "zo-ledger-checkpoint-v1", Long.toString(seq), hash, time, kid)
        .getBytes(StandardCharsets.UTF_8);
  }

  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("schema", SCHEMA);
    o.put("seq", seq);
    o.put("hash", hash);
    o.put("time", time);
    o.put("kid", kid);
    o.put("alg", LedgerKey.ALG);
    o.put("sig", sig);
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses a checkpoint strictly: every field present, no other field, the known schema. */
  public static LedgerCheckpoint parse(String text) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("checkpoint is not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("checkpoint is not a JSON object");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new IllegalArgumentException("checkpoint has unknown field " + f);
      }
    }
    if (!SCHEMA.equals(root.path("schema").asText(null))) {
      throw new IllegalArgumentException("checkpoint schema must be " + SCHEMA);
    }
    if (!LedgerKey.ALG.equals(root.path("alg").asText(null))) {
      throw new IllegalArgumentException("checkpoint alg must be " + LedgerKey.ALG);
    }
    JsonNode seq = root.path("seq");
    if (!seq.isIntegralNumber() || !seq.canConvertToLong()) {
      throw new IllegalArgumentException("checkpoint seq must be an integer");
    }
    for (String f : new String[] {"hash", "time", "kid", "sig"}) {
      if (!root.path(f).isTextual()) {
        throw new IllegalArgumentException("checkpoint " + f + " must be a string");
      }
    }
    return new LedgerCheckpoint(seq.asLong(), root.get("hash").asText(), root.get("time").asText(),
        root.get("kid").asText(), root.get("sig").asText());
  }
}
