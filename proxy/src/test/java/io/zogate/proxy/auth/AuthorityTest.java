package io.zogate.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AuthorityTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "127.0.0.1:8787        | 127.0.0.1:8787",
      "127.0.0.1             | 127.0.0.1:443",
      "LOCALHOST:8787        | localhost:8787",
      "Example.COM.          | example.com:443",
      "example.com.:80       | example.com:80",
      "my_service:9000       | my_service:9000",
      "[::1]:8787            | [::1]:8787",
      "[::1]                 | [::1]:443",
      "[2001:DB8::1]:1       | [2001:db8::1]:1",
      "[2001:0db8:0000:0000:0000:0000:0000:0001]:65535 | [2001:db8::1]:65535",
      "[2001:db8:0:0:1:0:0:1] | [2001:db8::1:0:0:1]:443",
      "[2001:db8:0:1:1:1:1:1] | [2001:db8:0:1:1:1:1:1]:443",
      "[0:0:0:0:0:0:0:0]     | [::]:443",
      "[::ffff:7F00:1]       | [::ffff:127.0.0.1]:443",
      "[::ffff:127.0.0.1]:80 | [::ffff:127.0.0.1]:80",
      "[1:2:3:4:5:6:7::]     | [1:2:3:4:5:6:7:0]:443",
      "[1::4:0:0:0:8]        | [1:0:0:4::8]:443",
      "[64:ff9b::192.0.2.33] | [64:ff9b::c000:221]:443",
  })
  void canonicalForms(String input, String expected) {
    assertThat(Authority.canonicalize(input, 443)).contains(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", " ", " example.com", "example.com ", "user@example.com", "user:pw@example.com:80",
      "example.com/path", "example.com:0", "example.com:65536", "example.com:", "example.com:080",
      "example.com:8a", "::1", "::1:80", "[::1", "[::1]x", "[::1]:", "[fe80::1%25eth0]",
      "[fe80::1%eth0]", "[v1.fe]", "[1:2:3:4:5:6:7:8:9]", "[1::2::3]", "[:1:2]", "[12345::]",
      "[1:2:3:4:5:6:7:8::]", "[::1.2.3]", "ex%61mple.com", "exa mple.com", "127.1", "0x7f.0.0.1",
      "127.000.0.1", "256.0.0.1", "1.2.3.4.5", "1.2.3.4.", "foo.123", "..", ".", "a..b",
      "-a.example", "a-.example", "ex\u00e4mple.com", "example.com\r", "*.example.com",
      "[::ffff:1.2.3.04]", "[\uff11::]",
  })
  void rejected(String input) {
    assertThat(Authority.canonicalize(input, 443)).as(input).isEqualTo(Optional.empty());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a.example:8787", "[2001:db8::1]:443", "10.0.0.1:1"})
  void canonicalFormIsAFixedPoint(String canonical) {
    assertThat(Authority.canonicalize(canonical, 80)).contains(canonical);
  }

  @org.junit.jupiter.api.Test
  void labelAndNameLengthLimits() {
    String label63 = "a".repeat(63);
    assertThat(Authority.canonicalize(label63 + ".example", 80)).isPresent();
    assertThat(Authority.canonicalize("a".repeat(64) + ".example", 80)).isEmpty();
    String name253 = (label63 + ".").repeat(3) + "a".repeat(61);
    assertThat(name253).hasSize(253);
    assertThat(Authority.canonicalize(name253, 80)).isPresent();
    assertThat(Authority.canonicalize(name253 + "a", 80)).isEmpty();
  }
}
