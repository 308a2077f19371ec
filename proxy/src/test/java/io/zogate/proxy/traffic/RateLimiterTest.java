package io.zogate.proxy.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zogate.proxy.jsonrpc.ErrorCode;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.Refusal;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private static final Clock CLOCK =
      Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC);
  private static final LimitRate TWO_PER_MINUTE = LimitRate.of(2, Duration.ofMinutes(1));
  private static final List<Cidr> TRUSTED =
      List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8"));

  private final MemoryRateLimitStore store =
      new MemoryRateLimitStore(1_000, Duration.ZERO, CLOCK::millis);

  private RateLimiter limiter(LimitRate client, LimitRate key, LimitRate actor) {
    return new RateLimiter(store, client, key, actor, TRUSTED, CLOCK);
  }

  private static InetAddress ip(String s) {
    return IpLiterals.parse(s);
  }

  private static Refusal refusal(ThrowingRunnable r) {
    try {
      r.run();
    } catch (RefusalException e) {
      return e.refusal();
    }
    throw new AssertionError("expected a refusal");
  }

  interface ThrowingRunnable {
    void run() throws RefusalException;
  }

  @Test
  void clientLimitRefusesWithRetryAfter() throws Exception {
    RateLimiter l = limiter(TWO_PER_MINUTE, null, null);
    l.checkClient(ip("198.51.100.7"), List.of());
    l.checkClient(ip("198.51.100.7"), List.of());
    Refusal r = refusal(() -> l.checkClient(ip("198.51.100.7"), List.of()));
    assertThat(r.reason()).isEqualTo(Reason.CLIENT_LIMIT);
    assertThat(r.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(r.data()).containsEntry("retryAfterSeconds", 30L); // T = 30 s
    assertThat(r.logDetail()).contains("c:198.51.100.7");
    l.checkClient(ip("198.51.100.8"), List.of()); // another address has its own budget
  }

  @Test
  void ipv6CountsPerSlash64() throws Exception {
    RateLimiter l = limiter(TWO_PER_MINUTE, null, null);
    l.checkClient(ip("2001:db8:1:2::1"), null);
    l.checkClient(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), null);
    assertThat(refusal(() -> l.checkClient(ip("2001:db8:1:2:abcd::9"), null)).reason())
        .isEqualTo(Reason.CLIENT_LIMIT);
    l.checkClient(ip("2001:db8:1:3::1"), null); // the next /64 is someone else
    assertThat(RateLimiter.clientKey(ip("2001:db8:1:2::1"))).isEqualTo("c:2001:db8:1:2/64");
    assertThat(RateLimiter.clientKey(ip("::ffff:192.0.2.1"))).isEqualTo("c:192.0.2.1");
  }

  @Test
  void forwardedForIsIgnoredFromAnUntrustedPeer() {
    RateLimiter l = limiter(TWO_PER_MINUTE, null, null);
    InetAddress peer = ip("203.0.113.5");
    assertThat(l.clientAddress(peer, List.of("192.0.2.1"))).isEqualTo(peer);
    assertThat(l.clientAddress(peer, List.of("10.0.0.1"))).isEqualTo(peer);
  }

  @Test
  void forwardedForFromATrustedPeerNamesTheRightMostUntrustedHop() {
    RateLimiter l = limiter(TWO_PER_MINUTE, null, null);
    InetAddress proxy = ip("10.1.1.1");
    // the client forged "1.1.1.1"; the trusted proxy appended what it saw
    assertThat(l.clientAddress(proxy, List.of("1.1.1.1, 192.0.2.9"))).isEqualTo(ip("192.0.2.9"));
    // trusted hops are skipped, across several header lines
    assertThat(l.clientAddress(proxy, List.of("1.1.1.1, 192.0.2.9", "10.2.2.2", "fd00::7")))
        .isEqualTo(ip("192.0.2.9"));
    // garbage left of the answer is never read
    assertThat(l.clientAddress(proxy, List.of("nonsense, unknown, 192.0.2.9")))
        .isEqualTo(ip("192.0.2.9"));
    // malformed within the trusted part: the peer
    assertThat(l.clientAddress(proxy, List.of("192.0.2.9, unknown"))).isEqualTo(proxy);
    assertThat(l.clientAddress(proxy, List.of("192.0.2.9, "))).isEqualTo(proxy);
    assertThat(l.clientAddress(proxy, List.of("example.com"))).isEqualTo(proxy);
    assertThat(l.clientAddress(proxy, List.of(""))).isEqualTo(proxy);
    assertThat(l.clientAddress(proxy, List.of())).isEqualTo(proxy);
    // every hop trusted: the left-most
    assertThat(l.clientAddress(proxy, List.of("10.9.9.9, 10.8.8.8"))).isEqualTo(ip("10.9.9.9"));
    // ports and brackets
    assertThat(l.clientAddress(proxy, List.of("[2001:db8::5]:1234")))
        .isEqualTo(ip("2001:db8::5"));
    // a chain longer than the walk limit, all trusted: the peer
    String longChain = String.join(",", java.util.Collections.nCopies(40, "10.0.0.9"));
    assertThat(l.clientAddress(proxy, List.of("192.0.2.9," + longChain))).isEqualTo(proxy);
  }

  @Test
  void clientLimitUsesTheForwardedAddress() throws Exception {
    RateLimiter l = limiter(TWO_PER_MINUTE, null, null);
    InetAddress proxy = ip("10.1.1.1");
    l.checkClient(proxy, List.of("192.0.2.1"));
    l.checkClient(proxy, List.of("192.0.2.1"));
    assertThat(refusal(() -> l.checkClient(proxy, List.of("192.0.2.1"))).reason())
        .isEqualTo(Reason.CLIENT_LIMIT);
    l.checkClient(proxy, List.of("192.0.2.2")); // a different client behind the same proxy
  }

  @Test
  void keyThenActorAndARefusedRequestSpendsNothing() throws Exception {
    RateLimiter l = limiter(null, LimitRate.of(3, Duration.ofMinutes(1)), TWO_PER_MINUTE);
    l.checkKeyAndActor("k1", "did:zo:agent:alice");
    l.checkKeyAndActor("k1", "did:zo:agent:alice");
    Refusal r = refusal(() -> l.checkKeyAndActor("k1", "did:zo:agent:alice"));
    assertThat(r.reason()).isEqualTo(Reason.ACTOR_LIMIT);
    assertThat(r.data()).containsEntry("retryAfterSeconds", 30L);
    // the actor refusal did not spend key budget: one left for another actor
    l.checkKeyAndActor("k1", "did:zo:agent:bob");
    Refusal k = refusal(() -> l.checkKeyAndActor("k1", "did:zo:agent:carol"));
    assertThat(k.reason()).isEqualTo(Reason.KEY_LIMIT);
    assertThat(k.data()).containsEntry("retryAfterSeconds", 20L); // T = 20 s
    // both exhausted: the key is reported first
    assertThat(refusal(() -> l.checkKeyAndActor("k1", "did:zo:agent:alice")).reason())
        .isEqualTo(Reason.KEY_LIMIT);
    // carol was refused by the key limit and spent nothing of her own
    l.checkKeyAndActor("k2", "did:zo:agent:carol");
    l.checkKeyAndActor("k2", "did:zo:agent:carol");
  }

  @Test
  void absentLimitsAreNotChecked() throws Exception {
    RateLimiter none = limiter(null, null, null);
    for (int i = 0; i < 10; i++) {
      none.checkClient(ip("192.0.2.1"), List.of());
      none.checkKeyAndActor("k", "a");
    }
    assertThat(store.size()).isZero();
    RateLimiter actorOnly = limiter(null, null, TWO_PER_MINUTE);
    actorOnly.checkKeyAndActor("k", "a");
    actorOnly.checkKeyAndActor("k", "a");
    assertThat(refusal(() -> actorOnly.checkKeyAndActor("other", "a")).reason())
        .isEqualTo(Reason.ACTOR_LIMIT);
  }

  @Test
  void storeFailureIsRateLimitStore() {
    RateLimitStore broken = new RateLimitStore() {
      @Override
      public Decision acquire(String key, LimitRate rate, long nowMillis)
          throws StoreUnavailableException {
        throw new StoreUnavailableException("disk on fire");
      }

      @Override
      public List<Decision> acquireAll(List<Limit> limits, long nowMillis)
          throws StoreUnavailableException {
        throw new StoreUnavailableException("disk on fire");
      }

      @Override
      public void close() {}
    };
    var l = new RateLimiter(broken, TWO_PER_MINUTE, TWO_PER_MINUTE, TWO_PER_MINUTE, TRUSTED, CLOCK);
    Refusal c = refusal(() -> l.checkClient(ip("192.0.2.1"), List.of()));
    assertThat(c.reason()).isEqualTo(Reason.RATE_LIMIT_STORE);
    assertThat(c.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
    assertThat(c.data()).isEmpty();
    assertThat(c.logDetail()).contains("disk on fire");
    assertThat(refusal(() -> l.checkKeyAndActor("k", "a")).reason())
        .isEqualTo(Reason.RATE_LIMIT_STORE);
  }

  @Test
  void fullMemoryStoreFailsClosed() throws Exception {
    var tiny = new MemoryRateLimitStore(1, Duration.ZERO, CLOCK::millis);
    var l = new RateLimiter(tiny, TWO_PER_MINUTE, null, null, TRUSTED, CLOCK);
    l.checkClient(ip("192.0.2.1"), List.of());
    assertThat(refusal(() -> l.checkClient(ip("192.0.2.2"), List.of())).reason())
        .isEqualTo(Reason.RATE_LIMIT_STORE);
  }

  @Test
  void keysAreNamespacedAndBounded() {
    assertThat(RateLimiter.boundedKey("a", "did:zo:agent:alice")).isEqualTo("a:did:zo:agent:alice");
    String longActor = "spiffe://zo/actor/" + "x".repeat(238);
    String hashed = RateLimiter.boundedKey("a", longActor);
    assertThat(hashed).startsWith("a#").hasSize(2 + 43);
    assertThat(RateLimiter.boundedKey("a", longActor + "y")).isNotEqualTo(hashed);
    assertThat(RateLimiter.boundedKey("k", "k1")).isNotEqualTo(RateLimiter.boundedKey("a", "k1"));
    assertThat(RateLimiter.boundedKey("a", "caf\u00e9")).startsWith("a#");
  }

  @Test
  void retryAfterSecondsIsAtLeastOne() throws Exception {
    RateLimiter l = limiter(LimitRate.of(1, Duration.ofMillis(10)), null, null);
    l.checkClient(ip("192.0.2.1"), List.of());
    Refusal r = refusal(() -> l.checkClient(ip("192.0.2.1"), List.of()));
    assertThat(r.data()).containsEntry("retryAfterSeconds", 1L);
    assertThatThrownBy(() -> l.checkClient(ip("192.0.2.1"), List.of()))
        .isInstanceOf(RefusalException.class);
  }
}
