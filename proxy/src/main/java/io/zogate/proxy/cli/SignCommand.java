package io.zogate.proxy.cli;

import io.zogate.proxy.auth.ActorKey;
import io.zogate.proxy.auth.ActorSigner;
import io.zogate.proxy.auth.Authority;
import io.zogate.proxy.auth.KeyAlgorithm;
import io.zogate.proxy.auth.Keyring;
import io.zogate.proxy.auth.KeyringException;
import io.zogate.proxy.auth.KeyringFile;
import io.zogate.proxy.auth.Secret;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sign}: the actor-proof headers for a body, printed one per line, or, with {@code --url},
 * the signed request sent and the answer printed. HMAC keys sign with the keyring's secret;
 * Ed25519 keys need the private seed ({@code --private-key}), which the proxy's keyring never holds.
 */
@Command(name = "sign", mixinStandardHelpOptions = true, description = "Signs a request body (zo-actor-proof-v1): prints the headers, or sends it with --url.")
final class SignCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--keyring", required = true, paramLabel = "FILE") Path keyring;
  @Option(names = "--kid", required = true, paramLabel = "K") String kid;
  @Option(names = "--actor", required = true, paramLabel = "A") String actor;
  @Option(names = "--body", paramLabel = "FILE", description = "the exact body bytes to sign ('-' reads stdin); none = empty body")
  String body;
  @Option(names = "--url", paramLabel = "URL", description = "send the signed request there and print the answer")
  URI url;
  @Option(names = "--method", defaultValue = "POST", description = "HTTP method (default ${DEFAULT-VALUE})") String method;
  @Option(names = "--authority", defaultValue = "127.0.0.1:8787",
      description = "without --url: the proxy's authority (default ${DEFAULT-VALUE})") String authority;
  @Option(names = "--target", defaultValue = "/mcp", description = "without --url: the request target (default ${DEFAULT-VALUE})")
  String target;
  @Option(names = "--private-key", paramLabel = "FILE", description = "Ed25519 keys: file with the base64 32-byte private seed")
  Path privateKey;

  @Override
  public Integer call() throws Exception {
    ActorSigner signer = signer();
    byte[] bytes = readBody();
    String m = method.toUpperCase(java.util.Locale.ROOT);
    PrintWriter out = spec.commandLine().getOut();
    if (url == null) {
      String canonical = Authority.canonicalize(authority, 80)
          .orElseThrow(() -> new Main.UsageException("--authority: not a host[:port]: " + authority));
      signer.headers(m, canonical, target, bytes).forEach((k, v) -> out.println(k + ": " + v));
      out.flush();
      return Main.OK;
    }
    if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
      throw new Main.UsageException("--url must be http or https");
    }
    String canonical = Authority.canonicalize(url.getRawAuthority(), "https".equals(url.getScheme()) ? 443 : 80)
        .orElseThrow(() -> new Main.UsageException("--url: bad authority " + url.getRawAuthority()));
    String rawTarget = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
        + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
    Map<String, String> headers = signer.headers(m, canonical, rawTarget, bytes);
    HttpRequest.Builder req = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60))
        .header("Accept", "application/json, text/event-stream")
        .method(m, bytes.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes));
    if (bytes.length > 0) {
      req.header("Content-Type", "application/json");
    }
    headers.forEach(req::header);
    HttpResponse<String> resp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build()
        .send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    spec.commandLine().getErr().println("HTTP " + resp.statusCode());
    resp.headers().firstValue("Mcp-Session-Id").ifPresent(s -> spec.commandLine().getErr().println("Mcp-Session-Id: " + s));
    spec.commandLine().getErr().flush();
    out.println(resp.body());
    out.flush();
    return resp.statusCode() / 100 == 2 ? Main.OK : Main.RUNTIME_FAILURE;
  }

  private ActorSigner signer() {
    return signer(keyring, kid, actor, privateKey);
  }

  /**
   * The signer for a key of a keyring file (shared with {@code bridge}): HMAC keys sign with the
   * keyring's secret, Ed25519 keys with the private seed in {@code privateKey}.
   */
  static ActorSigner signer(Path keyring, String kid, String actor, Path privateKey) {
    if (!io.zogate.proxy.auth.ActorHeaders.isValidActorId(actor)) {
      throw new Main.UsageException("--actor: not a valid actor id: " + actor);
    }
    Keyring ring;
    try {
      ring = KeyringFile.load(keyring);
    } catch (KeyringException e) {
      throw new Main.UsageException("--keyring: " + e.getMessage());
    }
    ActorKey key = ring.find(kid).orElseThrow(() -> new Main.UsageException("--kid: no key " + kid + " in " + keyring));
    try {
      if (key.algorithm() == KeyAlgorithm.HMAC_SHA256) {
        return ActorSigner.hmac(kid, actor, key.hmacSecret().orElseThrow());
      }
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException(e.getMessage());
    }
    if (privateKey == null) {
      throw new Main.UsageException("key " + kid + " is Ed25519: give its private seed with --private-key FILE");
    }
    byte[] seed;
    try {
      seed = Base64.getDecoder().decode(Files.readString(privateKey, StandardCharsets.US_ASCII).strip());
    } catch (IOException | IllegalArgumentException e) {
      throw new Main.UsageException("--private-key: not a base64 32-byte seed: " + e.getClass().getSimpleName());
    }
    try {
      return ActorSigner.ed25519(kid, actor, Secret.copyOf(seed));
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException("--private-key: " + e.getMessage());
    }
  }

  private byte[] readBody() throws IOException {
    if (body == null) {
      return new byte[0];
    }
    if (body.equals("-")) {
      return System.in.readAllBytes();
    }
    return Files.readAllBytes(Path.of(body));
  }
}
