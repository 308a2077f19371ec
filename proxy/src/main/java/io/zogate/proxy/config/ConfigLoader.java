package io.zogate.proxy.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.zogate.proxy.auth.Authority;
import io.zogate.proxy.config.ProxyConfig.Auth;
import io.zogate.proxy.config.ProxyConfig.Http;
import io.zogate.proxy.config.ProxyConfig.Metrics;
import io.zogate.proxy.config.ProxyConfig.RateLimit;
import io.zogate.proxy.config.ProxyConfig.Replay;
import io.zogate.proxy.config.ProxyConfig.Sink;
import io.zogate.proxy.config.ProxyConfig.Tls;
import io.zogate.proxy.config.ProxyConfig.Upstream;
import io.zogate.proxy.config.ProxyConfig.Watch;
import io.zogate.proxy.redis.RedisConnection;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads the YAML configuration, applies {@code ZO_GATE_<PATH>} environment overrides and
 * builds a validated {@link ProxyConfig}. Every problem is a {@link ConfigException} naming
 * the key, so bad configuration stops start-up with exit 2 and never surfaces later.
 */
public final class ConfigLoader {
  static final String ENV_PREFIX = "ZO_GATE_";

  /**
   * The keys the configuration knows, as a tree. Leaves are {@code "scalar"}, {@code "list"}
   * or {@code "map"} (free-form string map). Drives both unknown-key detection and the mapping
   * of environment variable names onto paths.
   */
  private static final Map<String, Object> SCHEMA = schema();

