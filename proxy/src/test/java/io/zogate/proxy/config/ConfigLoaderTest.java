package io.zogate.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private Path write(String yaml) throws IOException {
    Path p = dir.resolve("zo-gate.yaml");
    Files.writeString(p, yaml);
    return p;
  }

  private static final String MINIMAL = """
      upstream: { url: http://127.0.0.1:9000/mcp }
      auth: { keyring: keyring.json }
      """;

  @Test
  void minimalConfigGetsTheContractDefaults() throws Exception {
    ProxyConfig c = ConfigLoader.load(write(MINIMAL), Map.of());
    assertThat(c.listen()).isEqualTo(new HostPort("127.0.0.1", 8787));
    assertThat(c.auth().authorities()).containsExactly("127.0.0.1:8787");
    assertThat(c.auth().maxSkew()).isEqualTo(Duration.ofSeconds(300));
    assertThat(c.auth().keyring()).isEqualTo(dir.resolve("keyring.json"));
    assertThat(c.upstream().timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.upstream().idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.upstream().maxStreamDuration()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.upstream().maxResponseBytes()).isEqualTo(4L << 20);
    assertThat(c.upstream().maxEventBytes()).isEqualTo(1L << 20);
    assertThat(c.upstream().serverStreams()).isFalse();
    assertThat(c.http().maxBodyBytes()).isEqualTo(1L << 20);
    assertThat(c.http().maxDepth()).isEqualTo(64);
    assertThat(c.http().allowedOrigins()).isEmpty();
    assertThat(c.replay().store()).isEqualTo(new StoreLocation.Memory());
    assertThat(c.replay().capacity()).isEqualTo(1_000_000L);
  }

  @Test
  void theContractsFullExampleLoads() throws Exception {
    ProxyConfig c = ConfigLoader.load(write("""
        listen: 127.0.0.1:8787
        http: { allowedOrigins: [], trustedProxies: [] }
        upstream:
          url: http://127.0.0.1:9000/mcp
          timeout: 30s
          idleTimeout: 60s
          maxStreamDuration: 10m
          maxResponseBytes: 4MiB
          maxEventBytes: 1MiB
          serverStreams: false
          auth: { bearerFile: /etc/zo-gate/upstream.token }
        auth:
          keyring: /etc/zo-gate/keyring.json
          authorities: ["127.0.0.1:8787"]
          maxSkew: 300s
          apiKey: { env: ZO_GATE_API_KEY }
        replay: { store: sqlite:/var/lib/zo-gate/replay.db, capacity: 1000000 }
        rateLimit:
          store: sqlite:/var/lib/zo-gate/ratelimit.db
          perClient: 600/60s
          perKey: 1200/60s
          perActor: 120/60s
        tls: { cert: c.pem, key: k.pem, clientCa: ca.pem, requireClientCert: true, bindActorToCertificate: true, allowCnIdentity: false }
        policy: /etc/zo-gate/policy.yaml
        ledger: sqlite:/var/lib/zo-gate/ledger.db
        metrics: { listen: 127.0.0.1:9464, path: /metrics, sink: { url: "http://127.0.0.1:9999/push", interval: 15s, headers: { X-Token: abc } } }
        watch: { root: /home/zo/workspace, actor: did:zo:ssh:fallback, privileged: [/home/zo/workspace/.ssh] }
        """), Map.of());
    assertThat(c.replay().store()).isEqualTo(new StoreLocation.Sqlite(Path.of("/var/lib/zo-gate/replay.db")));
    assertThat(c.rateLimit().perActor().orElseThrow()).isEqualTo(io.zogate.proxy.traffic.LimitRate.of(120, Duration.ofSeconds(60)));
    assertThat(c.auth().apiKey()).contains(new SecretSource.Env("ZO_GATE_API_KEY"));
    assertThat(c.upstream().bearer()).contains(new SecretSource.File(Path.of("/etc/zo-gate/upstream.token")));
    assertThat(c.tls().orElseThrow().bindActorToCertificate()).isTrue();
    assertThat(c.metrics().orElseThrow().sink().orElseThrow().headers()).containsEntry("X-Token", "abc");
    assertThat(c.watch().orElseThrow().actor()).isEqualTo("did:zo:ssh:fallback");
  }

  @Test
  void unknownKeysStopStartUpAndAreNamed() throws IOException {
    assertThatThrownBy(() -> ConfigLoader.load(write(MINIMAL + "upstrem: {}\n"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key upstrem");
    assertThatThrownBy(() -> ConfigLoader.load(write("""
        upstream: { url: http://127.0.0.1:9000/mcp, timout: 3s }
        auth: { keyring: k.json }
        """), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key upstream.timout");
  }

  @Test
  void badValuesAreNamedWithTheirKey() throws IOException {
    assertThatThrownBy(() -> ConfigLoader.load(write(MINIMAL + "replay: { store: postgres://x }\n"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("expected memory");
    assertThatThrownBy(() -> ConfigLoader.load(write("""
        upstream: { url: "ftp://x/mcp" }
        auth: { keyring: k.json }
        """), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("upstream.url");
    assertThatThrownBy(() -> ConfigLoader.load(write("auth: { keyring: k.json }\n"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("upstream.url is required");
    assertThatThrownBy(() -> ConfigLoader.load(write(MINIMAL.replace("keyring.json }", "keyring.json, maxSkew: five }")), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("duration");
    assertThatThrownBy(() -> ConfigLoader.load(write(MINIMAL + "upstream: {}\n"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("line");
  }

  @Test
  void environmentOverridesAnyKey() throws Exception {
    ProxyConfig c = ConfigLoader.load(write(MINIMAL), Map.of(
        "ZO_GATE_UPSTREAM_URL", "http://127.0.0.1:9100/mcp",
        "ZO_GATE_UPSTREAM_MAX_RESPONSE_BYTES", "2MiB",
        "ZO_GATE_AUTH_MAXSKEW", "60s",
        "ZO_GATE_HTTP_ALLOWEDORIGINS", "https://a.example, https://b.example",
        "ZO_GATE_API_KEY", "not-a-path-so-ignored",
        "HOME", "/root"));
    assertThat(c.upstream().url().toString()).isEqualTo("http://127.0.0.1:9100/mcp");
    assertThat(c.upstream().maxResponseBytes()).isEqualTo(2L << 20);
    assertThat(c.auth().maxSkew()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.http().allowedOrigins()).containsExactly("https://a.example", "https://b.example");
  }

  @Test
  void authoritiesAreCanonicalised() throws Exception {
    ProxyConfig c = ConfigLoader.load(write(MINIMAL.replace("keyring.json }",
        "keyring.json, authorities: [\"Gate.Example.COM.\", \"[0:0::1]:8787\"] }")), Map.of());
    assertThat(c.auth().authorities()).containsExactly("gate.example.com:80", "[::1]:8787");
  }

  @Test
  void unitsParse() {
    assertThat(Units.duration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Units.bytes("512KiB")).isEqualTo(512L * 1024);
    assertThat(Units.bytes("17")).isEqualTo(17L);
    assertThat(Units.rate("600/60s")).isEqualTo(io.zogate.proxy.traffic.LimitRate.of(600, Duration.ofSeconds(60)));
    assertThatThrownBy(() -> Units.duration("10")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Units.bytes("4MB")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Units.rate("0/60s")).isInstanceOf(IllegalArgumentException.class);
  }
}
