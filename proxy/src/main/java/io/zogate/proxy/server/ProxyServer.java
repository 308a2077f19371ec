package io.zogate.proxy.server;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.zogate.proxy.auth.ActorVerifier;
import io.zogate.proxy.auth.Keyring;
import io.zogate.proxy.auth.MemoryReplayStore;
import io.zogate.proxy.auth.RedisReplayStore;
import io.zogate.proxy.auth.ReplayStore;
import io.zogate.proxy.auth.SqliteReplayStore;
import io.zogate.proxy.config.ConfigException;
import io.zogate.proxy.config.ProxyConfig;
import io.zogate.proxy.config.StoreLocation;
import io.zogate.proxy.governance.Governor;
import io.zogate.proxy.governance.Ledger;
import io.zogate.proxy.governance.LedgerUnavailableException;
import io.zogate.proxy.governance.SqliteLedger;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import io.zogate.proxy.jsonrpc.StrictJsonReader;
import io.zogate.proxy.redis.RedisConnection;
import io.zogate.proxy.traffic.Cidr;
import io.zogate.proxy.traffic.MemoryRateLimitStore;
import io.zogate.proxy.traffic.ProxyMetrics;
import io.zogate.proxy.traffic.RateLimitStore;
import io.zogate.proxy.traffic.RateLimiter;
import io.zogate.proxy.traffic.RedisRateLimitStore;
import io.zogate.proxy.traffic.SqliteRateLimitStore;
import io.zogate.proxy.upstream.Forwarder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;

/**
 * The proxy: the JDK's HTTP server, a bounded pool of workers, and the request pipeline. The
 * order of the pipeline is security-relevant and written in exactly one place, {@link
 * #standardPipeline}; CONTRACT.md section 1 says why each step sits where it does.
 */
