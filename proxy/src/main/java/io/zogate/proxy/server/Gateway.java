package io.zogate.proxy.server;

import io.zogate.proxy.auth.KeyringException;
import io.zogate.proxy.auth.ReloadingKeyring;
import io.zogate.proxy.auth.ReplayStore;
import io.zogate.proxy.config.ConfigException;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.config.SecretSource;
import io.zogate.proxy.governance.DenyListGovernor;
import io.zogate.proxy.governance.Governor;
import io.zogate.proxy.governance.Ledger;
import io.zogate.proxy.governance.PolicyException;
import io.zogate.proxy.governance.PolicyFile;
import io.zogate.proxy.governance.PolicyGovernor;
import io.zogate.proxy.traffic.MetricsEndpoint;
import io.zogate.proxy.traffic.MetricsSink;
import io.zogate.proxy.traffic.ProxyMetrics;
import io.zogate.proxy.traffic.RateLimiter;
import io.zogate.proxy.upstream.Forwarder;
import io.zogate.proxy.upstream.UpstreamSettings;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Opens everything a configuration names (keyring, secrets, stores, governance, upstream
 * client) and starts the proxy on it. Anything missing or unreadable is a {@link
 * ConfigException} here, at start-up, never at the first request.
 */
public final class Gateway {
  private static final Logger LOG = Logger.getLogger(Gateway.class.getName());

  private Gateway() {}

  public static ProxyServer open(ProxyConfig cfg, Map<String, String> env, Optional<Governor> governorOverride)
      throws ConfigException, IOException {
    return open(cfg, env, governorOverride, Clock.systemUTC());
  }

  /** The same, on a given clock (tests that pin timestamps to the millisecond). */
  public static ProxyServer open(ProxyConfig cfg, Map<String, String> env, Optional<Governor> governorOverride,
      Clock clock) throws ConfigException, IOException {
    List<AutoCloseable> owned = new ArrayList<>();
    try {
      ReloadingKeyring keyring;
      try {
        keyring = new ReloadingKeyring(cfg.auth().keyring());
      } catch (KeyringException e) {
        throw new ConfigException("auth.keyring: " + e.getMessage());
      }
      owned.add(keyring);
      Optional<String> apiKey = Optional.empty();
      if (cfg.auth().apiKey().isPresent()) {
        apiKey = Optional.of(cfg.auth().apiKey().get().resolve(env));
      }
      ReplayStore replay = ProxyServer.openReplayStore(cfg, env, clock);
      owned.add(replay);
      RateLimiter rateLimiter = ProxyServer.openRateLimiter(cfg, env, clock);
      owned.add(rateLimiter);
      Governor governor = governorOverride.isPresent() ? governorOverride.get() : governor(cfg);
      Ledger ledger = ProxyServer.openLedger(cfg, clock);
      owned.add(ledger);
      Forwarder forwarder = new Forwarder(upstreamSettings(cfg, env));
      owned.add(forwarder);
      ProxyMetrics metrics = openMetrics(cfg, owned);
      ProxyServer.Parts parts = new ProxyServer.Parts(cfg, keyring, replay, apiKey, rateLimiter, governor, ledger,
          forwarder, clock, metrics);
      return ProxyServer.start(parts, owned);
    } catch (ConfigException | IOException | RuntimeException e) {
      for (AutoCloseable c : owned) {
        try {
          c.close();
        } catch (Exception ignored) {
          // Start-up already failed; the first error is the one to report.
        }
      }
      throw e;
    }
  }

  /**
   * The metrics are always recorded, so the request path is the same with and without
   * {@code metrics:}; only when it is configured are they served on their own listener and,
   * with {@code sink:}, pushed.
   */
  static ProxyMetrics openMetrics(ProxyConfig cfg, List<AutoCloseable> owned) throws ConfigException, IOException {
    ProxyMetrics metrics = new ProxyMetrics();
    if (cfg.metrics().isEmpty()) {
      return metrics;
    }
    ProxyConfig.Metrics m = cfg.metrics().get();
    if (!m.path().startsWith("/") || m.path().contains("?") || m.path().contains("#")) {
      throw new ConfigException("metrics.path: must be an absolute path such as /metrics");
    }
    MetricsSink sink = null;
    if (m.sink().isPresent()) {
      ProxyConfig.Sink s = m.sink().get();
      try {
        sink = new MetricsSink(s.url(), s.interval(), s.headers(), metrics);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("metrics.sink: " + e.getMessage());
      }
      owned.add(sink);
    }
    // Bound before the proxy's own listener, like it a runtime failure if the port is taken.
    owned.add(MetricsEndpoint.start(m.listen().toSocketAddress(), m.path(), metrics));
    if (sink != null) {
      sink.start();
    }
    return metrics;
  }

  /** The configured policy, or allow-all when none is configured. */
  public static Governor governor(ProxyConfig cfg) throws ConfigException {
    if (cfg.policy().isEmpty()) {
      LOG.warning("no policy configured: every authenticated request is allowed");
      return DenyListGovernor.allowAll();
    }
    try {
      return new PolicyGovernor(PolicyFile.load(cfg.policy().get()));
    } catch (PolicyException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  static UpstreamSettings upstreamSettings(ProxyConfig cfg, Map<String, String> env) throws ConfigException {
    ProxyConfig.Upstream up = cfg.upstream();
    Optional<java.util.function.Supplier<String>> bearer = Optional.empty();
    if (up.bearer().isPresent()) {
      SecretSource source = up.bearer().get();
      String token = source.resolve(env);
      bearer = Optional.of(() -> token);
    }
    return new UpstreamSettings(up.url(), up.timeout(), up.idleTimeout(), up.maxStreamDuration(),
        up.maxResponseBytes(), up.maxEventBytes(), cfg.http().maxDepth(), bearer,
        java.time.Duration.ofSeconds(5), cfg.http().workers());
  }
}
