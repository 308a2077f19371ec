package io.zogate.proxy.governance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key that signs ledger checkpoints: HMAC-SHA256 with a secret of at least 32 bytes and a
 * key id. Kept in a JSON file, mode 0600:
 *
 * <pre>{ "kid": "ledger-1a2b3c4d", "alg": "HMAC-SHA256", "secret": "&lt;base64&gt;" }</pre>
 *
 * Not a record, so the secret never reaches {@code toString}; it leaves this class only as a
 * MAC.
 */
public final class LedgerKey {
  public static final String ALG = "HMAC-SHA256";
  private static final Pattern KID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String kid;
  private final byte[] secret;

  private LedgerKey(String kid, byte[] secret) {
    if (!KID.matcher(kid).matches()) {
      throw new IllegalArgumentException("kid must be 1-64 chars of [A-Za-z0-9._-]");
    }
    if (secret.length < 32) {
      throw new IllegalArgumentException("the secret must be at least 32 bytes");
    }
    this.kid = kid;
    this.secret = secret.clone();
  }

  public static LedgerKey of(String kid, byte[] secret) {
    return new LedgerKey(kid, secret);
  }

  public String kid() {
    return kid;
  }

  /** Reads a key file; every problem is an {@link IOException} naming the file. */
  public static LedgerKey load(Path file) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new IOException("ledger key " + file + ": cannot read: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IOException("ledger key " + file + ": not a JSON object");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!Set.of("kid", "alg", "secret").contains(name)) {
        throw new IOException("ledger key " + file + ": unknown field " + name);
      }
    }
    if (!ALG.equals(root.path("alg").asText(null))) {
      throw new IOException("ledger key " + file + ": alg must be " + ALG);
    }
    try {
      byte[] secret = Base64.getDecoder().decode(root.path("secret").asText(""));
      return new LedgerKey(root.path("kid").asText(""), secret);
    } catch (IllegalArgumentException e) {
      throw new IOException("ledger key " + file + ": " + e.getMessage());
    }
  }

  /** Creates a new key file with a fresh 32-byte secret; never overwrites an existing file. */
  public static LedgerKey generate(Path file) throws IOException {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    byte[] id = new byte[4];
    RANDOM.nextBytes(id);
    LedgerKey key = new LedgerKey("ledger-" + HexFormat.of().formatHex(id), secret);
    ObjectNode o = JSON.createObjectNode();
    o.put("kid", key.kid);
    o.put("alg", ALG);
    o.put("secret", Base64.getEncoder().encodeToString(secret));
    byte[] text = (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("ledger key " + file + " already exists; not overwritten", e);
    }
    Files.write(file, text, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SYNC);
    return key;
  }

  /** HMAC-SHA256 of the message, lowercase hex. */
  public String mac(byte[] message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(message));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is required of every JDK", e);
    }
  }

  @Override
  public String toString() {
    return "LedgerKey[" + kid + ", secret redacted]";
  }
}
