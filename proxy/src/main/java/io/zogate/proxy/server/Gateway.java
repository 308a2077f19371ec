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
    refuseUnbuilt(cfg);
    List<AutoCloseable> owned = new ArrayList<>();
    try {
      Clock clock = Clock.systemUTC();
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
      ReplayStore replay = ProxyServer.openReplayStore(cfg.replay(), clock);
      owned.add(replay);
      RateLimiter rateLimiter = ProxyServer.openRateLimiter(cfg);
      owned.add(rateLimiter);
      Governor governor = governorOverride.isPresent() ? governorOverride.get() : governor(cfg);
      Ledger ledger = ProxyServer.openLedger(cfg, clock);
      owned.add(ledger);
      Forwarder forwarder = new Forwarder(upstreamSettings(cfg, env));
      owned.add(forwarder);
      ProxyServer.Parts parts = new ProxyServer.Parts(cfg, keyring, replay, apiKey, rateLimiter, governor, ledger,
          forwarder, clock);
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

  /** The configured policy, or allow-all when none is configured. */
  static Governor governor(ProxyConfig cfg) throws ConfigException {
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

  /**
   * Parts of the configuration this build cannot honour yet stop start-up: running without
   * TLS or a policy the operator asked for would fail open.
   */
  private static void refuseUnbuilt(ProxyConfig cfg) throws ConfigException {
    if (cfg.tls().isPresent()) {
      throw new ConfigException("tls: TLS and mTLS are not supported by this build yet");
    }
    if (cfg.metrics().isPresent()) {
      LOG.warning("metrics: not supported by this build yet; no metrics are exported");
    }
  }
}
