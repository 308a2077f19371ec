package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadingKeyringTest {
  @TempDir Path dir;

  @Test
  void picksUpAChangeAndKeepsTheOldKeyringOnABrokenFile() throws Exception {
    Path path = dir.resolve("keyring.json");
    Keyring first = Keyring.of(List.of(ActorKey.generateHmac("k1", List.of("a"))));
    KeyringFile.write(path, first);
    try (ReloadingKeyring reloading = new ReloadingKeyring(path, Duration.ofMillis(50))) {
      assertThat(reloading.get().find("k1")).isPresent();

      KeyringFile.write(path, first.with(ActorKey.generateHmac("k2", List.of("b"))));
      await().atMost(Duration.ofSeconds(5)).until(() -> reloading.get().find("k2").isPresent());
      Keyring second = reloading.get();

      Files.write(path, "{\"keys\": [ {\"kid\": \"broken\"".getBytes(StandardCharsets.UTF_8));
      reloading.poll(); // deterministic: the broken content has been seen
      Thread.sleep(200); // and the timer has had several chances to act on it too
      assertThat(reloading.get()).isSameAs(second);

      KeyringFile.write(path, Keyring.of(List.of(ActorKey.generateHmac("k3", List.of("c")))));
      await().atMost(Duration.ofSeconds(5)).until(() -> reloading.get().find("k3").isPresent());
      assertThat(reloading.get().find("k1")).isEmpty();
    }
  }

  @Test
  void aBadFileAtStartUpIsAnError() throws Exception {
    Path path = dir.resolve("keyring.json");
    Files.write(path, "{}".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> new ReloadingKeyring(path)).isInstanceOf(KeyringException.class);
  }
}
