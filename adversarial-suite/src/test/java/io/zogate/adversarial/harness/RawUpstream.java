package io.zogate.adversarial.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scriptable upstream on a raw server socket: it can misbehave in ways an HTTP library will
 * not (cut a body short, stall mid-stream, lie about lengths). Every request it receives is
 * counted and recorded, so a case can assert that nothing reached upstream.
 *
 * <p>A behaviour is a JSON object (null = a well-behaved echo of the request's id):
 * {@code status}, {@code content-type}, {@code headers}, {@code body} (or {@code json}),
 * {@code sse} (list of event data) or {@code sse-raw}, {@code delay-ms}, {@code truncate-after},
 * {@code stall-after} + {@code stall-ms}, {@code oversize}, {@code session-id}, {@code chunked},
 * {@code no-length}. In bodies, {@code {{id}}} is the request's id as JSON text.
 */
public final class RawUpstream implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One request as received. */
  public record Seen(String requestLine, Map<String, List<String>> headers, byte[] body) {
    public String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null ? null : v.get(0);
    }
  }

  private final ServerSocket server;
  private final Thread acceptor;
  private final AtomicInteger count = new AtomicInteger();
  private final List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
  private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());
  private volatile JsonNode behaviour;

  public RawUpstream() throws IOException {
    server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::acceptLoop, "raw-upstream");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getLocalPort() + "/mcp";
  }

  public void behave(JsonNode behaviour) {
    this.behaviour = behaviour == null || behaviour.isNull() || behaviour.isMissingNode() ? null : behaviour;
  }

  public int count() {
    return count.get();
  }

  public List<Seen> seen() {
    synchronized (seen) {
      return List.copyOf(seen);
    }
  }

  public void reset() {
    count.set(0);
    seen.clear();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        open.add(s);
        Thread t = new Thread(() -> serve(s), "raw-upstream-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      s.setSoTimeout(10_000);
      InputStream in = s.getInputStream();
      String requestLine = readLine(in);
      if (requestLine == null || requestLine.isEmpty()) {
        return;
      }
      Map<String, List<String>> headers = new LinkedHashMap<>();
      String line;
      while ((line = readLine(in)) != null && !line.isEmpty()) {
        int c = line.indexOf(':');
        headers.computeIfAbsent(line.substring(0, c).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(line.substring(c + 1).trim());
      }
      byte[] body = readBody(in, headers);
      Seen req = new Seen(requestLine, headers, body);
      seen.add(req);
      count.incrementAndGet();
      respond(s.getOutputStream(), req, behaviour);
    } catch (IOException | InterruptedException e) {
      // The proxy hung up (a timeout case) or the suite is closing: nothing to answer.
    } finally {
      open.remove(s);
    }
  }

  private static byte[] readBody(InputStream in, Map<String, List<String>> headers) throws IOException {
    List<String> cl = headers.get("content-length");
    List<String> te = headers.get("transfer-encoding");
    if (cl != null) {
      return in.readNBytes(Integer.parseInt(cl.get(0)));
    }
    if (te != null && te.get(0).equalsIgnoreCase("chunked")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (true) {
        String size = readLine(in);
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          String trailer;
          while ((trailer = readLine(in)) != null && !trailer.isEmpty()) {
            // trailers are dropped
          }
          return out.toByteArray();
        }
        out.write(in.readNBytes(n));
        readLine(in);
      }
    }
    return new byte[0];
  }

  private static String idOf(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      return n != null && n.has("id") ? n.get("id").toString() : null;
    } catch (IOException e) {
      return "null";
    }
  }

  static void respond(OutputStream out, Seen req, JsonNode b) throws IOException, InterruptedException {
    String id = idOf(req.body());
    if (b == null) {
      if (id == null) {
        out.write("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
      } else {
        byte[] body = ("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"ok\":true}}")
            .getBytes(StandardCharsets.UTF_8);
        write(out, 200, "application/json", Map.of(), body, false, false);
      }
      out.flush();
      return;
    }
    if (b.has("delay-ms")) {
      Thread.sleep(b.get("delay-ms").asLong());
    }
    String idText = id == null ? "null" : id;
    int status = b.path("status").asInt(200);
    boolean sse = b.has("sse") || b.has("sse-raw");
    String contentType = b.has("content-type") ? b.get("content-type").asText()
        : sse ? "text/event-stream" : "application/json";
    byte[] body;
    if (b.has("sse")) {
      StringBuilder sb = new StringBuilder();
      for (JsonNode event : b.get("sse")) {
        sb.append("data: ").append(event.asText().replace("{{id}}", idText)).append("\n\n");
      }
      body = sb.toString().getBytes(StandardCharsets.UTF_8);
    } else if (b.has("sse-raw")) {
      body = b.get("sse-raw").asText().replace("{{id}}", idText).getBytes(StandardCharsets.UTF_8);
    } else if (b.has("oversize")) {
      body = ("{\"jsonrpc\":\"2.0\",\"id\":" + idText + ",\"result\":{\"pad\":\""
          + "x".repeat(b.get("oversize").asInt()) + "\"}}").getBytes(StandardCharsets.UTF_8);
    } else if (b.has("body") || b.has("json")) {
      body = (b.has("body") ? b.get("body") : b.get("json")).asText().replace("{{id}}", idText)
          .getBytes(StandardCharsets.UTF_8);
    } else if (b.has("body-hex")) {
      body = java.util.HexFormat.of().parseHex(b.get("body-hex").asText());
    } else {
      body = ("{\"jsonrpc\":\"2.0\",\"id\":" + idText + ",\"result\":{\"ok\":true}}").getBytes(StandardCharsets.UTF_8);
    }
    Map<String, String> extra = new LinkedHashMap<>();
    if (b.has("headers")) {
      b.get("headers").fields().forEachRemaining(e -> extra.put(e.getKey(), e.getValue().asText()));
    }
    if (b.has("session-id")) {
      extra.put("Mcp-Session-Id", b.get("session-id").asText());
    }
    boolean chunked = b.path("chunked").asBoolean(false);
    boolean noLength = b.path("no-length").asBoolean(false);
    if (b.has("truncate-after") || b.has("stall-after")) {
      int n = b.has("truncate-after") ? b.get("truncate-after").asInt() : b.get("stall-after").asInt();
      StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " X\r\n");
      if (contentType != null && !contentType.isEmpty()) {
        head.append("Content-Type: ").append(contentType).append("\r\n");
      }
      extra.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      if (!noLength && !sse) {
        head.append("Content-Length: ").append(body.length).append("\r\n");
      }
      head.append("Connection: close\r\n\r\n");
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body, 0, Math.min(n, body.length));
      out.flush();
      if (b.has("stall-after")) {
        Thread.sleep(b.path("stall-ms").asLong(3000));
      }
      return;
    }
    write(out, status, contentType, extra, body, chunked, noLength || sse && !chunked);
    out.flush();
  }

  private static void write(OutputStream out, int status, String contentType, Map<String, String> extra, byte[] body,
      boolean chunked, boolean closeDelimited) throws IOException {
    StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " X\r\n");
    if (contentType != null && !contentType.isEmpty()) {
      head.append("Content-Type: ").append(contentType).append("\r\n");
    }
    extra.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    if (chunked) {
      head.append("Transfer-Encoding: chunked\r\n");
    } else if (!closeDelimited) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("Connection: close\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (chunked) {
      for (int i = 0; i < body.length; i += 16) {
        int n = Math.min(16, body.length - i);
        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body, i, n);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    } else {
      out.write(body);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        byte[] bytes = line.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
      }
      line.write(c);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (open) {
      for (Socket s : open) {
        try {
          s.close();
        } catch (SocketException ignored) {
          // closing anyway
        }
      }
    }
  }
}
