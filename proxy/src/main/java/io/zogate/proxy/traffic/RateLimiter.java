package io.zogate.proxy.traffic;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.Refusal;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StoreUnavailableException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * The rate limits of the request pipeline (CONTRACT.md section 1 step 7, section 6
 * {@code rateLimit}): per client address before authentication, per key and per actor after it.
 *
 * <p>Refusals: -32040 {@code client_limit}, {@code key_limit} or {@code actor_limit} with
 * {@code data.retryAfterSeconds} (whole seconds, rounded up, at least 1; the server copies it
 * to {@code Retry-After}); a store that cannot answer is -32050 {@code rate_limit_store}.
 *
 * <p>Key and actor are decided together, all or nothing ({@link RateLimitStore#acquireAll}): a
 * request refused by either limit is counted against neither, like step 8's nonce, which
 * refused requests do not burn. When both would refuse, the reason is {@code key_limit} (the
 * contract's order) with the key's retry time.
 *
 * <p>Client address: the direct peer, unless the peer is a trusted proxy; then the right-most
 * X-Forwarded-For address that is not itself a trusted proxy (what the last trusted hop saw).
 * Elements left of it are attacker-controlled and never read. If the walk meets an element
 * that is not an IP literal before it finds that address, the peer is used; if every element is
 * trusted, the left-most is used. IPv4 counts per address, IPv6 per /64 (one host usually owns
 * a whole /64, so per-address limits would be free to dodge).
 */
public final class RateLimiter implements AutoCloseable {

  /** Stored keys longer than this are replaced by a hash of the identity. */
  static final int MAX_KEY_CHARS = 100;
  /** The most X-Forwarded-For elements walked; a longer chain falls back to the peer. */
  static final int MAX_FORWARDED_HOPS = 32;

  private final RateLimitStore store;
  private final LimitRate perClient;
  private final LimitRate perKey;
  private final LimitRate perActor;
  private final List<Cidr> trustedProxies;
  private final Clock clock;

  /**
   * @param store where the state lives
   * @param perClient limit per client address, or null for none
   * @param perKey limit per signing key id, or null for none
   * @param perActor limit per verified actor id, or null for none
   * @param trustedProxies peers whose X-Forwarded-For names the client
   */
  public RateLimiter(RateLimitStore store, LimitRate perClient, LimitRate perKey,
      LimitRate perActor, List<Cidr> trustedProxies) {
    this(store, perClient, perKey, perActor, trustedProxies, Clock.systemUTC());
  }

  public RateLimiter(RateLimitStore store, LimitRate perClient, LimitRate perKey,
      LimitRate perActor, List<Cidr> trustedProxies, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.perClient = perClient;
    this.perKey = perKey;
    this.perActor = perActor;
    this.trustedProxies = List.copyOf(trustedProxies);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Step "client limit": before authentication, by client address. */
  public void checkClient(InetAddress remote, List<String> xForwardedForValues)
      throws RefusalException {
    if (perClient == null) {
      return;
    }
    String key = clientKey(clientAddress(remote, xForwardedForValues));
    Decision d = decide(List.of(new Limit(key, perClient))).get(0);
    if (!d.allowed()) {
      throw refused(Reason.CLIENT_LIMIT, d, key);
    }
  }

  /** Step 7: after authentication, by key id, then by actor id; all or nothing. */
  public void checkKeyAndActor(String kid, String actorId) throws RefusalException {
    var limits = new ArrayList<Limit>(2);
    var reasons = new ArrayList<Reason>(2);
    if (perKey != null) {
      limits.add(new Limit(boundedKey("k", kid), perKey));
      reasons.add(Reason.KEY_LIMIT);
    }
    if (perActor != null) {
      limits.add(new Limit(boundedKey("a", actorId), perActor));
      reasons.add(Reason.ACTOR_LIMIT);
    }
    if (limits.isEmpty()) {
      return;
    }
    List<Decision> ds = decide(limits);
    for (int i = 0; i < ds.size(); i++) {
      if (!ds.get(i).allowed()) {
        throw refused(reasons.get(i), ds.get(i), limits.get(i).key());
      }
    }
  }

  private List<Decision> decide(List<Limit> limits) throws RefusalException {
    try {
      return store.acquireAll(limits, clock.millis());
    } catch (StoreUnavailableException e) {
      throw new RefusalException(Reason.RATE_LIMIT_STORE, e.getMessage());
    }
  }

  private static RefusalException refused(Reason reason, Decision d, String key) {
    return new RefusalException(
        Refusal.of(reason, reason.wire() + " for " + key + ", retry in "
                + d.retryAfterMillis() + " ms")
            .withData("retryAfterSeconds", d.retryAfterSeconds()));
  }

  /** The address the client limit counts: see the class comment. */
  public InetAddress clientAddress(InetAddress remote, List<String> xForwardedForValues) {
    Objects.requireNonNull(remote, "remote");
    if (xForwardedForValues == null || xForwardedForValues.isEmpty() || !trusted(remote)) {
      return remote;
    }
    // Header lines in order, then elements in order: one list, as if joined by commas.
    var elements = new ArrayList<String>();
    for (String value : xForwardedForValues) {
      for (String e : value.split(",", -1)) {
        elements.add(e.strip());
      }
    }
    if (elements.size() == 1 && elements.get(0).isEmpty()) {
      return remote; // an empty header names nobody
    }
    InetAddress leftmostTrusted = null;
    int stop = Math.max(0, elements.size() - MAX_FORWARDED_HOPS);
    for (int i = elements.size() - 1; i >= stop; i--) {
      InetAddress a = IpLiterals.parseForwarded(elements.get(i));
      if (a == null) {
        return remote; // malformed inside the trusted part of the chain
      }
      if (!trusted(a)) {
        return a;
      }
      leftmostTrusted = a;
    }
    return stop == 0 && leftmostTrusted != null ? leftmostTrusted : remote;
  }

  private boolean trusted(InetAddress a) {
    for (Cidr c : trustedProxies) {
      if (c.contains(a)) {
        return true;
      }
    }
    return false;
  }

  /** {@code c:<IPv4>} or {@code c:<first four IPv6 groups>/64}. */
  static String clientKey(InetAddress a) {
    if (a instanceof Inet4Address) {
      return "c:" + a.getHostAddress();
    }
    byte[] raw = a.getAddress();
    var sb = new StringBuilder("c:");
    for (int g = 0; g < 4; g++) {
      if (g > 0) {
        sb.append(':');
      }
      sb.append(Integer.toHexString(((raw[2 * g] & 0xff) << 8) | (raw[2 * g + 1] & 0xff)));
    }
    return sb.append("/64").toString();
  }

  /**
   * {@code <ns>:<id>}, or {@code <ns>#<base64url SHA-256 of id>} when the id is long or not
   * printable ASCII; the two forms cannot collide (different separator).
   */
  static String boundedKey(String namespace, String id) {
    boolean plain = id.length() <= MAX_KEY_CHARS;
    for (int i = 0; plain && i < id.length(); i++) {
      char c = id.charAt(i);
      plain = c > 0x20 && c < 0x7f;
    }
    if (plain) {
      return namespace + ":" + id;
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      return namespace + "#" + Base64.getUrlEncoder().withoutPadding().encodeToString(h);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-256 is mandatory in every JDK", e);
    }
  }

  /** Closes the store (its connections and sweeper). */
  @Override
  public void close() {
    store.close();
  }
}
