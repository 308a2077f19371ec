package io.zogate.proxy.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import io.zogate.proxy.jsonrpc.JsonRpcMessage;
import io.zogate.proxy.jsonrpc.JsonRpcWriter;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.Refusal;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.StrictJsonReader;
import io.zogate.proxy.upstream.ForwardResult.Refused;
import io.zogate.proxy.upstream.ForwardResult.Relayed;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLException;
import org.apache.hc.client5.http.ClientProtocolException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * Forwards one governed request to the upstream MCP server and relays a validated answer
 * (CONTRACT.md section 3, errors -32020..-32023 of section 4).
 *
 * <p>Nothing from the upstream reaches the client unchecked: every JSON-RPC message is parsed
 * with the strict reader and re-encoded; of the upstream's headers only a validated
 * {@code Mcp-Session-Id} is passed on; upstream bodies never go into errors or logs.
 *
 * <p>Apache HttpClient 5 classic: the I/O runs on the calling worker thread over pooled
 * keep-alive connections, which is what makes a JDK proxy fast (the forwarding client is the
 * main cost). Every automatic behaviour that could change what the upstream sees or what we
 * accept is off: retries, redirects, cookies, auth caching, decompression, expect-continue,
 * protocol upgrade. One instance serves all worker threads.
 */
public final class Forwarder implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(Forwarder.class.getName());

  /** The only User-Agent the upstream sees: the client's own is not forwarded. */
  static final String USER_AGENT = "zo-gate";

  /**
   * A refused reply's body is read (and dropped) only when its declared length is at most this,
   * to keep the connection; anything else closes the connection instead of waiting for it.
   */
  static final long DISCARD_LIMIT_BYTES = 16 * 1024;

  /**
   * Pooled connections idle longer than this are checked before reuse: a request that is not
   * read-only is never retried, so a connection the upstream closed meanwhile must not be used.
   */
  private static final TimeValue VALIDATE_AFTER_INACTIVITY = TimeValue.ofSeconds(1);

  private final UpstreamSettings settings;
  private final CloseableHttpClient client;
  /** The upstream as a route, computed once rather than parsed from the URI per request. */
  private final HttpHost target;
  private final Watchdogs watchdogs;
  private final StrictJsonReader reader;

  public Forwarder(UpstreamSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.reader = new StrictJsonReader(settings.maxDepth());
    this.watchdogs = new Watchdogs();
    this.client = buildClient(settings);
    this.target = HttpHost.create(settings.url());
  }

  private static CloseableHttpClient buildClient(UpstreamSettings settings) {
    // The watchdog enforces the contract's limits; the socket timeout is only a backstop
    // should an abort ever be missed, so it sits above every watchdog deadline.
    Duration longest =
        settings.firstByteTimeout().compareTo(settings.idleTimeout()) > 0
            ? settings.firstByteTimeout()
            : settings.idleTimeout();
    Timeout backstop = Timeout.of(longest.plusSeconds(5));
    PoolingHttpClientConnectionManager pool =
        PoolingHttpClientConnectionManagerBuilder.create()
            // LAX: per-route locking instead of one global pool lock; the pool is bounded by
            // the worker count anyway, and the strict policy was the hottest lock here.
            .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.LAX)
            .setMaxConnTotal(settings.maxConnections())
            .setMaxConnPerRoute(settings.maxConnections())
            .setDefaultSocketConfig(
                SocketConfig.custom().setTcpNoDelay(true).setSoTimeout(backstop).build())
            .setDefaultConnectionConfig(
                ConnectionConfig.custom()
                    .setConnectTimeout(Timeout.of(settings.connectTimeout()))
                    .setSocketTimeout(backstop)
                    .setValidateAfterInactivity(VALIDATE_AFTER_INACTIVITY)
                    .build())
            .build();
    RequestConfig requestConfig =
        RequestConfig.custom()
            .setConnectionRequestTimeout(Timeout.of(settings.firstByteTimeout()))
            .setResponseTimeout(backstop)
            .setRedirectsEnabled(false)
            .setExpectContinueEnabled(false)
            .setAuthenticationEnabled(false)
            .setContentCompressionEnabled(false)
            .setProtocolUpgradeEnabled(false)
            .build();
    return HttpClients.custom()
        .setConnectionManager(pool)
        .setDefaultRequestConfig(requestConfig)
        .disableAutomaticRetries()
        .disableRedirectHandling()
        .disableCookieManagement()
        .disableAuthCaching()
        .disableContentCompression()
        .disableConnectionState()
        .setUserAgent(USER_AGENT)
        .build();
  }

  /**
   * Forwards {@code request} and, unless refused, writes the answer to {@code out}.
   *
   * @return {@link Refused} when nothing was written (the caller renders the refusal), else
   *     {@link Relayed}
   * @throws IOException only when writing to the client failed; upstream failures are results
   */
  public ForwardResult forward(UpstreamRequest request, ClientResponder out) throws IOException {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(out, "out");
    boolean retried = false;
    while (true) {
      try {
        ForwardResult result = new Call(request, out).run();
        logOutcome(result);
        return result;
      } catch (FailedBeforeReply failure) {
        // Only a call that cannot have reached the upstream's logic, and only when repeating
        // it has no effect: a lost connect or a reset before any reply byte, on a read-only call.
        if (failure.retryable && request.readOnly() && !retried) {
          retried = true;
          LOG.fine(() -> "retrying read-only call once: " + failure.refusal.logDetail());
          continue;
        }
        ForwardResult result = new Refused(failure.refusal);
        logOutcome(result);
        return result;
      }
    }
  }

  @Override
  public void close() {
    watchdogs.close();
    client.close(CloseMode.IMMEDIATE);
  }

  private static void logOutcome(ForwardResult result) {
    Refusal refusal =
        result instanceof Refused refused
            ? refused.refusal()
            : ((Relayed) result).inStreamFailure();
    if (refusal != null) {
      LOG.fine(() -> "upstream " + refusal.reason().wire() + ": " + refusal.logDetail());
    }
  }

  /** A failure before the reply's headers: nothing was written, maybe worth one retry. */
  private static final class FailedBeforeReply extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Refusal refusal;
    private final boolean retryable;

    FailedBeforeReply(Refusal refusal, boolean retryable) {
      super(refusal.toString(), null, false, false);
      this.refusal = refusal;
      this.retryable = retryable;
    }
  }

  /** One attempt: one upstream request, its watchdog and what has been written so far. */
  private final class Call {
    private final UpstreamRequest request;
    private final ClientResponder out;
    private final HttpUriRequestBase upstreamRequest;
    private final ReplyWatchdog watchdog;
    private ClientResponder.EventStream stream;
    private String sessionId;
    /** True once the reply body was read to its end, so the connection can be reused. */
    private boolean bodyFinished;

    Call(UpstreamRequest request, ClientResponder out) throws FailedBeforeReply {
      this.request = request;
      this.out = out;
      this.upstreamRequest = buildRequest(request);
      this.watchdog = new ReplyWatchdog(watchdogs, settings, upstreamRequest::cancel);
    }

    ForwardResult run() throws IOException, FailedBeforeReply {
      ClassicHttpResponse response = null;
      watchdog.start();
      try {
        try {
          response = client.executeOpen(target, upstreamRequest, null);
        } catch (IOException e) {
          throw beforeReply(e);
        }
        if (!watchdog.headersReceived()) {
          throw new FailedBeforeReply(
              Refusal.of(Reason.UPSTREAM_TIMEOUT, "no reply headers within upstream.timeout"),
              false);
        }
        return relay(response);
      } catch (RuntimeException bug) {
        // Fail closed on anything unforeseen in the client library or here; the trace goes
        // to the log only.
        LOG.log(Level.WARNING, "unexpected failure while forwarding upstream", bug);
        return fail(Refusal.of(Reason.INTERNAL, "unexpected " + bug.getClass().getName()));
      } finally {
        watchdog.stop();
        if (!bodyFinished) {
          // Drops the connection instead of waiting for (or draining) the rest of the reply.
          upstreamRequest.cancel();
        }
        closeQuietly(response);
      }
    }

    private HttpUriRequestBase buildRequest(UpstreamRequest request) throws FailedBeforeReply {
      HttpUriRequestBase built = new HttpUriRequestBase(request.method(), settings.url());
      request
          .clientHeaders()
          .forEach(
              (name, values) -> {
                String canonical = UpstreamHeaders.allowlisted(name);
                if (canonical == null) {
                  return;
                }
                for (String value : values) {
                  if (value != null && UpstreamHeaders.isCleanValue(value)) {
                    built.addHeader(canonical, value);
                  } else {
                    LOG.fine(() -> "dropped a " + canonical + " value with control characters");
                  }
                }
              });
      built.setHeader(UpstreamHeaders.ACTOR, request.actorId());
      if (settings.bearerToken().isPresent()) {
        String token;
        try {
          token = settings.bearerToken().get().get();
        } catch (RuntimeException unreadable) {
          // A token file that cannot be read now: fail closed, and say so without the token.
          throw new FailedBeforeReply(
              Refusal.of(Reason.INTERNAL, "upstream bearer token unavailable: "
                  + unreadable.getClass().getSimpleName()),
              false);
        }
        if (token == null || token.isEmpty() || !UpstreamHeaders.isCleanValue(token)) {
          throw new FailedBeforeReply(
              Refusal.of(Reason.INTERNAL, "upstream bearer token is empty or not visible ASCII"),
              false);
        }
        built.setHeader("Authorization", "Bearer " + token);
      }
      if (request.method().equals("POST")) {
        // No content type on the entity: the client's own Content-Type header is the one sent.
        built.setEntity(new ByteArrayEntity(request.bodyBytes(), null));
      }
      return built;
    }

    private FailedBeforeReply beforeReply(IOException e) {
      Reason fired = watchdog.fired();
      if (fired != null) {
        return new FailedBeforeReply(
            Refusal.of(fired, "no reply headers within upstream.timeout"), false);
      }
      String detail = e.getClass().getSimpleName() + ": " + e.getMessage();
      if (e instanceof ConnectTimeoutException
          || e instanceof ConnectException
          || e instanceof UnknownHostException
          || e instanceof NoHttpResponseException
          || e instanceof ConnectionClosedException
          || e instanceof SocketException) {
        // Could not connect, or the connection died before any reply byte.
        return new FailedBeforeReply(Refusal.of(Reason.UPSTREAM_UNREACHABLE, detail), true);
      }
      if (e instanceof ConnectionRequestTimeoutException || e instanceof SocketTimeoutException) {
        return new FailedBeforeReply(Refusal.of(Reason.UPSTREAM_TIMEOUT, detail), false);
      }
      if (e instanceof ClientProtocolException) {
        // The upstream's status line or headers were not HTTP: an invalid reply, not an outage.
        return new FailedBeforeReply(Refusal.of(Reason.UPSTREAM_NOT_JSONRPC, detail), false);
      }
      if (e instanceof SSLException) {
        // A TLS failure does not heal on retry.
        return new FailedBeforeReply(Refusal.of(Reason.UPSTREAM_UNREACHABLE, detail), false);
      }
      return new FailedBeforeReply(Refusal.of(Reason.UPSTREAM_UNREACHABLE, detail), false);
    }

    private ForwardResult relay(ClassicHttpResponse response) throws IOException {
      int status = response.getCode();
      if (status < 200 || status > 299) {
        discard(response);
        if (status == 404 && UpstreamHeaders.carriesSession(request.clientHeaders())) {
          // MCP: 404 on a session id means the session is gone; the client starts a new one.
          out.sendEmpty(404, Map.of());
          return new Relayed(404, null, null);
        }
        return new Refused(
            Refusal.of(Reason.UPSTREAM_STATUS, "upstream answered HTTP " + status)
                .withData("upstreamStatus", status));
      }
      Refusal headerProblem = readSessionId(response);
      if (headerProblem == null) {
        headerProblem = checkContentEncoding(response);
      }
      if (headerProblem != null) {
        discard(response);
        return new Refused(headerProblem);
      }
      HttpEntity entity = response.getEntity();
      switch (request.method()) {
        case "DELETE":
          discard(response);
          out.sendEmpty(status, replyHeaders(null));
          return new Relayed(status, sessionId, null);
        case "GET":
          return relayServerStream(response, entity);
        default:
          return request.expectedId() == null
              ? relayAcceptance(response, entity, status)
              : relayAnswer(response, entity, status);
      }
    }

    /** A notification or client response: the upstream only acknowledges it. */
    private ForwardResult relayAcceptance(
        ClassicHttpResponse response, HttpEntity entity, int status) throws IOException {
      if (status == 202 || hasNoBody(entity)) {
        discard(response);
        out.sendEmpty(202, replyHeaders(null));
        return new Relayed(202, sessionId, null);
      }
      discard(response);
      return new Refused(
          Refusal.of(Reason.UPSTREAM_NOT_JSONRPC, "a reply body to a notification or response"));
    }

    /** A request: exactly one JSON-RPC response must come back. */
    private ForwardResult relayAnswer(ClassicHttpResponse response, HttpEntity entity, int status)
        throws IOException {
      if (status == 202 || status == 204 || entity == null || entity.getContentLength() == 0) {
        discard(response);
        return new Refused(
            Refusal.of(Reason.UPSTREAM_NOT_JSONRPC, "an empty reply (" + status + ") to a request"));
      }
      ReplyMediaType type = mediaType(response);
      if (type == null) {
        discard(response);
        return new Refused(Refusal.of(Reason.BAD_CONTENT_TYPE, "reply content type not allowed"));
      }
      return type == ReplyMediaType.JSON ? relayJson(entity) : relayStream(entity, false);
    }

    private ForwardResult relayServerStream(ClassicHttpResponse response, HttpEntity entity)
        throws IOException {
      if (mediaType(response) != ReplyMediaType.EVENT_STREAM) {
        discard(response);
        return new Refused(
            Refusal.of(Reason.BAD_CONTENT_TYPE, "a server stream must be text/event-stream"));
      }
      // Opened at once: an MCP client's GET waits for the headers, and server streams may be
      // quiet for a long time before the first message.
      stream = out.openEventStream(replyHeaders("text/event-stream"));
      return relayStream(entity, true);
    }

    private ForwardResult relayJson(HttpEntity entity) throws IOException {
      long cap = settings.maxResponseBytes();
      if (entity.getContentLength() > cap) {
        return new Refused(
            Refusal.of(Reason.RESPONSE_TOO_LARGE, "Content-Length over maxResponseBytes"));
      }
      JsonNode node;
      JsonRpcMessage message;
      try {
        byte[] body = readCapped(entity, cap);
        if (body.length == 0) {
          return new Refused(Refusal.of(Reason.UPSTREAM_NOT_JSONRPC, "empty reply to a request"));
        }
        node = parseJson(body);
        if (node.isArray()) {
          return new Refused(arrayRefusal(node));
        }
        message = parseMessage(node);
      } catch (RefusalException e) {
        return new Refused(e.refusal());
      }
      if (!message.answers(request.expectedId())) {
        return new Refused(
            Refusal.of(Reason.ID_MISMATCH, "reply is not the response to the request's id"));
      }
      out.sendJson(200, replyHeaders("application/json"), JsonRpcWriter.write(node));
      return new Relayed(200, sessionId, null);
    }

    /**
     * Relays an event stream. For a request it ends with the request's response; for a server
     * stream (GET) it relays every valid message until the upstream ends it or a limit hits.
     */
    private ForwardResult relayStream(HttpEntity entity, boolean serverStream)
        throws IOException {
      SseReader events = null;
      while (true) {
        SseReader.Event event;
        JsonNode node = null;
        JsonRpcMessage message = null;
        try {
          if (events == null) {
            InputStream body =
                entity == null ? InputStream.nullInputStream() : new TouchingInputStream(entity);
            events = new SseReader(body, settings.maxEventBytes());
          }
          event = events.next();
          if (event != null) {
            node = parseJson(event.data());
            message = parseMessage(node);
          }
        } catch (IOException e) {
          return fail(bodyFailure(e, Reason.BAD_EVENT_STREAM));
        } catch (RefusalException e) {
          return fail(e.refusal());
        }
        if (event == null) {
          bodyFinished = true;
          if (serverStream) {
            stream.close();
            return new Relayed(200, sessionId, null);
          }
          return fail(Refusal.of(Reason.BAD_EVENT_STREAM, "stream ended without the response"));
        }
        boolean isAnswer = !serverStream && message.kind() == JsonRpcMessage.Kind.RESPONSE;
        if (isAnswer && !message.answers(request.expectedId())) {
          return fail(Refusal.of(Reason.ID_MISMATCH, "stream response to another id"));
        }
        if (stream == null) {
          // Opened only now, so a failure before the first message is still a plain refusal.
          stream = out.openEventStream(replyHeaders("text/event-stream"));
        }
        stream.send(event.id(), JsonRpcWriter.write(node));
        if (isAnswer) {
          // The response ends the exchange; the rest of the upstream stream is dropped.
          stream.close();
          return new Relayed(200, sessionId, null);
        }
      }
    }

    /** Refused while nothing is written; once a stream is open, an error event on it. */
    private ForwardResult fail(Refusal refusal) throws IOException {
      if (stream == null) {
        return new Refused(refusal);
      }
      stream.sendError(refusal);
      stream.close();
      return new Relayed(200, sessionId, refusal);
    }

    private JsonNode parseJson(byte[] bytes) throws RefusalException {
      try {
        return reader.read(bytes);
      } catch (RefusalException e) {
        // The reader's own detail may quote the input; only its reason is kept.
        throw new RefusalException(
            Reason.MALFORMED_JSON, "strict reader: " + e.refusal().reason().wire());
      }
    }

    private JsonRpcMessage parseMessage(JsonNode node) throws RefusalException {
      JsonRpcMessage message;
      try {
        message = JsonRpcMessage.fromUpstream(node);
      } catch (RefusalException e) {
        throw new RefusalException(Reason.UPSTREAM_NOT_JSONRPC, "not a JSON-RPC 2.0 message");
      }
      // Checked here as well, whatever the message model allows: a response must carry
      // exactly one of result and error, or the client could read it either way.
      if (message.kind() == JsonRpcMessage.Kind.RESPONSE
          && node.has("result") == node.has("error")) {
        throw new RefusalException(
            Reason.UPSTREAM_NOT_JSONRPC, "response needs exactly one of result and error");
      }
      return message;
    }

    /** Batches are never relayed; several answers to one request are named as such. */
    private Refusal arrayRefusal(JsonNode array) {
      int answers = 0;
      for (JsonNode element : array) {
        try {
          if (JsonRpcMessage.fromUpstream(element).answers(request.expectedId())) {
            answers++;
          }
        } catch (RefusalException notAMessage) {
          // Counts as nothing; the array is refused either way.
        }
      }
      return answers > 1
          ? Refusal.of(Reason.DUPLICATE_RESPONSE, answers + " responses to one request")
          : Refusal.of(Reason.UPSTREAM_NOT_JSONRPC, "a JSON array (batch) reply");
    }

    private byte[] readCapped(HttpEntity entity, long cap) throws RefusalException {
      long declared = entity.getContentLength();
      byte[] buffer = new byte[(int) Math.min(declared > 0 ? declared : 8192, cap + 1)];
      int size = 0;
      try {
        InputStream in = entity.getContent();
        while (true) {
          if (size == buffer.length) {
            if (size > cap) {
              throw new RefusalException(
                  Reason.RESPONSE_TOO_LARGE, "body over maxResponseBytes while reading");
            }
            buffer = Arrays.copyOf(buffer, (int) Math.min((long) size * 2, cap + 1));
          }
          int read = in.read(buffer, size, buffer.length - size);
          if (read < 0) {
            bodyFinished = true;
            return size == buffer.length ? buffer : Arrays.copyOf(buffer, size);
          }
          watchdog.touch();
          size += read;
          if (size > cap) {
            throw new RefusalException(
                Reason.RESPONSE_TOO_LARGE, "body over maxResponseBytes while reading");
          }
        }
      } catch (IOException e) {
        throw new RefusalException(bodyFailure(e, Reason.MALFORMED_JSON));
      }
    }

    /** A body read failed: a limit the watchdog enforced, or a reply cut short. */
    private Refusal bodyFailure(IOException e, Reason truncated) {
      Reason fired = watchdog.fired();
      if (fired != null) {
        return Refusal.of(fired, "reply body past its time limit");
      }
      if (e instanceof SocketTimeoutException) {
        return Refusal.of(Reason.STREAM_IDLE, "socket timeout backstop while reading the body");
      }
      return Refusal.of(truncated, "reply body cut short: " + e.getClass().getSimpleName());
    }

    private boolean hasNoBody(HttpEntity entity) throws IOException {
      if (entity == null || entity.getContentLength() == 0) {
        return true;
      }
      try {
        if (entity.getContent().read() < 0) {
          bodyFinished = true;
          return true;
        }
        return false;
      } catch (IOException e) {
        // A broken body is not an empty one; the caller refuses it.
        return false;
      }
    }

    /** Reads a small declared-length body to keep the connection; otherwise leaves it. */
    private void discard(ClassicHttpResponse response) {
      HttpEntity entity = response.getEntity();
      if (entity == null) {
        bodyFinished = true;
        return;
      }
      long declared = entity.getContentLength();
      if (declared < 0 || declared > DISCARD_LIMIT_BYTES) {
        return; // the caller's finally drops the connection
      }
      try {
        InputStream in = entity.getContent();
        byte[] sink = new byte[(int) Math.max(declared, 1)];
        while (in.read(sink) >= 0) {
          watchdog.touch();
        }
        bodyFinished = true;
      } catch (IOException e) {
        // Nothing to keep: the connection is dropped.
      }
    }

    /** Null when fine (also when absent), else the refusal for a bad session id. */
    private Refusal readSessionId(ClassicHttpResponse response) {
      Header[] headers = response.getHeaders(UpstreamHeaders.SESSION);
      if (headers.length == 0) {
        return null;
      }
      if (headers.length > 1) {
        return Refusal.of(Reason.UPSTREAM_NOT_JSONRPC, "repeated Mcp-Session-Id");
      }
      String value = headers[0].getValue();
      if (value == null || !UpstreamHeaders.isValidSessionId(value)) {
        return Refusal.of(Reason.UPSTREAM_NOT_JSONRPC, "Mcp-Session-Id not visible ASCII");
      }
      sessionId = value;
      return null;
    }

    /** No decompression here, so an encoded body could only be misread: refused. */
    private Refusal checkContentEncoding(ClassicHttpResponse response) {
      for (Header header : response.getHeaders("Content-Encoding")) {
        if (!"identity".equalsIgnoreCase(header.getValue().trim())) {
          return Refusal.of(Reason.BAD_CONTENT_TYPE, "encoded reply body");
        }
      }
      return null;
    }

    private ReplyMediaType mediaType(ClassicHttpResponse response) {
      Header[] types = response.getHeaders("Content-Type");
      if (types.length != 1) {
        return null;
      }
      return ReplyMediaType.of(types[0].getValue()).orElse(null);
    }

    private Map<String, String> replyHeaders(String contentType) {
      Map<String, String> headers = new LinkedHashMap<>();
      if (contentType != null) {
        headers.put("Content-Type", contentType);
      }
      if (sessionId != null) {
        headers.put(UpstreamHeaders.SESSION, sessionId);
      }
      return Collections.unmodifiableMap(headers);
    }

    /** Marks body activity for the idle limit. */
    private final class TouchingInputStream extends FilterInputStream {
      TouchingInputStream(HttpEntity entity) throws IOException {
        super(entity.getContent());
      }

      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          watchdog.touch();
        }
        return b;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        int read = super.read(buffer, offset, length);
        if (read > 0) {
          watchdog.touch();
        }
        return read;
      }

      @Override
      public void close() {
        // The call's finally owns the connection; closing here would drain the stream.
      }
    }
  }

  private static void closeQuietly(ClassicHttpResponse response) {
    if (response == null) {
      return;
    }
    try {
      response.close();
    } catch (IOException | RuntimeException ignored) {
      // The connection was already released or dropped; nothing else depends on this.
    }
  }

  /** Visible for tests: how many calls are being watched (should return to zero). */
  int pendingWatchdogs() {
    return watchdogs.size();
  }
}
