package io.zogate.proxy.upstream;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * How the proxy talks to its one upstream MCP server (CONTRACT.md section 6, {@code upstream}).
 * Checked once here so that a bad value stops start-up, never a request.
 *
 * @param url the upstream MCP endpoint, {@code http} or {@code https}, no user info, no fragment
 * @param firstByteTimeout {@code upstream.timeout}: from the start of forwarding (pool wait and
 *     connect included) to the reply's status line and headers
 * @param idleTimeout {@code upstream.idleTimeout}: longest silence between two bytes of a reply
 *     body (JSON or event stream)
 * @param maxStreamDuration {@code upstream.maxStreamDuration}: longest a reply body may take,
 *     counted from its headers
 * @param maxResponseBytes {@code upstream.maxResponseBytes}: cap on an {@code application/json}
 *     reply body
 * @param maxEventBytes {@code upstream.maxEventBytes}: cap on one event of an event stream,
 *     every line of the event counted with its line end
 * @param maxDepth JSON nesting depth the strict reader allows
 * @param bearerToken the proxy's own upstream credential ({@code upstream.auth}), asked for on
 *     every request so a rotated token file takes effect; sent as {@code Authorization: Bearer}
 *     and never logged (this record's {@code toString} prints only whether one is set)
 * @param connectTimeout TCP (and TLS) connect bound
 * @param maxConnections pooled connections to the upstream; size it to the proxy's worker
 *     count, because classic I/O holds one connection per in-flight request
 */
public record UpstreamSettings(
    URI url,
    Duration firstByteTimeout,
    Duration idleTimeout,
    Duration maxStreamDuration,
    long maxResponseBytes,
    long maxEventBytes,
    int maxDepth,
    Optional<Supplier<String>> bearerToken,
    Duration connectTimeout,
    int maxConnections) {

  public static final Duration DEFAULT_FIRST_BYTE_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_MAX_STREAM_DURATION = Duration.ofMinutes(10);
  public static final long DEFAULT_MAX_RESPONSE_BYTES = 4L * 1024 * 1024;
  public static final long DEFAULT_MAX_EVENT_BYTES = 1024L * 1024;
  public static final int DEFAULT_MAX_DEPTH = 64;
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final int DEFAULT_MAX_CONNECTIONS = 64;

  /** Byte caps are held in memory as one array, so they stay below the array limit. */
  static final long MAX_BUFFER_BYTES = Integer.MAX_VALUE - 16L;

  public UpstreamSettings {
    Objects.requireNonNull(url, "url");
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("upstream.url must be http or https: " + url);
    }
    if (url.getHost() == null || url.getRawUserInfo() != null || url.getRawFragment() != null) {
      throw new IllegalArgumentException("upstream.url needs a host, no user info, no fragment");
    }
    requirePositive(firstByteTimeout, "upstream.timeout");
    requirePositive(idleTimeout, "upstream.idleTimeout");
    requirePositive(maxStreamDuration, "upstream.maxStreamDuration");
    requirePositive(connectTimeout, "upstream.connectTimeout");
    if (maxResponseBytes < 1 || maxResponseBytes > MAX_BUFFER_BYTES) {
      throw new IllegalArgumentException("upstream.maxResponseBytes out of range");
    }
    if (maxEventBytes < 1 || maxEventBytes > MAX_BUFFER_BYTES) {
      throw new IllegalArgumentException("upstream.maxEventBytes out of range");
    }
    if (maxDepth < 1) {
      throw new IllegalArgumentException("maxDepth must be positive");
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be positive");
    }
    Objects.requireNonNull(bearerToken, "bearerToken (use Optional.empty())");
  }

  /** The contract's defaults for everything but the URL. */
  public static UpstreamSettings defaults(URI url) {
    return new UpstreamSettings(
        url,
        DEFAULT_FIRST_BYTE_TIMEOUT,
        DEFAULT_IDLE_TIMEOUT,
        DEFAULT_MAX_STREAM_DURATION,
        DEFAULT_MAX_RESPONSE_BYTES,
        DEFAULT_MAX_EVENT_BYTES,
        DEFAULT_MAX_DEPTH,
        Optional.empty(),
        DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_MAX_CONNECTIONS);
  }

  public UpstreamSettings withTimeouts(
      Duration firstByteTimeout, Duration idleTimeout, Duration maxStreamDuration) {
    return new UpstreamSettings(url, firstByteTimeout, idleTimeout, maxStreamDuration,
        maxResponseBytes, maxEventBytes, maxDepth, bearerToken, connectTimeout, maxConnections);
  }

  public UpstreamSettings withLimits(long maxResponseBytes, long maxEventBytes) {
    return new UpstreamSettings(url, firstByteTimeout, idleTimeout, maxStreamDuration,
        maxResponseBytes, maxEventBytes, maxDepth, bearerToken, connectTimeout, maxConnections);
  }

  public UpstreamSettings withBearerToken(Supplier<String> token) {
    return new UpstreamSettings(url, firstByteTimeout, idleTimeout, maxStreamDuration,
        maxResponseBytes, maxEventBytes, maxDepth, Optional.of(token), connectTimeout,
        maxConnections);
  }

  public UpstreamSettings withMaxConnections(int maxConnections) {
    return new UpstreamSettings(url, firstByteTimeout, idleTimeout, maxStreamDuration,
        maxResponseBytes, maxEventBytes, maxDepth, bearerToken, connectTimeout, maxConnections);
  }

  private static void requirePositive(Duration value, String name) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be a positive duration");
    }
  }

  @Override
  public String toString() {
    return "UpstreamSettings[url=" + url + ", firstByteTimeout=" + firstByteTimeout
        + ", idleTimeout=" + idleTimeout + ", maxStreamDuration=" + maxStreamDuration
        + ", maxResponseBytes=" + maxResponseBytes + ", maxEventBytes=" + maxEventBytes
        + ", maxDepth=" + maxDepth + ", bearerToken=" + (bearerToken.isPresent() ? "set" : "none")
        + ", connectTimeout=" + connectTimeout + ", maxConnections=" + maxConnections + "]";
  }
}
