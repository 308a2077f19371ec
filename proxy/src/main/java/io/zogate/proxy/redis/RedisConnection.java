package io.zogate.proxy.redis;

import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import javax.net.ssl.SSLParameters;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.util.SafeEncoder;

/**
 * A pooled Jedis client to one Redis server, shared by a governance store (replay or rate
 * limit), with the fail-closed rules both stores follow.
 *
 * <ul>
 *   <li>Bounded waits: connect, every reply and borrowing a pooled connection each wait at most
 *       {@code timeout} (default 200 ms). A slow Redis is a failed request, never a stuck one.
 *   <li>Every failure (refused connection, timeout, an error reply such as {@code OOM}, a reply
 *       of an unexpected shape) becomes {@link StoreUnavailableException}: the caller refuses
 *       the request with -32050. Nothing is retried here; a retry would only add latency.
 *   <li>Recovery without a restart: a connection that failed is dropped by the pool, and on a
 *       connection failure the idle ones are dropped too (they point at the Redis that went
 *       away), so once Redis is back the next request opens a fresh connection.
 * </ul>
 *
 * <p>{@code rediss://} uses TLS with the JVM's trust store and host name verification.
 */
public final class RedisConnection implements AutoCloseable {

  /** The default for connect, reply and pool waits. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(200);
  /** The default most connections per store (the HTTP server's default worker count). */
  public static final int DEFAULT_POOL_SIZE = 64;

  private final String name;
  private final RedisClient client;

  /**
   * Where and how to connect.
   *
   * @param uri {@code redis://HOST[:PORT][/DB]} or {@code rediss://...}; no user info
   * @param user the ACL user, if not {@code default}
   * @param password the password (from a file or the environment, never the YAML)
   * @param timeout connect, reply and pool wait bound
   * @param poolSize the most connections open at once
   */
  public record Endpoint(URI uri, Optional<String> user, Optional<String> password,
      Duration timeout, int poolSize) {
    public Endpoint {
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(password, "password");
      Objects.requireNonNull(timeout, "timeout");
      validate(uri);
      if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("redis timeout must be positive, got " + timeout);
      }
      if (poolSize < 1) {
        throw new IllegalArgumentException("redis pool size must be positive, got " + poolSize);
      }
    }

    public static Endpoint of(URI uri) {
      return new Endpoint(uri, Optional.empty(), Optional.empty(), DEFAULT_TIMEOUT, DEFAULT_POOL_SIZE);
    }

    public boolean tls() {
      return "rediss".equals(uri.getScheme());
    }

    public int port() {
      return uri.getPort() == -1 ? 6379 : uri.getPort();
    }

    /** The database number from the path ({@code /3}), 0 when absent. */
    public int database() {
      String p = uri.getRawPath();
      return p == null || p.isEmpty() || p.equals("/") ? 0 : Integer.parseInt(p.substring(1));
    }

    /** The URI without anything secret, for messages. */
    @Override
    public String toString() {
      return uri.getScheme() + "://" + uri.getHost() + ":" + port() + "/" + database();
    }

