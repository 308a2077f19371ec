package io.zogate.proxy.fallback;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zogate.proxy.auth.ActorHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The {@code zo-run-proof-v1} proof {@code run} reads from its environment (CONTRACT.md section
 * 7, docs/PROTOCOL.md "Run proof"). The five values have the syntax of the HTTP proof's headers
 * ({@link ActorHeaders}): {@code ZO_RUN_KID} as {@code x-actor-kid}, {@code ZO_RUN_ACTOR} as
 * {@code x-actor-id}, {@code ZO_RUN_TS} as {@code x-actor-ts} (13-digit Unix milliseconds),
 * {@code ZO_RUN_NONCE} as {@code x-actor-nonce}, {@code ZO_RUN_SIG} as {@code x-actor-sig}.
 *
 * <p>The string to sign is UTF-8, these eight lines joined by {@code \n}, no trailing newline:
 *
 * <pre>
 * zo-run-proof-v1
 * kid
 * actor
 * ts
 * nonce
 * host name (the kernel's node name, as `uname -n` prints it)
 * working directory (absolute, symbolic links resolved, as `pwd -P` prints it)
 * lowercase hex SHA-256 of the argv as a compact JSON array of strings
 * </pre>
 */
public record RunProof(String kid, String actor, String tsText, long tsMillis, String nonce, String sigHex) {
  public static final String VERSION_LINE = "zo-run-proof-v1";
  public static final String KID = "ZO_RUN_KID";
  public static final String ACTOR = "ZO_RUN_ACTOR";
  public static final String TS = "ZO_RUN_TS";
  public static final String NONCE = "ZO_RUN_NONCE";
  public static final String SIG = "ZO_RUN_SIG";
  public static final List<String> VARIABLES = List.of(KID, ACTOR, TS, NONCE, SIG);

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Reads the proof from an environment.
   *
   * @throws RunRefusal {@code missing_proof} (a variable is absent or empty) or {@code
   *     malformed_proof} (a value breaks the syntax); the detail names the variable, never
   *     its value
   */
  public static RunProof fromEnvironment(Map<String, String> env, int refusedExit) throws RunRefusal {
    for (String name : VARIABLES) {
      String v = env.get(name);
      if (v == null || v.isEmpty()) {
        throw new RunRefusal("missing_proof", refusedExit, name + " is not set");
      }
    }
    String kid = env.get(KID);
    String actor = env.get(ACTOR);
    String ts = env.get(TS);
    String nonce = env.get(NONCE);
    String sig = env.get(SIG);
    if (!ActorHeaders.isValidKid(kid)) {
      throw new RunRefusal("malformed_proof", refusedExit, KID + " is malformed");
    }
    if (!ActorHeaders.isValidActorId(actor)) {
      throw new RunRefusal("malformed_proof", refusedExit, ACTOR + " is malformed");
    }
    if (!ActorHeaders.isValidTimestamp(ts)) {
      throw new RunRefusal("malformed_proof", refusedExit, TS + " is malformed (13-digit Unix milliseconds)");
    }
    if (!ActorHeaders.isValidNonce(nonce)) {
      throw new RunRefusal("malformed_proof", refusedExit, NONCE + " is malformed (16-128 chars of [A-Za-z0-9_-])");
    }
    if (!ActorHeaders.isValidSignatureHex(sig)) {
      throw new RunRefusal("malformed_proof", refusedExit, SIG + " is malformed (64 or 128 lowercase hex chars)");
    }
    return new RunProof(kid, actor, ts, Long.parseLong(ts), nonce, sig);
  }

  /** The same values as HTTP proof headers, for the shared key and time checks. */
  public ActorHeaders asHeaders() {
    return new ActorHeaders(actor, kid, tsText, tsMillis, nonce, sigHex);
  }

  /**
   * The argv as Jackson writes a {@code String[]}: compact JSON, {@code "} and {@code \}
   * escaped with a backslash, control characters below U+0020 as {@code \b \t \n \f \r} or
   * {@code \}{@code u00XX} (upper-case hex), everything else (including {@code /}, U+007F and non-ASCII)
   * as itself.
   */
  public static String argvJson(List<String> argv) {
    try {
      return JSON.writeValueAsString(argv.toArray(new String[0]));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an array of strings always serialises", e);
    }
  }

  /** Lowercase hex SHA-256 of the UTF-8 bytes of {@link #argvJson}. */
  public static String argvSha256(List<String> argv) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(argvJson(argv).getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  /**
   * The bytes this proof must sign for a command run on {@code hostName} in {@code
   * workingDirectory}.
   *
   * @throws IllegalArgumentException the host name or directory is empty or holds a line break
   *     (it could not be signed unambiguously)
   */
  public byte[] stringToSign(String hostName, String workingDirectory, List<String> argv) {
    requireSingleLine(hostName, "host name");
    requireSingleLine(workingDirectory, "working directory");
    String text = String.join("\n", VERSION_LINE, kid, actor, tsText, nonce, hostName, workingDirectory,
        argvSha256(argv));
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void requireSingleLine(String value, String what) {
    if (value == null || value.isEmpty() || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
      throw new IllegalArgumentException(what + " must be one non-empty line");
    }
  }

  /** Redacts the signature: it is a bearer proof within the replay window. */
  @Override
  public String toString() {
    return "RunProof[kid=" + kid + ", actor=" + actor + ", ts=" + tsText + ", nonce=" + nonce + ", sig=redacted]";
  }
}
