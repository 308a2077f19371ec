package io.zogate.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.zogate.proxy.governance.Action;
import io.zogate.proxy.governance.ActionKind;
import io.zogate.proxy.governance.Decision;
import io.zogate.proxy.governance.Policy;
import io.zogate.proxy.governance.PolicyFile;
import io.zogate.proxy.traffic.LimitRate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files in {@code deploy/} are loaded by the same code the proxy uses, so the examples an
 * operator copies cannot drift from what start-up accepts: the config (as shipped, and with its
 * commented-out sections switched on) with no unknown keys, the policy, the env file's
 * overrides, and the systemd units' hardening and paths. No systemd is needed here.
 */
class DeployExamplesTest {
  static final Path DEPLOY = locate();

  /** "#" directly followed by YAML (a key or indentation): a commented-out setting, not prose. */
  static final Pattern COMMENTED_SETTING = Pattern.compile("(?m)^(\\s*)#(?=[A-Za-z]+:|  )");

  @TempDir Path tmp;

  static Path locate() {
    for (Path p : List.of(Path.of("deploy"), Path.of("..", "deploy"))) {
      if (Files.isDirectory(p)) {
        return p.toAbsolutePath().normalize();
      }
    }
    throw new IllegalStateException("deploy/ not found from " + Path.of("").toAbsolutePath());
  }

  static String read(String name) throws Exception {
    return Files.readString(DEPLOY.resolve(name), StandardCharsets.UTF_8);
  }

  static Map<String, String> env() {
    return Map.of("ZO_GATE_API_KEY", "test-api-key");
  }

  ProxyConfig load(String yaml, Map<String, String> env) throws Exception {
    Path file = tmp.resolve("zo-gate.yaml");
    Files.writeString(file, yaml);
    return ConfigLoader.load(file, env);
  }

  @Test
  void theExampleConfigLoadsAsShipped() throws Exception {
    ProxyConfig cfg = load(read("zo-gate.yaml"), env());
    assertThat(cfg.listen()).isEqualTo(new HostPort("127.0.0.1", 8787));
    assertThat(cfg.auth().keyring()).isEqualTo(Path.of("/etc/zo-gate/keys/keyring.json"));
    assertThat(cfg.auth().apiKey()).contains(new SecretSource.Env("ZO_GATE_API_KEY"));
    assertThat(cfg.replay().store()).isEqualTo(new StoreLocation.Sqlite(Path.of("/var/lib/zo-gate/replay.db")));
    assertThat(cfg.rateLimit().store()).isEqualTo(new StoreLocation.Sqlite(Path.of("/var/lib/zo-gate/ratelimit.db")));
    assertThat(cfg.rateLimit().perActor()).contains(new LimitRate(120, java.time.Duration.ofSeconds(60)));
    assertThat(cfg.ledger()).contains(new StoreLocation.Sqlite(Path.of("/var/lib/zo-gate/ledger.db")));
    assertThat(cfg.policy()).contains(Path.of("/etc/zo-gate/policy.yaml"));
    assertThat(cfg.metrics()).isPresent();
    assertThat(cfg.tls()).isEmpty();
    assertThat(cfg.watch()).isPresent();
    assertThat(cfg.watch().get().root()).isEqualTo(Path.of("/home/zo/workspace"));
    // Every state file lives in the units' one writable directory.
    assertThat(List.of(cfg.replay().store(), cfg.rateLimit().store(), cfg.ledger().get()))
        .allSatisfy(s -> assertThat(((StoreLocation.Sqlite) s).file()).startsWithRaw(Path.of("/var/lib/zo-gate")));
  }

  @Test
  void theCommentedOutSettingsLoadTooAndEverySectionIsShown() throws Exception {
    String shipped = read("zo-gate.yaml");
    String uncommented = COMMENTED_SETTING.matcher(shipped).replaceAll("$1");
    assertThat(uncommented).isNotEqualTo(shipped).contains("\ntls:\n");
    ProxyConfig cfg = load(uncommented, env());
    assertThat(cfg.tls()).isPresent();
    assertThat(cfg.tls().get().bindActorToCertificate()).isTrue();
    assertThat(cfg.upstream().bearer()).contains(new SecretSource.File(Path.of("/etc/zo-gate/upstream.token")));
    assertThat(cfg.metrics().get().sink()).isPresent();

    JsonNode tree = new ObjectMapper(new YAMLFactory()).readTree(uncommented);
    Set<String> sections = new TreeSet<>();
    tree.fieldNames().forEachRemaining(sections::add);
    assertThat(sections).containsExactlyInAnyOrder("listen", "http", "upstream", "auth", "replay", "rateLimit",
        "tls", "policy", "ledger", "metrics", "watch");
  }