    /**
     * Checks the shape {@code redis[s]://HOST[:PORT][/DB]}: a password in the URI would put a
     * secret in the YAML, so user info is refused, as are queries and fragments.
     */
    public static void validate(URI uri) {
      String s = uri.getScheme();
      if (!"redis".equals(s) && !"rediss".equals(s)) {
        throw new IllegalArgumentException("expected redis:// or rediss://, got '" + uri + "'");
      }
      if (uri.getHost() == null) {
        throw new IllegalArgumentException("redis URL needs a host: redis://HOST:PORT/DB");
      }
      if (uri.getRawUserInfo() != null) {
        throw new IllegalArgumentException(
            "redis URL must not carry a user or password; use redis.user and redis.passwordFile/passwordEnv");
      }
      if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw new IllegalArgumentException("redis URL must not have a query or fragment");
      }
      String p = uri.getRawPath();
      if (p != null && !p.isEmpty() && !p.equals("/") && !p.matches("/(0|[1-9][0-9]{0,3})")) {
        throw new IllegalArgumentException("redis URL path must be a database number such as /0, got '" + p + "'");
      }
    }
  }

  /**
   * Opens the pool and checks the server answers and keeps what it is given (see {@link
   * #requireNoEviction}).
   *
   * @param name what the store is, for messages ("replay store")
   * @throws StoreUnavailableException if Redis cannot be reached or evicts keys
   */
  public RedisConnection(String name, Endpoint endpoint) throws StoreUnavailableException {
    this.name = name + " " + endpoint;
    int millis = (int) endpoint.timeout().toMillis();
    DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
        .connectionTimeoutMillis(millis)
        .socketTimeoutMillis(millis)
        .database(endpoint.database())
        .clientName("zo-gate")
        .resp2();
    endpoint.user().ifPresent(config::user);
    endpoint.password().ifPresent(config::password);
    if (endpoint.tls()) {
      SSLParameters params = new SSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      config.ssl(true).sslParameters(params);
    }
    GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
    pool.setMaxTotal(endpoint.poolSize());
    pool.setMaxIdle(endpoint.poolSize());
    pool.setMinIdle(0);
    pool.setBlockWhenExhausted(true);
    pool.setMaxWait(endpoint.timeout());
    pool.setJmxEnabled(false);
    try {
      this.client = RedisClient.builder()
          .hostAndPort(new HostAndPort(endpoint.uri().getHost(), endpoint.port()))
          .clientConfig(config.build())
          .poolConfig(pool)
          .build();
    } catch (RuntimeException e) {
      throw unavailable("cannot connect", e);
    }
    try {
      call(c -> c.ping());
      requireNoEviction();
    } catch (StoreUnavailableException e) {
      close();
      throw e;
    }
  }

  /**
   * Refuses a server whose {@code maxmemory-policy} may evict keys: an evicted nonce is a replay
   * accepted, an evicted rate-limit state is budget handed out twice. With {@code noeviction} a
   * full Redis answers writes with an {@code OOM} error, and the store fails closed instead.
   */
  private void requireNoEviction() throws StoreUnavailableException {
    Map<String, String> policy;
    try {
      policy = call(c -> c.configGet("maxmemory-policy"));
    } catch (StoreUnavailableException e) {
      throw new StoreUnavailableException(name + ": cannot read maxmemory-policy with CONFIG GET ("
          + e.getMessage() + "); zo-gate needs it to be noeviction", e);
    }
    String value = policy.get("maxmemory-policy");
    if (!"noeviction".equals(value)) {
      throw new StoreUnavailableException(name + ": maxmemory-policy is " + value
          + "; it must be noeviction, since an evicted key reopens a replay or a spent budget");
    }
  }

  /** Runs one command; every failure becomes {@link StoreUnavailableException}. */
  public <T> T call(Function<RedisClient, T> command) throws StoreUnavailableException {
    try {
      return command.apply(client);
    } catch (JedisConnectionException e) {
      dropIdleConnections();
      throw unavailable("unreachable", e);
    } catch (RuntimeException e) {
      // JedisDataException (OOM, NOSCRIPT, WRONGTYPE, NOAUTH), pool exhaustion, a reply of an
      // unexpected shape: the store cannot vouch for the answer, so the request is refused.
      throw unavailable("failed", e);
    }
  }

  /** Redis's clock ({@code TIME}), milliseconds since the epoch. */
  public long timeMillis() throws StoreUnavailableException {
    return call(c -> {
      List<?> t = (List<?>) c.sendCommand(Protocol.Command.TIME);
      long seconds = Long.parseLong(SafeEncoder.encode((byte[]) t.get(0)));
      long micros = Long.parseLong(SafeEncoder.encode((byte[]) t.get(1)));
      return seconds * 1000 + micros / 1000;
    });
  }

  private void dropIdleConnections() {
    try {
      client.getPool().clear();
    } catch (RuntimeException ignored) {
      // Best effort: a stale idle connection fails once on its own and is dropped then.
    }
  }

  private StoreUnavailableException unavailable(String what, RuntimeException e) {
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new StoreUnavailableException(name + ": " + what + ": " + detail, e);
  }

  public String name() {
    return name;
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
  }
}