  private static final ObjectMapper YAML =
      YAMLMapper.builder(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

  private ConfigLoader() {}

  public static ProxyConfig load(Path file, Map<String, String> env) throws ConfigException {
    JsonNode root;
    try {
      root = YAML.readTree(Files.readAllBytes(file));
    } catch (JsonProcessingException e) {
      throw new ConfigException("config " + file + ": " + e.getOriginalMessage()
          + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
    } catch (IOException e) {
      throw new ConfigException("cannot read config " + file + ": " + e.getMessage());
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      root = JsonNodeFactory.instance.objectNode();
    }
    if (!root.isObject()) {
      throw new ConfigException("config " + file + ": the top level must be a mapping");
    }
    Path base = file.toAbsolutePath().getParent();
    return build((ObjectNode) root, env, base);
  }

  /** Builds from an already parsed tree (the demo and tests use this). */
  public static ProxyConfig build(ObjectNode root, Map<String, String> env, Path baseDir)
      throws ConfigException {
    ObjectNode tree = root.deepCopy();
    applyEnvOverrides(tree, env);
    Section top = new Section(tree, "", baseDir);
    try {
      HostPort listen = top.opt("listen").map(HostPort::parse).orElse(new HostPort("127.0.0.1", 8787));
      Section http = top.section("http");
      Http httpCfg = new Http(
          http.list("allowedOrigins"),
          http.list("trustedProxies"),
          http.opt("maxBodyBytes").map(Units::bytes).orElse(1L << 20),
          http.opt("maxDepth").map(Integer::parseInt).orElse(64),
          http.opt("workers").map(Integer::parseInt).orElse(64),
          http.opt("requestReadTimeout").map(Units::duration).orElse(Duration.ofSeconds(30)));
      positive("http.maxBodyBytes", httpCfg.maxBodyBytes());
      positive("http.maxDepth", httpCfg.maxDepth());
      positive("http.workers", httpCfg.workers());
      http.done();

      Section up = top.section("upstream");
      Section upAuth = up.section("auth");
      Optional<SecretSource> bearer = upAuth.opt("bearerFile").map(p -> new SecretSource.File(base(top, p)));
      if (bearer.isEmpty()) {
        bearer = upAuth.opt("bearerEnv").map(SecretSource.Env::new);
      }
      upAuth.done();
      Upstream upstream = new Upstream(
          up.required("url", ConfigLoader::httpUri),
          up.opt("timeout").map(Units::duration).orElse(Duration.ofSeconds(30)),
          up.opt("idleTimeout").map(Units::duration).orElse(Duration.ofSeconds(60)),
          up.opt("maxStreamDuration").map(Units::duration).orElse(Duration.ofMinutes(10)),
          up.opt("maxResponseBytes").map(Units::bytes).orElse(4L << 20),
          up.opt("maxEventBytes").map(Units::bytes).orElse(1L << 20),
          up.opt("serverStreams").map(ConfigLoader::bool).orElse(false),
          bearer);
      up.done();

      Section auth = top.section("auth");
      Path keyring = auth.required("keyring", p -> base(top, p));
      List<String> authorities = new ArrayList<>();
      List<String> configured = auth.list("authorities");
      if (configured.isEmpty()) {
        configured = List.of(listen.toString());
      }
      for (String a : configured) {
        // A Host without a port means the scheme's default port, as in HTTP itself.
        authorities.add(Authority.canonicalize(a, top.has("tls") ? 443 : 80)
            .orElseThrow(() -> new IllegalArgumentException("auth.authorities: not a host[:port]: '" + a + "'")));
      }
      Section apiKey = auth.section("apiKey");
      Optional<SecretSource> apiKeySource = apiKey.opt("env").<SecretSource>map(SecretSource.Env::new)
          .or(() -> apiKey.opt("file").map(p -> new SecretSource.File(base(top, p))));
      apiKey.done();
      Auth authCfg = new Auth(keyring, authorities,
          auth.opt("maxSkew").map(Units::duration).orElse(Duration.ofSeconds(300)), apiKeySource);
      auth.done();

      Section replay = top.section("replay");
      Replay replayCfg = new Replay(
          replay.opt("store").map(s -> StoreLocation.parse(s, baseDir, false)).orElse(new StoreLocation.Memory()),
          replay.opt("capacity").map(Long::parseLong).orElse(1_000_000L));
      positive("replay.capacity", replayCfg.capacity());
      replay.done();

      Section rl = top.section("rateLimit");
      RateLimit rateLimit = new RateLimit(
          rl.opt("store").map(s -> StoreLocation.parse(s, baseDir, true)).orElse(new StoreLocation.Memory()),
          rl.opt("perClient").map(Units::rate),
          rl.opt("perKey").map(Units::rate),
          rl.opt("perActor").map(Units::rate));
      rl.done();

      Section redis = top.section("redis");
      Optional<SecretSource> redisPassword = redis.opt("passwordFile")
          .<SecretSource>map(p -> new SecretSource.File(base(top, p)));
      Optional<SecretSource> redisPasswordEnv = redis.opt("passwordEnv").map(SecretSource.Env::new);
      if (redisPassword.isPresent() && redisPasswordEnv.isPresent()) {
        throw new IllegalArgumentException("redis: set passwordFile or passwordEnv, not both");
      }
      ProxyConfig.Redis redisCfg = new ProxyConfig.Redis(
          redis.opt("timeout").map(Units::duration).orElse(RedisConnection.DEFAULT_TIMEOUT),
          redis.opt("user"),
          redisPassword.or(() -> redisPasswordEnv),
          redis.opt("poolSize").map(Integer::parseInt).orElse(RedisConnection.DEFAULT_POOL_SIZE));
      positive("redis.poolSize", redisCfg.poolSize());
      positive("redis.timeout", redisCfg.timeout().toMillis());
      redis.done();
      redisUrl("replay.store", replayCfg.store());
      redisUrl("rateLimit.store", rateLimit.store());

      Optional<Tls> tls = Optional.empty();
      if (top.has("tls")) {
        Section t = top.section("tls");
        tls = Optional.of(new Tls(
            t.required("cert", p -> base(top, p)),
            t.required("key", p -> base(top, p)),
            t.opt("clientCa").map(p -> base(top, p)),
            t.opt("requireClientCert").map(ConfigLoader::bool).orElse(false),
            t.opt("bindActorToCertificate").map(ConfigLoader::bool).orElse(false),
            t.opt("allowCnIdentity").map(ConfigLoader::bool).orElse(false)));
        t.done();
      }

      Optional<Path> policy = top.opt("policy").map(p -> base(top, p));
      Optional<StoreLocation> ledger = top.opt("ledger").map(s -> StoreLocation.parse(s, baseDir, false));

      Optional<Metrics> metrics = Optional.empty();
      if (top.has("metrics")) {
        Section m = top.section("metrics");
        Optional<Sink> sink = Optional.empty();
        if (m.has("sink")) {
          Section s = m.section("sink");
          sink = Optional.of(new Sink(
              s.required("url", ConfigLoader::httpUri),
              s.opt("interval").map(Units::duration).orElse(Duration.ofSeconds(15)),
              s.map("headers")));
          s.done();
        }
        metrics = Optional.of(new Metrics(
            m.opt("listen").map(HostPort::parse).orElse(new HostPort("127.0.0.1", 9464)),
            m.opt("path").orElse("/metrics"),
            sink));
        m.done();
      }

      Optional<Watch> watch = Optional.empty();
      if (top.has("watch")) {
        Section w = top.section("watch");
        List<Path> privileged = new ArrayList<>();
        for (String p : w.list("privileged")) {
          privileged.add(base(top, p));
        }
        watch = Optional.of(new Watch(w.required("root", p -> base(top, p)), w.required("actor", s -> s), privileged));
        w.done();
      }
      top.done();
      return new ProxyConfig(listen, httpCfg, upstream, authCfg, replayCfg, rateLimit, tls, policy,
          ledger, metrics, watch, redisCfg);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new ConfigException("config: " + e.getMessage());
    }
  }

  private static Path base(Section top, String path) {
    return top.baseDir.resolve(path).normalize();
  }

  private static void positive(String key, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(key + " must be positive, got " + value);
    }
  }

  /** A redis:// store must be {@code redis[s]://HOST[:PORT][/DB]}, with no secret in it. */
  private static void redisUrl(String key, StoreLocation store) {
    if (store instanceof StoreLocation.Redis r) {
      try {
        RedisConnection.Endpoint.validate(r.uri());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + ": " + e.getMessage());
      }
    }
  }