  @Test
  void theEnvFileIsKeyValueAndItsOverridesApply() throws Exception {
    Map<String, String> vars = new LinkedHashMap<>();
    for (String line : read("zo-gate.env").lines().toList()) {
      String l = line.strip();
      if (l.isEmpty()) {
        continue;
      }
      if (l.startsWith("#")) {
        if (l.startsWith("#ZO_GATE_") || l.startsWith("#JAVA_")) { // commented-out examples
          l = l.substring(1);
        } else {
          continue;
        }
      }
      assertThat(l).as("systemd EnvironmentFile line").matches("[A-Z][A-Z0-9_]*=.*").doesNotStartWith("export ");
      vars.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
    }
    assertThat(vars).containsKey("ZO_GATE_API_KEY");
    assertThat(vars.get("ZO_GATE_API_KEY")).as("ships without a usable key").isEmpty();
    Map<String, String> env = new HashMap<>(vars);
    env.put("ZO_GATE_API_KEY", "test-api-key");
    String uncommented = COMMENTED_SETTING.matcher(read("zo-gate.yaml")).replaceAll("$1");
    ProxyConfig cfg = load(uncommented, env);
    assertThat(cfg.metrics().get().sink().get().headers()).containsKey("Authorization");
    assertThat(cfg.auth().authorities()).isNotEmpty();
  }

  @Test
  void theExamplePolicyLoadsAndDecidesAsItsCommentsSay() throws Exception {
    Policy policy = PolicyFile.load(DEPLOY.resolve("policy.yaml"));
    String alice = "did:zo:agent:alice";
    assertThat(decide(policy, new Action(alice, ActionKind.READ, "initialize", "", List.of()))).isEqualTo("allow");
    assertThat(decide(policy, new Action(alice, ActionKind.READ, "tools/list", "", List.of()))).isEqualTo("allow");
    assertThat(decide(policy, new Action(alice, ActionKind.OTHER, "notifications/initialized", "", List.of())))
        .isEqualTo("allow");
    assertThat(decide(policy, new Action(alice, ActionKind.READ, "tools/call", "read_file", List.of("/workspace/a.txt"))))
        .isEqualTo("allow");
    assertThat(decide(policy, new Action(alice, ActionKind.READ, "tools/call", "read_file", List.of("/etc/shadow"))))
        .isEqualTo("deny");
    assertThat(decide(policy, new Action(alice, ActionKind.READ, "tools/call", "read_file",
        List.of("/workspace/../etc/passwd")))).isEqualTo("deny");
    assertThat(decide(policy, new Action(alice, ActionKind.WRITE, "tools/call", "write_file", List.of("/workspace/a"))))
        .isEqualTo("allow");
    assertThat(decide(policy, new Action(alice, ActionKind.WRITE, "tools/call", "write_file", List.of("/srv/a"))))
        .isEqualTo("deny");
    assertThat(decide(policy, new Action(alice, ActionKind.WRITE, "tools/call", "write_file",
        List.of("/workspace/.ssh/authorized_keys")))).isEqualTo("deny");
    assertThat(decide(policy, new Action(alice, ActionKind.EXECUTE, "tools/call", "run_command", List.of())))
        .isEqualTo("escalate");
    assertThat(decide(policy, new Action(alice, ActionKind.NETWORK, "tools/call", "fetch_url", List.of())))
        .isEqualTo("escalate");
    assertThat(decide(policy, new Action("did:zo:svc:x", ActionKind.WRITE, "tools/call", "write_file",
        List.of("/workspace/a")))).isEqualTo("deny"); // not an agent: default
    String fallback = "did:zo:ssh:fallback";
    assertThat(decide(policy, new Action(fallback, ActionKind.WRITE, "fs/change", "", List.of("/home/zo/workspace/x"))))
        .isEqualTo("allow");
    assertThat(decide(policy, new Action(fallback, ActionKind.WRITE, "fs/change", "",
        List.of("/home/zo/workspace/.ssh/authorized_keys")))).isEqualTo("deny");
    assertThat(decide(policy, new Action(fallback, ActionKind.WRITE, "fs/change", "",
        List.of("/home/zo/workspace/app/.env")))).isEqualTo("deny");
  }

