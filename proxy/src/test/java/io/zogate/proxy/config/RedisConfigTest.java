package io.zogate.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.server.Gateway;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code redis:} section and redis:// store URLs (docs/CONFIG.md). */
class RedisConfigTest {
  @TempDir Path dir;

  private static final String MINIMAL = """
      upstream: { url: http://127.0.0.1:9000/mcp }
      auth: { keyring: keyring.json }
      """;

  private ProxyConfig load(String yaml, Map<String, String> env) throws Exception {
    Path p = dir.resolve("zo-gate.yaml");
    Files.writeString(p, MINIMAL + yaml);
    return ConfigLoader.load(p, env);
  }

  @Test
  void redisStoresAndTheSharedSectionLoad() throws Exception {
    ProxyConfig c = load("""
        replay: { store: "redis://10.0.0.5:6380/2" }
        rateLimit: { store: "rediss://redis.internal/0", perActor: 10/1s }
        redis: { timeout: 350ms, user: zo-gate, passwordFile: redis.password, poolSize: 8 }
        """, Map.of());
    assertThat(c.replay().store()).isInstanceOf(StoreLocation.Redis.class);
    assertThat(c.rateLimit().store()).isInstanceOf(StoreLocation.Redis.class);
    assertThat(c.redis().timeout()).isEqualTo(Duration.ofMillis(350));
    assertThat(c.redis().user()).contains("zo-gate");
    assertThat(c.redis().password()).contains(new SecretSource.File(dir.resolve("redis.password")));
    assertThat(c.redis().poolSize()).isEqualTo(8);
    ProxyConfig defaults = load("", Map.of());
    assertThat(defaults.redis().timeout()).isEqualTo(Duration.ofMillis(200));
    assertThat(defaults.redis().password()).isEmpty();
  }

  @Test
  void environmentOverridesReachTheRedisSection() throws Exception {
    ProxyConfig c = load("", Map.of("ZO_GATE_REDIS_TIMEOUT", "1s",
        "ZO_GATE_REDIS_PASSWORD_ENV", "REDIS_PW", "ZO_GATE_REPLAY_STORE", "redis://127.0.0.1:1/0"));
    assertThat(c.redis().timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.redis().password()).contains(new SecretSource.Env("REDIS_PW"));
    assertThat(c.replay().store()).isInstanceOf(StoreLocation.Redis.class);
  }

  @Test
  void secretsInTheUrlAndOtherBadShapesStopStartUp() {
    assertThatThrownBy(() -> load("replay: { store: \"redis://:hunter2@127.0.0.1:6379/0\" }\n", Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("replay.store")
        .hasMessageContaining("passwordFile").hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> load("rateLimit: { store: \"redis://127.0.0.1:6379/x\" }\n", Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("rateLimit.store");
    assertThatThrownBy(() -> load("redis: { passwordFile: a, passwordEnv: B }\n", Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("not both");
    assertThatThrownBy(() -> load("redis: { timout: 1s }\n", Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key redis.timout");
  }

  @Test
  void anUnreachableRedisStopsStartUpAsAConfigurationError() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Files.writeString(dir.resolve("keyring.json"), "{ \"keys\": [] }");
    ProxyConfig c = load("replay: { store: \"redis://127.0.0.1:" + port + "/0\" }\n", Map.of());
    assertThatThrownBy(() -> Gateway.open(c, Map.of(), Optional.empty()).close())
        .isInstanceOf(ConfigException.class).hasMessageContaining("replay.store");
  }

}