  private static boolean bool(String s) {
    return switch (s) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("expected true or false, got '" + s + "'");
    };
  }

  private static URI httpUri(String s) {
    try {
      URI u = new URI(s);
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
        throw new IllegalArgumentException("expected an http(s) URL, got '" + s + "'");
      }
      if (u.getRawUserInfo() != null || u.getRawFragment() != null) {
        throw new IllegalArgumentException("a URL with user info or a fragment is not allowed: '" + s + "'");
      }
      return u;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL: '" + s + "'");
    }
  }

  /**
   * Applies {@code ZO_GATE_<PATH>} variables: the rest of the name, split at {@code _}, is
   * matched against the schema case-insensitively, a key's camel-case words either run
   * together or split by {@code _} ({@code ZO_GATE_UPSTREAM_MAXSKEW} and
   * {@code ZO_GATE_UPSTREAM_MAX_SKEW} both work). Names that match no key are ignored, since
   * the prefix is also used for secrets such as {@code ZO_GATE_API_KEY}. Lists are given as a
   * YAML flow sequence ({@code ["a","b"]}) or comma-separated.
   */
  static void applyEnvOverrides(ObjectNode tree, Map<String, String> env) throws ConfigException {
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(env).entrySet()) {
      if (!e.getKey().startsWith(ENV_PREFIX)) {
        continue;
      }
      List<String> tokens = List.of(e.getKey().substring(ENV_PREFIX.length()).split("_", -1));
      List<String> path = new ArrayList<>();
      Object leaf = resolve(SCHEMA, tokens, 0, path);
      if (leaf == null) {
        continue;
      }
      ObjectNode node = tree;
      for (int i = 0; i < path.size() - 1; i++) {
        JsonNode child = node.get(path.get(i));
        if (child == null || !child.isObject()) {
          child = node.putObject(path.get(i));
        }
        node = (ObjectNode) child;
      }
      String key = path.get(path.size() - 1);
      String value = e.getValue();
      if ("list".equals(leaf) || "map".equals(leaf)) {
        try {
          JsonNode parsed = YAML.readTree(value.trim().startsWith("[") || value.trim().startsWith("{")
              ? value : "[" + value + "]");
          node.set(key, parsed);
        } catch (JsonProcessingException ex) {
          throw new ConfigException(e.getKey() + ": not a list: " + ex.getOriginalMessage());
        }
      } else {
        node.set(key, TextNode.valueOf(value));
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Object resolve(Map<String, Object> schema, List<String> tokens, int from, List<String> path) {
    StringBuilder joined = new StringBuilder();
    for (int i = from; i < tokens.size(); i++) {
      joined.append(tokens.get(i).toUpperCase(Locale.ROOT));
      for (Map.Entry<String, Object> k : schema.entrySet()) {
        if (!k.getKey().toUpperCase(Locale.ROOT).contentEquals(joined)) {
          continue;
        }
        path.add(k.getKey());
        if (k.getValue() instanceof Map<?, ?> sub) {
          if (i + 1 < tokens.size()) {
            Object leaf = resolve((Map<String, Object>) sub, tokens, i + 1, path);
            if (leaf != null) {
              return leaf;
            }
          }
        } else if (i + 1 == tokens.size()) {
          return k.getValue();
        }
        path.remove(path.size() - 1);
      }
    }
    return null;
  }

  private static Map<String, Object> schema() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("listen", "scalar");
    s.put("http", Map.of("allowedOrigins", "list", "trustedProxies", "list", "maxBodyBytes", "scalar",
        "maxDepth", "scalar", "workers", "scalar", "requestReadTimeout", "scalar"));
    Map<String, Object> up = new LinkedHashMap<>();
    for (String k : List.of("url", "timeout", "idleTimeout", "maxStreamDuration", "maxResponseBytes",
        "maxEventBytes", "serverStreams")) {
      up.put(k, "scalar");
    }
    up.put("auth", Map.of("bearerFile", "scalar", "bearerEnv", "scalar"));
    s.put("upstream", up);
    s.put("auth", Map.of("keyring", "scalar", "authorities", "list", "maxSkew", "scalar",
        "apiKey", Map.of("env", "scalar", "file", "scalar")));
    s.put("replay", Map.of("store", "scalar", "capacity", "scalar"));
    s.put("rateLimit", Map.of("store", "scalar", "perClient", "scalar", "perKey", "scalar", "perActor", "scalar"));
    s.put("redis", Map.of("timeout", "scalar", "user", "scalar", "passwordFile", "scalar",
        "passwordEnv", "scalar", "poolSize", "scalar"));
    s.put("tls", Map.of("cert", "scalar", "key", "scalar", "clientCa", "scalar", "requireClientCert", "scalar",
        "bindActorToCertificate", "scalar", "allowCnIdentity", "scalar"));
    s.put("policy", "scalar");
    s.put("ledger", "scalar");
    s.put("metrics", Map.of("listen", "scalar", "path", "scalar",
        "sink", Map.of("url", "scalar", "interval", "scalar", "headers", "map")));
    s.put("watch", Map.of("root", "scalar", "actor", "scalar", "privileged", "list"));
    return s;
  }

  /** One mapping of the tree; remembers which keys were read so unknown ones can be named. */
  private static final class Section {
    private final JsonNode node;
    private final String prefix;
    private final Path baseDir;
    private final Set<String> seen = new LinkedHashSet<>();

    Section(JsonNode node, String prefix, Path baseDir) {
      this.node = node;
      this.prefix = prefix;
      this.baseDir = baseDir;
      if (node != null && !node.isObject()) {
        throw new IllegalArgumentException(name("") + " must be a mapping");
      }
    }

    private String name(String key) {
      return prefix.isEmpty() ? (key.isEmpty() ? "config" : key) : (key.isEmpty() ? prefix : prefix + "." + key);
    }

    boolean has(String key) {
      return node != null && node.has(key) && !node.get(key).isNull();
    }

    Section section(String key) {
      seen.add(key);
      JsonNode child = node == null ? null : node.get(key);
      return new Section(child == null || child.isNull() ? null : child, name(key), baseDir);
    }

    Optional<String> opt(String key) {
      seen.add(key);
      if (!has(key)) {
        return Optional.empty();
      }
      JsonNode v = node.get(key);
      if (!v.isValueNode()) {
        throw new IllegalArgumentException(name(key) + " must be a single value");
      }
      return Optional.of(v.asText());
    }

    <T> T required(String key, Function<String, T> parse) {
      String v = opt(key).orElseThrow(() -> new IllegalArgumentException(name(key) + " is required"));
      try {
        return parse.apply(v);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(name(key) + ": " + e.getMessage());
      }
    }

    List<String> list(String key) {
      seen.add(key);
      if (!has(key)) {
        return List.of();
      }
      JsonNode v = node.get(key);
      if (!v.isArray()) {
        throw new IllegalArgumentException(name(key) + " must be a list");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode item : v) {
        if (!item.isValueNode() || item.isNull()) {
          throw new IllegalArgumentException(name(key) + " must hold plain values");
        }
        out.add(item.asText());
      }
      return out;
    }

    Map<String, String> map(String key) {
      seen.add(key);
      if (!has(key)) {
        return Map.of();
      }
      JsonNode v = node.get(key);
      if (!v.isObject()) {
        throw new IllegalArgumentException(name(key) + " must be a mapping");
      }
      Map<String, String> out = new LinkedHashMap<>();
      v.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().asText()));
      return out;
    }

    /** Every key of this mapping must have been read: an unknown key stops start-up. */
    void done() {
      if (node == null) {
        return;
      }
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!seen.contains(k)) {
          throw new IllegalArgumentException("unknown key " + name(k));
        }
      }
    }
  }
}
