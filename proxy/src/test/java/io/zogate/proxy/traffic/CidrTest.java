package io.zogate.proxy.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class CidrTest {

  private static InetAddress ip(String s) {
    InetAddress a = IpLiterals.parse(s);
    assertThat(a).as(s).isNotNull();
    return a;
  }

  @Test
  void ipv4() {
    Cidr c = Cidr.parse("10.0.0.0/8");
    assertThat(c.contains(ip("10.255.1.2"))).isTrue();
    assertThat(c.contains(ip("11.0.0.0"))).isFalse();
    assertThat(c.contains(ip("::ffff:10.1.1.1"))).isTrue(); // mapped reads as IPv4
    assertThat(c.contains(ip("::a00:1"))).isFalse(); // IPv6, not IPv4
    assertThat(Cidr.parse("0.0.0.0/0").contains(ip("203.0.113.9"))).isTrue();
    assertThat(Cidr.parse("192.0.2.7").contains(ip("192.0.2.7"))).isTrue();
    assertThat(Cidr.parse("192.0.2.7").contains(ip("192.0.2.8"))).isFalse();
    assertThat(Cidr.parse("172.16.0.0/12").toString()).isEqualTo("172.16.0.0/12");
  }

  @Test
  void ipv6() {
    assertThat(Cidr.parse("::1/128").contains(ip("::1"))).isTrue();
    assertThat(Cidr.parse("::1/128").contains(ip("::2"))).isFalse();
    Cidr c = Cidr.parse("2001:db8::/32");
    assertThat(c.contains(ip("2001:db8:ffff::1"))).isTrue();
    assertThat(c.contains(ip("2001:db9::1"))).isFalse();
    assertThat(c.contains(ip("127.0.0.1"))).isFalse();
    assertThat(Cidr.parse("fc00::/7").contains(ip("fdff::1"))).isTrue();
    assertThatThrownBy(() -> Cidr.parse("fd00::/7")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesWhatIsNotALiteralNetwork() {
    for (String bad : new String[] {"10.0.0.1/8", "10.0.0.0/33", "::1/129", "10.0.0.0/", "/8",
        "localhost", "example.com/24", "10.0.0.0/08", "010.0.0.0/8", "1.2.3/24", "1.2.3.4.5",
        "fe80::1%eth0/128", "10.0.0.0/-1", ""}) {
      assertThatThrownBy(() -> Cidr.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> Cidr.parse("10.0.0.1/8")).hasMessageContaining("10.0.0.0/8");
  }

  @Test
  void forwardedElementsMayCarryPortsAndBrackets() {
    assertThat(IpLiterals.parseForwarded("192.0.2.1:4711")).isEqualTo(ip("192.0.2.1"));
    assertThat(IpLiterals.parseForwarded("[2001:db8::1]:443")).isEqualTo(ip("2001:db8::1"));
    assertThat(IpLiterals.parseForwarded("[2001:db8::1]")).isEqualTo(ip("2001:db8::1"));
    assertThat(IpLiterals.parseForwarded("2001:db8::1")).isEqualTo(ip("2001:db8::1"));
    for (String bad : new String[] {"unknown", "_hidden", "192.0.2.1:99999", "[192.0.2.1]",
        "[2001:db8::1", "example.com", "192.0.2.1:", ""}) {
      assertThat(IpLiterals.parseForwarded(bad)).as(bad).isNull();
    }
  }
}
