package io.zogate.proxy.bridge;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.zogate.proxy.auth.ActorSigner;
import io.zogate.proxy.auth.Authority;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A loopback endpoint for MCP clients that cannot sign (CONTRACT.md section 5, {@code bridge}).
 * Each request to its {@code /mcp} is signed for the target's authority and request target with
 * a fresh nonce and timestamp, forwarded with the body bytes unchanged and the MCP headers only,
 * and the answer relayed as it arrives: status, {@code Content-Type}, {@code Mcp-Session-Id} and
 * the body, flushed chunk by chunk so event-stream events are not held back.
 *
 * <p>Whoever can reach the bridge can act as its actor, so it refuses, before anything is
 * signed: a {@code Host} other than its own loopback address and port (DNS rebinding), any
 * {@code Origin} (a web page), a {@code POST} body that is not JSON, and, when a token is
 * configured, a request without {@code Authorization: Bearer <token>} (another local user).
 */
public final class SigningBridge implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SigningBridge.class.getName());
  public static final String PATH = "/mcp";
  /** Largest request body the bridge reads and signs (the proxy's own cap is usually lower). */
  public static final int MAX_BODY_BYTES = 4 * 1024 * 1024;
  /** Request headers relayed to the target, besides the five it signs. */
  static final List<String> FORWARDED_REQUEST_HEADERS =
      List.of("Content-Type", "Accept", "Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID");
  /** Response headers relayed to the client. */
  static final List<String> RELAYED_RESPONSE_HEADERS =
      List.of("Content-Type", "Mcp-Session-Id", "Allow", "Retry-After", "X-Zo-Trace-Id", "WWW-Authenticate");
  private static final Set<String> METHODS = Set.of("POST", "GET", "DELETE");
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  static {
    // Without it the JDK server waits for a delayed ACK between head and body (~40 ms each).
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  /** What the bridge needs; {@code token} empty means no bearer token is asked for. */
  public record Settings(ActorSigner signer, InetSocketAddress listen, URI target, Optional<byte[]> token,
      boolean allowNonLoopback, Duration responseTimeout) {
    public Settings {
      Objects.requireNonNull(signer, "signer");
      Objects.requireNonNull(listen, "listen");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(token, "token");
      Objects.requireNonNull(responseTimeout, "responseTimeout");
    }

    public Settings(ActorSigner signer, InetSocketAddress listen, URI target, Optional<byte[]> token) {
      this(signer, listen, target, token, false, Duration.ofMinutes(5));
    }
  }

  private final Settings settings;
  private final HttpServer server;
  private final ExecutorService workers;
  private final HttpClient client;
  private final String targetAuthority;
  private final String targetRequestTarget;
  private final Set<String> ownHosts;

  private SigningBridge(Settings settings, HttpServer server, ExecutorService workers, HttpClient client,
      String targetAuthority, String targetRequestTarget, Set<String> ownHosts) {
    this.settings = settings;
    this.server = server;
    this.workers = workers;
    this.client = client;
    this.targetAuthority = targetAuthority;
    this.targetRequestTarget = targetRequestTarget;
    this.ownHosts = ownHosts;
  }

  /**
   * Checks the settings and starts listening.
   *
   * @throws IllegalArgumentException a bad target URL or a non-loopback listen address without
   *     {@code allowNonLoopback} (a usage error)
   * @throws IOException the address cannot be bound
   */
  public static SigningBridge start(Settings s) throws IOException {
    URI to = s.target();
    if (!"http".equals(to.getScheme()) && !"https".equals(to.getScheme())) {
      throw new IllegalArgumentException("--to must be an http or https URL");
    }
    if (to.getRawAuthority() == null || to.getRawUserInfo() != null || to.getRawFragment() != null) {
      throw new IllegalArgumentException("--to must be http(s)://host[:port]/path, without user info or fragment");
    }
    String authority = Authority.canonicalize(to.getRawAuthority(), "https".equals(to.getScheme()) ? 443 : 80)
        .orElseThrow(() -> new IllegalArgumentException("--to: bad authority " + to.getRawAuthority()));
    String requestTarget = (to.getRawPath() == null || to.getRawPath().isEmpty() ? "/" : to.getRawPath())
        + (to.getRawQuery() == null ? "" : "?" + to.getRawQuery());
    if (s.token().isPresent() && s.token().get().length == 0) {
      throw new IllegalArgumentException("the bearer token is empty");
    }
    InetSocketAddress listen = s.listen();
    if (listen.isUnresolved()) {
      throw new IllegalArgumentException("cannot resolve listen host " + listen.getHostString());
    }
    InetAddress address = listen.getAddress();
    if (!address.isLoopbackAddress() && !s.allowNonLoopback()) {
      throw new IllegalArgumentException("refusing to listen on " + address.getHostAddress()
          + ": not a loopback address (anyone who reaches the bridge acts as the actor); "
          + "--allow-non-loopback overrides");
    }
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor workers = new ThreadPoolExecutor(32, 32, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(256),
        r -> {
          Thread t = new Thread(r, "zo-gate-bridge-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    workers.allowCoreThreadTimeOut(true);
    HttpServer server = HttpServer.create(listen, 64);
    HttpClient client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
    int port = server.getAddress().getPort();
    Set<String> hosts = new java.util.HashSet<>(List.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port));
    if (!address.isLoopbackAddress() && !address.isAnyLocalAddress()) {
      String h = address.getHostAddress();
      hosts.add((h.indexOf(':') >= 0 ? "[" + h + "]" : h).toLowerCase(Locale.ROOT) + ":" + port);
    }
    SigningBridge bridge = new SigningBridge(s, server, workers, client, authority, requestTarget, Set.copyOf(hosts));
    server.setExecutor(workers);
    server.createContext("/", bridge::handle);
    server.start();
    return bridge;
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The URL MCP clients point at. */
  public String url() {
    String h = server.getAddress().getAddress().getHostAddress();
    return "http://" + (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port() + PATH;
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
  }

  private void handle(HttpExchange exchange) {
    try (exchange) {
      serve(exchange);
    } catch (IOException e) {
      // The client went away, or the relay was cut; nothing left to answer.
      LOG.log(Level.FINE, "bridge exchange ended: " + e);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "bridge exchange failed", e);
    }
  }

  private void serve(HttpExchange ex) throws IOException {
    Headers in = ex.getRequestHeaders();
    List<String> host = in.getOrDefault("Host", List.of());
    if (host.size() != 1 || !ownHosts.contains(host.get(0).trim().toLowerCase(Locale.ROOT))) {
      refuse(ex, 403, "host_not_allowed", "Host must be this bridge's own loopback address and port");
      return;
    }
    if (in.containsKey("Origin")) {
      refuse(ex, 403, "origin_not_allowed", "requests from web pages (with an Origin header) are refused");
      return;
    }
    if (settings.token().isPresent() && !bearerMatches(in.getOrDefault("Authorization", List.of()))) {
      ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      refuse(ex, 401, "token_required", "Authorization: Bearer <token> is required");
      return;
    }
    if (!PATH.equals(ex.getRequestURI().getRawPath()) || ex.getRequestURI().getRawQuery() != null) {
      refuse(ex, 404, "unknown_route", "only " + PATH);
      return;
    }
    String method = ex.getRequestMethod();
    if (!METHODS.contains(method)) {
      ex.getResponseHeaders().set("Allow", "POST, GET, DELETE");
      refuse(ex, 405, "method_not_allowed", "only POST, GET and DELETE");
      return;
    }
    for (String name : FORWARDED_REQUEST_HEADERS) {
      if (in.getOrDefault(name, List.of()).size() > 1) {
        refuse(ex, 400, "duplicate_header", name + " appears more than once");
        return;
      }
    }
    byte[] body;
    if (method.equals("POST")) {
      if (!isJson(in.getFirst("Content-Type"))) {
        refuse(ex, 415, "not_json", "a POST body must be Content-Type: application/json");
        return;
      }
      body = readBody(ex);
      if (body == null) {
        refuse(ex, 413, "body_too_large", "the body is over " + MAX_BODY_BYTES + " bytes");
        return;
      }
      if (!parses(body)) {
        refuse(ex, 400, "invalid_json", "the body is not one JSON value");
        return;
      }
    } else {
      body = readBody(ex);
      if (body == null || body.length > 0) {
        refuse(ex, 400, "unexpected_body", method + " carries no body");
        return;
      }
    }
    relay(ex, method, body);
  }

  private void relay(HttpExchange ex, String method, byte[] body) throws IOException {
    HttpRequest.Builder req = HttpRequest.newBuilder(settings.target())
        .timeout(settings.responseTimeout())
        .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    Headers in = ex.getRequestHeaders();
    for (String name : FORWARDED_REQUEST_HEADERS) {
      String v = in.getFirst(name);
      if (v != null) {
        req.header(name, v);
      }
    }
    settings.signer().headers(method, targetAuthority, targetRequestTarget, body).forEach(req::header);
    HttpResponse<InputStream> resp;
    try {
      resp = client.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpConnectTimeoutException | java.net.ConnectException e) {
      refuse(ex, 502, "target_unreachable", "cannot connect to " + targetAuthority);
      return;
    } catch (HttpTimeoutException e) {
      refuse(ex, 504, "target_timeout", "no answer from " + targetAuthority + " in time");
      return;
    } catch (IOException e) {
      refuse(ex, 502, "target_failed", "the request to " + targetAuthority + " failed");
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try (InputStream upstream = resp.body()) {
      Headers out = ex.getResponseHeaders();
      for (String name : RELAYED_RESPONSE_HEADERS) {
        List<String> values = resp.headers().allValues(name);
        if (!values.isEmpty()) {
          out.put(name, List.copyOf(values));
        }
      }
      int status = resp.statusCode();
      OptionalLong declared = resp.headers().firstValueAsLong("Content-Length");
      boolean noBody = status == 204 || status == 304 || (declared.isPresent() && declared.getAsLong() == 0);
      if (noBody) {
        ex.sendResponseHeaders(status, -1);
        return;
      }
      // A declared length is kept; anything else (an event stream) is relayed chunked.
      ex.sendResponseHeaders(status, declared.isPresent() ? declared.getAsLong() : 0);
      OutputStream client = ex.getResponseBody();
      byte[] buf = new byte[16 * 1024];
      int n;
      while ((n = upstream.read(buf)) >= 0) {
        if (n > 0) {
          client.write(buf, 0, n);
          client.flush();
        }
      }
      client.close();
    }
  }

  private boolean bearerMatches(List<String> authorization) {
    if (authorization.size() != 1) {
      return false;
    }
    String v = authorization.get(0).trim();
    if (v.length() < 7 || !v.substring(0, 7).equalsIgnoreCase("Bearer ")) {
      return false;
    }
    byte[] given = v.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(given, settings.token().orElseThrow());
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    String type = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    return type.equals("application/json");
  }

  static boolean parses(byte[] body) {
    if (body.length == 0) {
      return false;
    }
    try {
      JSON.readTree(body);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The body, or null when it is over the cap. */
  private static byte[] readBody(HttpExchange ex) throws IOException {
    String declared = ex.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > MAX_BODY_BYTES) {
          return null;
        }
      } catch (NumberFormatException e) {
        return null;
      }
    }
    try (InputStream body = ex.getRequestBody()) {
      byte[] bytes = body.readNBytes(MAX_BODY_BYTES + 1);
      return bytes.length > MAX_BODY_BYTES ? null : bytes;
    }
  }

  private static void refuse(HttpExchange ex, int status, String reason, String message) throws IOException {
    Map<String, String> error = new java.util.LinkedHashMap<>();
    error.put("error", reason);
    error.put("message", message);
    byte[] json = JSON.writeValueAsBytes(error);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, json.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(json);
    }
  }
}