public final class ProxyServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ProxyServer.class.getName());

  static {
    // The JDK server leaves Nagle's algorithm on and writes headers and body separately:
    // without this each answer can wait ~40 ms for a delayed ACK. Read once, when the first
    // server is created, so it is set here before any.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final HttpServer server;
  private final ThreadPoolExecutor workers;
  private final List<AutoCloseable> resources;
  private final Pipeline pipeline;
  private final ProxyMetrics metrics;

  private ProxyServer(HttpServer server, ThreadPoolExecutor workers, List<AutoCloseable> resources,
      Pipeline pipeline, ProxyMetrics metrics) {
    this.server = server;
    this.workers = workers;
    this.resources = resources;
    this.pipeline = pipeline;
    this.metrics = metrics;
  }

  /** The parts a pipeline is built from; each checked and opened at start-up. */
  public record Parts(
      ProxyConfig config,
      Supplier<Keyring> keyring,
      ReplayStore replayStore,
      Optional<String> apiKey,
      RateLimiter rateLimiter,
      Governor governor,
      Ledger ledger,
      Forwarder forwarder,
      Clock clock,
      ProxyMetrics metrics) {}

  /**
   * route -> client limit -> origin -> framing -> actor headers (authority, API key) -> key and
   * time -> body -> signature and actor scope -> client certificate -> key and actor limits ->
   * record refusal (wraps the rest) -> nonce -> parse -> session -> govern -> record intent ->
   * record outcome (wraps the rest) -> enforce the decision -> forward.
   */
  static Pipeline standardPipeline(Parts p, SessionRegistry sessions) {
    ProxyConfig cfg = p.config();
    ActorVerifier verifier = new ActorVerifier(p.keyring(), p.clock(), cfg.auth().maxSkew(),
        p.replayStore().earliestAcceptableTsMillis());
    int defaultPort = cfg.tls().isPresent() ? 443 : 80;
    return new Pipeline(List.of(
        new Pipeline.Named("route", new RouteStage(cfg.upstream().serverStreams())),
        new Pipeline.Named("client-limit", Stage.of(RateLimitChecks.perClient(p.rateLimiter()))),
        new Pipeline.Named("origin", Stage.of(new OriginCheck(cfg.http().allowedOrigins()))),
        new Pipeline.Named("framing", Stage.of(new FramingCheck())),
        new Pipeline.Named("actor-headers",
            Stage.of(new ActorHeadersCheck(cfg.auth().authorities(), defaultPort, p.apiKey()))),
        new Pipeline.Named("key-and-time", Stage.of(new KeyAndTimeCheck(verifier))),
        new Pipeline.Named("body", Stage.of(new BodyReader(cfg.http().maxBodyBytes()))),
        new Pipeline.Named("signature", Stage.of(new SignatureCheck(verifier))),
        new Pipeline.Named("client-certificate", Stage.of(new ClientCertificateCheck(cfg.tls(), p.clock()))),
        new Pipeline.Named("key-and-actor-limits", Stage.of(RateLimitChecks.perKeyAndActor(p.rateLimiter()))),
        new Pipeline.Named("record-refusal", new LedgerStages.RecordRefusal(p.ledger())),
        new Pipeline.Named("nonce", Stage.of(new NonceCheck(p.replayStore(), cfg.auth().maxSkew()))),
        new Pipeline.Named("parse", Stage.of(new ParseStage(new StrictJsonReader(cfg.http().maxDepth())))),
        new Pipeline.Named("session", new SessionCheck(sessions)),
        new Pipeline.Named("govern", Stage.of(new GovernStage(p.governor(), p.metrics()))),
        new Pipeline.Named("record-intent", new LedgerStages.RecordIntent(p.ledger())),
        new Pipeline.Named("record-outcome", new LedgerStages.RecordOutcome(p.ledger())),
        new Pipeline.Named("enforce", Stage.of(new EnforceStage())),
        new Pipeline.Named("forward", new ForwardStage(p.forwarder(), sessions))));
  }

  /**
   * Opens the rate limiter a configuration names; {@code off} limits nothing. A Redis password
   * is resolved from {@code env}. The memory and SQLite stores decide on {@code clock}, the clock
   * the rest of the proxy runs on; Redis uses its own.
   */
  public static RateLimiter openRateLimiter(ProxyConfig cfg, Map<String, String> env, Clock clock)
      throws ConfigException {
    ProxyConfig.RateLimit rl = cfg.rateLimit();
    boolean anyRate = rl.perClient().isPresent() || rl.perKey().isPresent() || rl.perActor().isPresent();
    List<Cidr> trusted = new ArrayList<>();
    for (String cidr : cfg.http().trustedProxies()) {
      try {
        trusted.add(Cidr.parse(cidr));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("http.trustedProxies: " + e.getMessage());
      }
    }
    RateLimitStore store;
    if (rl.store() instanceof StoreLocation.Off) {
      if (anyRate) {
        throw new ConfigException("rateLimit: store is off but limits are set; remove them or choose a store");
      }
      store = new MemoryRateLimitStore();
    } else if (rl.store() instanceof StoreLocation.Memory) {
      store = new MemoryRateLimitStore();
    } else if (rl.store() instanceof StoreLocation.Sqlite sqlite) {
      try {
        store = new SqliteRateLimitStore(sqlite.file());
      } catch (StoreUnavailableException e) {
        throw new ConfigException("rateLimit.store: cannot open " + sqlite.file() + ": " + e.getMessage());
      }
    } else if (rl.store() instanceof StoreLocation.Redis redis) {
      RedisConnection.Endpoint endpoint = redisEndpoint(redis, cfg.redis(), env);
      try {
        store = new RedisRateLimitStore(endpoint);
      } catch (StoreUnavailableException e) {
        throw new ConfigException("rateLimit.store: " + e.getMessage());
      }
    } else {
      throw new ConfigException("rateLimit.store: " + rl.store() + " is not supported by this build");
    }
    return new RateLimiter(store, rl.perClient().orElse(null), rl.perKey().orElse(null),
        rl.perActor().orElse(null), trusted, clock);
  }

  /** Opens the replay store a configuration names; a Redis store reads {@code redis:} and {@code env}. */
  public static ReplayStore openReplayStore(ProxyConfig cfg, Map<String, String> env, Clock clock)
      throws ConfigException {
    return openReplayStore(cfg.replay(), cfg.redis(), env, clock);
  }

  private static ReplayStore openReplayStore(ProxyConfig.Replay replay, ProxyConfig.Redis redisCfg,
      Map<String, String> env, Clock clock) throws ConfigException {
    StoreLocation store = replay.store();
    if (store instanceof StoreLocation.Redis redis) {
      try {
        return new RedisReplayStore(redisEndpoint(redis, redisCfg, env), clock);
      } catch (StoreUnavailableException e) {
        throw new ConfigException("replay.store: " + e.getMessage());
      }
    }
    if (store instanceof StoreLocation.Memory) {
      return new MemoryReplayStore((int) Math.min(Integer.MAX_VALUE, replay.capacity()), clock);
    }
    if (store instanceof StoreLocation.Sqlite sqlite) {
      try {
        return new SqliteReplayStore(sqlite.file(), replay.capacity(), clock);
      } catch (StoreUnavailableException e) {
        throw new ConfigException("replay.store: cannot open " + sqlite.file() + ": " + e.getMessage());
      }
    }
    throw new ConfigException("replay.store: " + store + " is not supported by this build");
  }

  /** Where a redis:// store connects, with its password resolved now (start-up). */
  static RedisConnection.Endpoint redisEndpoint(StoreLocation.Redis store, ProxyConfig.Redis cfg,
      Map<String, String> env) throws ConfigException {
    Optional<String> password = Optional.empty();
    if (cfg.password().isPresent()) {
      password = Optional.of(cfg.password().get().resolve(env));
    }
    try {
      return new RedisConnection.Endpoint(store.uri(), cfg.user(), password, cfg.timeout(), cfg.poolSize());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("redis: " + e.getMessage());
    }
  }

  /** Opens the ledger a configuration names; none configured records nothing. */
  public static Ledger openLedger(ProxyConfig cfg, Clock clock) throws ConfigException {
    if (cfg.ledger().isEmpty()) {
      return Ledger.none();
    }
    StoreLocation store = cfg.ledger().get();
    if (store instanceof StoreLocation.Sqlite sqlite) {
      try {
        return new SqliteLedger(sqlite.file(), clock);
      } catch (LedgerUnavailableException e) {
        throw new ConfigException("ledger: " + e.getMessage());
      }
    }
    throw new ConfigException("ledger: " + store + " is not supported; use sqlite:PATH");
  }

  /**
   * Applies the JDK server's process-wide settings. {@code maxReqTime} closes a connection whose
   * request (head and body) has not fully arrived in time, which frees the worker a slow or
   * stalled client would otherwise hold; it does not limit how long the answer takes (measured:
   * a 4 s reply and a 4 s stream pass under a 2 s limit). The JDK reads these properties once,
   * when its first server is created, so they are set before that and the first value wins.
   */
  public static void applyJdkServerSettings(java.time.Duration requestReadTimeout) {
    if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
      long seconds = Math.max(1, (requestReadTimeout.toMillis() + 999) / 1000);
      System.setProperty("sun.net.httpserver.maxReqTime", Long.toString(seconds));
    }
  }

  /**
   * Binds the listener (HTTPS when {@code tls:} is configured) and starts serving; every part
   * is already open. The TLS files are read here, so a bad one stops start-up.
   */
  public static ProxyServer start(Parts parts, List<AutoCloseable> ownedResources)
      throws IOException, ConfigException {
    ProxyConfig cfg = parts.config();
    applyJdkServerSettings(cfg.http().requestReadTimeout());
    Optional<SSLContext> ssl = cfg.tls().isPresent()
        ? Optional.of(TlsContexts.serverContext(cfg.tls().get()))
        : Optional.empty();
    SessionRegistry sessions = new SessionRegistry(100_000);
    Pipeline pipeline = standardPipeline(parts, sessions);
    int n = cfg.http().workers();
    AtomicInteger threadNo = new AtomicInteger();
    ThreadPoolExecutor workers = new ThreadPoolExecutor(n, n, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        r -> {
          Thread t = new Thread(r, "zo-gate-worker-" + threadNo.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    workers.allowCoreThreadTimeOut(true);
    InetSocketAddress address = cfg.listen().toSocketAddress();
    HttpServer server;
    if (ssl.isPresent()) {
      ProxyConfig.Tls tls = cfg.tls().get();
      HttpsServer https = HttpsServer.create(address, 1024);
      https.setHttpsConfigurator(new HttpsConfigurator(ssl.get()) {
        @Override
        public void configure(HttpsParameters params) {
          params.setSSLParameters(TlsContexts.parameters(getSSLContext(), tls));
        }
      });
      server = https;
    } else {
      server = HttpServer.create(address, 1024);
    }
    server.createContext("/", new ProxyHandler(pipeline, parts.metrics()));
    server.setExecutor(workers);
    server.start();
    ProxyServer started = new ProxyServer(server, workers, List.copyOf(ownedResources), pipeline, parts.metrics());
    LOG.info(() -> "zo-gate listening on " + started.url() + ", upstream " + cfg.upstream().url());
    return started;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Where clients reach the proxy: scheme, host (IPv6 in brackets), port and {@code /mcp}. */
  public String url() {
    String host = server.getAddress().getHostString();
    return (server instanceof HttpsServer ? "https://" : "http://")
        + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + server.getAddress().getPort() + RouteStage.PATH;
  }

  /** The proxy's metrics; recorded whether or not {@code metrics:} is configured. */
  public ProxyMetrics metrics() {
    return metrics;
  }

  public List<String> stageNames() {
    return pipeline.stageNames();
  }

  @Override
  public void close() {
    server.stop(0);
    // Let calls in flight finish their last step (an outcome entry in the ledger) before the
    // stores close under them; a stream that will not end is cut off after a few seconds.
    workers.shutdown();
    try {
      if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      workers.shutdownNow();
      Thread.currentThread().interrupt();
    }
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        LOG.log(Level.WARNING, "closing " + r.getClass().getSimpleName() + ": " + e.getClass().getSimpleName());
      }
    }
  }
}
