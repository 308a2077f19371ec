package io.zogate.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Validation of the small values: bad settings fail at start-up, not at the first request. */
class UpstreamValuesTest {

  private static final URI URL = URI.create("http://127.0.0.1:9000/mcp");

  @Test
  void defaultsAreTheContractsDefaults() {
    UpstreamSettings settings = UpstreamSettings.defaults(URL);
    assertThat(settings.firstByteTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(settings.maxStreamDuration()).isEqualTo(Duration.ofMinutes(10));
    assertThat(settings.maxResponseBytes()).isEqualTo(4L << 20);
    assertThat(settings.maxEventBytes()).isEqualTo(1L << 20);
    assertThat(settings.bearerToken()).isEmpty();
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> UpstreamSettings.defaults(URI.create("ftp://h/mcp")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UpstreamSettings.defaults(URI.create("http://user:pw@h/mcp")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UpstreamSettings.defaults(URL).withTimeouts(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UpstreamSettings.defaults(URL).withLimits(0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UpstreamSettings.defaults(URL).withMaxConnections(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theBearerTokenNeverPrints() {
    UpstreamSettings settings = UpstreamSettings.defaults(URL).withBearerToken(() -> "s3cr3t");
    assertThat(settings.toString()).doesNotContain("s3cr3t").contains("bearerToken=set");
  }

  @Test
  void requestsAreImmutableAndCarryNoBodyOnGet() {
    byte[] body = {'{', '}'};
    UpstreamRequest request =
        new UpstreamRequest("POST", body, Map.of("Accept", List.of("a")), "actor", null, false);
    body[0] = 'x';
    assertThat(request.body()).containsExactly('{', '}');
    assertThat(request.toString()).doesNotContain("{}");
    assertThatThrownBy(() -> new UpstreamRequest("GET", body, Map.of(), "actor", null, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new UpstreamRequest("PUT", null, Map.of(), "actor", null, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new UpstreamRequest("GET", null, Map.of(), "a\nb", null, false))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void replyMediaTypesAllowParametersButOnlyUtf8() {
    assertThat(ReplyMediaType.of("application/json")).contains(ReplyMediaType.JSON);
    assertThat(ReplyMediaType.of("Application/JSON; charset=utf-8")).contains(ReplyMediaType.JSON);
    assertThat(ReplyMediaType.of("text/event-stream;charset=\"UTF-8\"")).contains(ReplyMediaType.EVENT_STREAM);
    assertThat(ReplyMediaType.of("application/json; charset=latin1")).isEmpty();
    assertThat(ReplyMediaType.of("application/json-seq")).isEmpty();
    assertThat(ReplyMediaType.of("text/plain")).isEmpty();
    assertThat(ReplyMediaType.of("application/json; garbage")).isEmpty();
    assertThat(ReplyMediaType.of(null)).isEqualTo(Optional.empty());
  }

  @Test
  void sessionIdsAreVisibleAsciiAndBounded() {
    assertThat(UpstreamHeaders.isValidSessionId("1868a90c-2b4e-4f6e-9b1e-1a2b3c4d5e6f")).isTrue();
    assertThat(UpstreamHeaders.isValidSessionId("")).isFalse();
    assertThat(UpstreamHeaders.isValidSessionId("a b")).isFalse();
    assertThat(UpstreamHeaders.isValidSessionId("caf\u00e9")).isFalse();
    assertThat(UpstreamHeaders.isValidSessionId("x".repeat(1025))).isFalse();
    assertThat(UpstreamHeaders.allowlisted("LAST-EVENT-ID")).isEqualTo("Last-Event-ID");
    assertThat(UpstreamHeaders.allowlisted("Authorization")).isNull();
  }
}
