package io.zogate.proxy.server;

import io.zogate.proxy.auth.ActorHeaders;
import io.zogate.proxy.auth.Authority;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Step 1 of the actor proof (CONTRACT.md section 1): the five actor headers present once and
 * well-formed, exactly one {@code Host} whose canonical form is one of ours, an origin-form
 * target, and the API key when one is configured. Cheap checks only; no key is looked up yet.
 */
final class ActorHeadersCheck implements Stage.Check {
  static final String API_KEY_HEADER = "x-zo-api-key";

  private final Set<String> authorities;
  private final int defaultPort;
  private final Optional<byte[]> apiKey;

  ActorHeadersCheck(List<String> canonicalAuthorities, int defaultPort, Optional<String> apiKey) {
    this.authorities = Set.copyOf(canonicalAuthorities);
    this.defaultPort = defaultPort;
    this.apiKey = apiKey.map(k -> k.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void check(ProxyCall call) throws RefusalException {
    IncomingRequest req = call.request();
    ActorHeaders headers = ActorHeaders.parse(req::header);
    if (req.target().isAbsolute() || req.target().getRawAuthority() != null) {
      throw new RefusalException(Reason.BAD_AUTHORITY, "absolute-form request target");
    }
    List<String> host = req.header("Host");
    if (host.size() != 1) {
      throw new RefusalException(Reason.BAD_AUTHORITY, host.size() + " Host headers");
    }
    String authority = Authority.canonicalize(host.get(0), defaultPort)
        .filter(authorities::contains)
        .orElseThrow(() -> new RefusalException(Reason.BAD_AUTHORITY, "host not served here"));
    if (apiKey.isPresent()) {
      List<String> given = req.header(API_KEY_HEADER);
      if (given.size() > 1) {
        throw new RefusalException(Reason.DUPLICATE_HEADER, API_KEY_HEADER);
      }
      byte[] presented = given.isEmpty() ? new byte[0] : given.get(0).getBytes(StandardCharsets.UTF_8);
      if (!MessageDigest.isEqual(apiKey.get(), presented)) {
        throw new RefusalException(Reason.API_KEY_INVALID, given.isEmpty() ? "api key missing" : "api key wrong");
      }
    }
    call.actorHeaders(headers, authority);
  }
}
