package io.zogate.proxy.config;

import io.zogate.proxy.traffic.LimitRate;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The proxy's whole configuration, typed and validated (CONTRACT.md section 6). Built only by
 * {@link ConfigLoader}; everything after start-up reads these values, never YAML.
 */
public record ProxyConfig(
    HostPort listen,
    Http http,
    Upstream upstream,
    Auth auth,
    Replay replay,
    RateLimit rateLimit,
    Optional<Tls> tls,
    Optional<Path> policy,
    Optional<StoreLocation> ledger,
    Optional<Metrics> metrics,
    Optional<Watch> watch,
    Redis redis) {

  /**
   * HTTP edge settings. {@code maxBodyBytes}, {@code maxDepth} and {@code workers} are zo-gate
   * additions to the contract's minimum shape (the contract fixes their defaults).
   */
  public record Http(
      List<String> allowedOrigins,
      List<String> trustedProxies,
      long maxBodyBytes,
      int maxDepth,
      int workers,
      Duration requestReadTimeout) {
    public Http {
      allowedOrigins = List.copyOf(allowedOrigins);
      trustedProxies = List.copyOf(trustedProxies);
    }
  }

  public record Upstream(
      URI url,
      Duration timeout,
      Duration idleTimeout,
      Duration maxStreamDuration,
      long maxResponseBytes,
      long maxEventBytes,
      boolean serverStreams,
      Optional<SecretSource> bearer) {}

  /** {@code authorities} are already in canonical form. */
  public record Auth(
      Path keyring, List<String> authorities, Duration maxSkew, Optional<SecretSource> apiKey) {
    public Auth {
      authorities = List.copyOf(authorities);
    }
  }

  public record Replay(StoreLocation store, long capacity) {}

  /**
   * How to reach Redis when {@code replay.store} or {@code rateLimit.store} is a
   * {@code redis://} or {@code rediss://} URL (a zo-gate addition to the contract's shape):
   * shared by both stores, each of which keeps its own connection pool.
   *
   * @param timeout bound on connecting, on each reply and on waiting for a pooled connection
   * @param user ACL user name, if not Redis's {@code default}
   * @param password from {@code passwordFile} or {@code passwordEnv}, never the YAML
   * @param poolSize most connections per store
   */
  public record Redis(Duration timeout, Optional<String> user, Optional<SecretSource> password, int poolSize) {}

  public record RateLimit(
      StoreLocation store, Optional<LimitRate> perClient, Optional<LimitRate> perKey, Optional<LimitRate> perActor) {}

  public record Tls(
      Path cert,
      Path key,
      Optional<Path> clientCa,
      boolean requireClientCert,
      boolean bindActorToCertificate,
      boolean allowCnIdentity) {}

  public record Metrics(HostPort listen, String path, Optional<Sink> sink) {}

  public record Sink(URI url, Duration interval, Map<String, String> headers) {
    public Sink {
      headers = Map.copyOf(headers);
    }
  }

  public record Watch(Path root, String actor, List<Path> privileged) {
    public Watch {
      privileged = List.copyOf(privileged);
    }
  }
}
