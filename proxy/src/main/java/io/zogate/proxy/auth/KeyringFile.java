package io.zogate.proxy.auth;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads and writes the keyring file of CONTRACT.md section 6. Reading is strict, because a
 * lenient keyring parser is a way to smuggle in a key: unknown or duplicate fields, duplicate
 * kids, non-canonical base64, short secrets, bad dates and unknown statuses are all load
 * errors. Error messages are one line and never quote a value that could be key material.
 */
public final class KeyringFile {
  /** Far above any real keyring; stops a mistaken path from being read into memory. */
  static final long MAX_FILE_BYTES = 4L * 1024 * 1024;

  private static final JsonMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .build();

  private static final Set<String> HMAC_FIELDS =
      Set.of("kid", "alg", "secret", "actors", "status", "notBefore", "notAfter");
  private static final Set<String> ED25519_FIELDS =
      Set.of("kid", "alg", "publicKey", "actors", "status", "notBefore", "notAfter");

  private KeyringFile() {}

  public static Keyring load(Path file) throws KeyringException {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new KeyringException("keyring " + file + ": larger than " + MAX_FILE_BYTES + " bytes");
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new KeyringException("keyring " + file + ": cannot read: " + e.getClass().getSimpleName());
    }
    return parse(bytes, file.toString());
  }

  /** Parses keyring JSON; {@code source} names it in error messages. */
  public static Keyring parse(byte[] json, String source) throws KeyringException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      // Jackson's own message can quote the input, which may hold a secret: position only.
      JsonLocation at = e.getLocation();
      String where = at == null ? "" : " at line " + at.getLineNr() + " column " + at.getColumnNr();
      String what = String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field")
          ? "duplicate field" : "not valid JSON";
      throw new KeyringException("keyring " + source + ": " + what + where);
    } catch (IOException e) {
      throw new KeyringException("keyring " + source + ": cannot read JSON");
    }
    String prefix = "keyring " + source + ": ";
    if (root == null || !root.isObject()) {
      throw new KeyringException(prefix + "top level must be an object {\"keys\": [...]}");
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!name.equals("keys")) {
        throw new KeyringException(prefix + "unknown top-level field " + quoteName(name));
      }
    }
    JsonNode keysNode = root.get("keys");
    if (keysNode == null || !keysNode.isArray()) {
      throw new KeyringException(prefix + "field keys must be an array");
    }
    List<ActorKey> keys = new ArrayList<>(keysNode.size());
    Set<String> kids = new HashSet<>();
    for (int i = 0; i < keysNode.size(); i++) {
      ActorKey key = parseKey(keysNode.get(i), i, prefix);
      if (!kids.add(key.kid())) {
        throw new KeyringException(prefix + "key " + key.kid() + ": duplicate kid");
      }
      keys.add(key);
    }
    return Keyring.of(keys);
  }

  private static ActorKey parseKey(JsonNode entry, int index, String prefix)
      throws KeyringException {
    String at = prefix + "keys[" + index + "]";
    if (!entry.isObject()) {
      throw new KeyringException(at + ": must be an object");
    }
    JsonNode kidNode = entry.get("kid");
    if (kidNode == null || !kidNode.isTextual() || !ActorHeaders.isValidKid(kidNode.textValue())) {
      throw new KeyringException(at + ": field kid is missing or not 1-64 chars of [A-Za-z0-9._-]");
    }
    String kid = kidNode.textValue();
    at = prefix + "key " + kid;
    String algText = requiredText(entry, "alg", at);
    KeyAlgorithm alg = KeyAlgorithm.fromWireName(algText).orElseThrow(() ->
        new KeyringException(prefix + "key " + kid + ": field alg must be HMAC-SHA256 or Ed25519"));
    Set<String> allowed = alg == KeyAlgorithm.HMAC_SHA256 ? HMAC_FIELDS : ED25519_FIELDS;
    for (Iterator<String> names = entry.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new KeyringException(at + ": unknown field " + quoteName(name)
            + " for alg " + alg.wireName());
      }
    }
    String statusText = requiredText(entry, "status", at);
    final String where = at;
    KeyStatus status = KeyStatus.fromWireName(statusText).orElseThrow(() ->
        new KeyringException(where + ": field status must be active or retired"));
    List<String> actors = actors(entry, at);
    Instant notBefore = optionalInstant(entry, "notBefore", at);
    Instant notAfter = optionalInstant(entry, "notAfter", at);
    try {
      if (alg == KeyAlgorithm.HMAC_SHA256) {
        byte[] raw = strictBase64(requiredText(entry, "secret", at), at, "secret");
        try {
          if (raw.length < ActorKey.MIN_HMAC_SECRET_BYTES) {
            throw new KeyringException(at + ": field secret must decode to at least "
                + ActorKey.MIN_HMAC_SECRET_BYTES + " bytes");
          }
          return ActorKey.hmac(kid, Secret.copyOf(raw), actors, status, notBefore, notAfter);
        } finally {
          Secret.wipe(raw);
        }
      }
      byte[] publicKey = strictBase64(requiredText(entry, "publicKey", at), at, "publicKey");
      if (publicKey.length != Ed25519Keys.RAW_KEY_BYTES) {
        throw new KeyringException(at + ": field publicKey must decode to exactly 32 bytes");
      }
      return ActorKey.ed25519(kid, publicKey, actors, status, notBefore, notAfter);
    } catch (IllegalArgumentException e) {
      // ActorKey's messages already name the kid and field, never the material.
      throw new KeyringException(prefix + e.getMessage());
    }
  }

  private static String requiredText(JsonNode entry, String field, String at)
      throws KeyringException {
    JsonNode node = entry.get(field);
    if (node == null || !node.isTextual()) {
      throw new KeyringException(at + ": field " + field + " is missing or not a string");
    }
    return node.textValue();
  }

  private static List<String> actors(JsonNode entry, String at) throws KeyringException {
    JsonNode node = entry.get("actors");
    if (node == null || !node.isArray() || node.isEmpty()) {
      throw new KeyringException(at + ": field actors must be a non-empty array of strings");
    }
    List<String> actors = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      JsonNode actor = node.get(i);
      if (!actor.isTextual()) {
        throw new KeyringException(at + ": field actors[" + i + "] is not a string");
      }
      String problem = ActorPattern.problem(actor.textValue());
      if (problem != null) {
        throw new KeyringException(at + ": field actors[" + i + "]: " + problem);
      }
      actors.add(actor.textValue());
    }
    return actors;
  }

  private static Instant optionalInstant(JsonNode entry, String field, String at)
      throws KeyringException {
    JsonNode node = entry.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new KeyringException(at + ": field " + field + " must be an RFC 3339 UTC time or null");
    }
    try {
      return Instant.parse(node.textValue());
    } catch (DateTimeParseException e) {
      throw new KeyringException(at + ": field " + field + " must be an RFC 3339 UTC time or null");
    }
  }

  /**
   * Base64 (standard alphabet, padded) in its one canonical spelling: the JDK decoder alone
   * accepts missing padding and non-zero trailing bits, so two texts could mean one key.
   */
  static byte[] strictBase64(String text, String at, String field) throws KeyringException {
    byte[] decoded;
    try {
      if (text.length() % 4 != 0) {
        throw new IllegalArgumentException("length");
      }
      decoded = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new KeyringException(at + ": field " + field + " is not canonical padded base64");
    }
    if (!Base64.getEncoder().encodeToString(decoded).equals(text)) {
      Secret.wipe(decoded);
      throw new KeyringException(at + ": field " + field + " is not canonical padded base64");
    }
    return decoded;
  }

  /** Field names come from the file: show them only if they are short and plain. */
  private static String quoteName(String name) {
    if (name.length() <= 40 && name.chars().allMatch(c -> c >= 0x21 && c < 0x7f && c != '"')) {
      return "\"" + name + "\"";
    }
    return "(unprintable name)";
  }

  /** The keyring as JSON in the contract's shape (contains secrets: write it only to the file). */
  static byte[] toJson(Keyring keyring) {
    ObjectNode root = MAPPER.createObjectNode();
    ArrayNode keys = root.putArray("keys");
    for (ActorKey key : keyring.keys()) {
      ObjectNode entry = keys.addObject();
      entry.put("kid", key.kid());
      entry.put("alg", key.algorithm().wireName());
      if (key.algorithm() == KeyAlgorithm.HMAC_SHA256) {
        byte[] raw = key.hmacSecret().orElseThrow().revealCopy();
        entry.put("secret", Base64.getEncoder().encodeToString(raw));
        Secret.wipe(raw);
      } else {
        entry.put("publicKey", Base64.getEncoder().encodeToString(key.ed25519PublicKey().orElseThrow()));
      }
      ArrayNode actors = entry.putArray("actors");
      key.actorTexts().forEach(actors::add);
      entry.put("status", key.status().wireName());
      putInstant(entry, "notBefore", key.notBefore().orElse(null));
      putInstant(entry, "notAfter", key.notAfter().orElse(null));
    }
    try {
      byte[] json = MAPPER.writeValueAsBytes(root);
      byte[] withNewline = new byte[json.length + 1];
      System.arraycopy(json, 0, withNewline, 0, json.length);
      withNewline[json.length] = '\n';
      return withNewline;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise keyring", e);
    }
  }

  private static void putInstant(ObjectNode entry, String field, Instant value) {
    if (value == null) {
      entry.putNull(field);
    } else {
      entry.put(field, value.toString());
    }
  }

  /**
   * Replaces {@code file} atomically: a temporary file in the same directory (mode 0600 where
   * the file system is POSIX), written and fsynced, renamed over the target, then the
   * directory fsynced. A reader (or {@link ReloadingKeyring}) sees the old or the new file,
   * never half of one.
   */
  public static void write(Path file, Keyring keyring) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    byte[] json = toJson(keyring);
    boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
    FileAttribute<?>[] attributes = posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
            Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))}
        : new FileAttribute<?>[0];
    Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp", attributes);
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(json);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      } finally {
        Secret.wipe(json);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot replace " + target + " atomically on this file system", e);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
    fsyncDirectory(dir);
  }

  private static void fsyncDirectory(Path dir) {
    // Makes the rename durable on Linux; other systems may refuse to open a directory.
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // The rename itself has happened; only its durability across power loss is weaker.
    }
  }

}