  static String decide(Policy policy, Action action) {
    Decision d = policy.decide(action);
    return d.verdict().name().toLowerCase(java.util.Locale.ROOT);
  }

  /** systemd unit file: section -> key -> values (a key may repeat). */
  static Map<String, List<String>> directives(String unit) throws Exception {
    Map<String, List<String>> out = new LinkedHashMap<>();
    String section = "";
    for (String raw : read(unit).lines().toList()) {
      String l = raw.strip();
      if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) {
        continue;
      }
      if (l.startsWith("[")) {
        section = l.substring(1, l.indexOf(']'));
        continue;
      }
      String key = section + "." + l.substring(0, l.indexOf('=')).strip();
      out.computeIfAbsent(key, k -> new java.util.ArrayList<>()).add(l.substring(l.indexOf('=') + 1).strip());
    }
    return out;
  }

  @Test
  void theUnitsCarryTheHardeningAndPointAtTheExampleFiles() throws Exception {
    for (String unit : List.of("zo-gate.service", "zo-gate-watch.service")) {
      Map<String, List<String>> d = directives(unit);
      Map<String, String> expected = new LinkedHashMap<>();
      expected.put("Service.User", "zo-gate");
      expected.put("Service.Group", "zo-gate");
      expected.put("Service.NoNewPrivileges", "yes");
      expected.put("Service.ProtectSystem", "strict");
      expected.put("Service.PrivateTmp", "yes");
      expected.put("Service.PrivateDevices", "yes");
      expected.put("Service.ProtectKernelTunables", "yes");
      expected.put("Service.ProtectKernelModules", "yes");
      expected.put("Service.ProtectControlGroups", "yes");
      expected.put("Service.RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX");
      expected.put("Service.CapabilityBoundingSet", "");
      expected.put("Service.StateDirectory", "zo-gate");
      expected.put("Service.ReadWritePaths", "/var/lib/zo-gate");
      expected.put("Service.Restart", "on-failure");
      expected.put("Service.RestartPreventExitStatus", "2");
      expected.put("Service.EnvironmentFile", "-/etc/zo-gate/zo-gate.env");
      for (Map.Entry<String, String> e : expected.entrySet()) {
        assertThat(d.get(e.getKey())).as(unit + " " + e.getKey()).containsExactly(e.getValue());
      }
      assertThat(d.get("Service.SystemCallFilter")).as(unit).contains("@system-service");
      assertThat(d).as(unit).containsKeys("Service.RestartSec", "Service.LimitNOFILE", "Install.WantedBy");
      assertThat(d).as(unit + ": the JVM's JIT needs W+X memory").doesNotContainKey("Service.MemoryDenyWriteExecute");
      // Nothing else writable: no second ReadWritePaths, no writable bind mounts.
      assertThat(d).as(unit).doesNotContainKeys("Service.BindPaths", "Service.DynamicUser");
    }
    String command = "/usr/bin/java -jar /opt/zo-gate/zo-gate.jar %s --config /etc/zo-gate/zo-gate.yaml";
    Map<String, List<String>> serve = directives("zo-gate.service");
    Map<String, List<String>> watch = directives("zo-gate-watch.service");
    assertThat(serve.get("Service.ExecStart")).containsExactly(command.formatted("serve"));
    assertThat(watch.get("Service.ExecStart")).containsExactly(command.formatted("watch"));
    assertThat(serve.get("Service.ProtectHome")).containsExactly("yes");
    // The watcher sees exactly its tree, read-only, and it is the tree the config names.
    ProxyConfig cfg = load(read("zo-gate.yaml"), env());
    assertThat(watch.get("Service.ProtectHome")).containsExactly("tmpfs");
    assertThat(watch.get("Service.BindReadOnlyPaths"))
        .containsExactly(cfg.watch().get().root().toString());
    assertThat(cfg.watch().get().privileged()).allSatisfy(p -> assertThat(p).startsWithRaw(cfg.watch().get().root()));
  }

  @Test
  void theReadmeNamesEveryFileItInstalls() throws Exception {
    String readme = read("README.md");
    Set<String> files = Files.list(DEPLOY).map(p -> p.getFileName().toString())
        .filter(n -> !n.equals("README.md")).collect(Collectors.toSet());
    assertThat(files).containsExactlyInAnyOrder("zo-gate.service", "zo-gate-watch.service", "zo-gate.yaml",
        "policy.yaml", "zo-gate.env");
    assertThat(files).allSatisfy(f -> assertThat(readme).contains(f));
    assertThat(readme).contains("systemd-analyze verify");
  }
}
