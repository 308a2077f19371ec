package io.zogate.adversarial.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 client on a raw socket, so tests can send what well-behaved clients refuse to:
 * repeated headers, a foreign Host, CL with TE, absolute-form targets. One request per
 * connection; every read has a timeout.
 */
public final class RawHttp {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RawHttp() {}

  /** A response as received: status, headers (lower-case names), body (de-chunked). */
  public record Response(int status, Map<String, List<String>> headers, byte[] body) {
    public String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null ? null : v.get(0);
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * The JSON-RPC message of the answer: the body, or for an event stream the last event's
     * data (the proxy re-emits one message per {@code data:} line; the last one ends it).
     */
    public JsonNode json() {
      String text = bodyText();
      String ct = header("Content-Type");
      if (ct != null && ct.startsWith("text/event-stream")) {
        String last = null;
        for (String line : text.split("\n")) {
          if (line.startsWith("data:")) {
            last = line.substring(5).trim();
          }
        }
        text = last == null ? "" : last;
      }
      try {
        return JSON.readTree(text);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + text, e);
      }
    }

    /** {@code "<status> <code> <reason>"} for error answers, {@code "<status>"} otherwise. */
    public String outcome() {
      if (body.length > 0) {
        JsonNode j;
        try {
          j = json();
        } catch (AssertionError notJson) {
          return Integer.toString(status);
        }
        if (j != null && j.has("error") && j.get("error").path("data").has("reason")) {
          return status + " " + j.get("error").path("code").asInt() + " "
              + j.get("error").path("data").path("reason").asText();
        }
      }
      return Integer.toString(status);
    }
  }

  /** A request head as lines (request line first), sent as given with CRLF endings. */
  public static Response send(int port, List<String> headLines, byte[] body) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      StringBuilder head = new StringBuilder();
      for (String line : headLines) {
        head.append(line).append("\r\n");
      }
      head.append("\r\n");
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      return read(s.getInputStream());
    }
  }

  /** A request with the usual framing: Host, Content-Length, Connection: close. */
  public static Response request(int port, String method, String target, Map<String, String> headers, byte[] body)
      throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add(method + " " + target + " HTTP/1.1");
    if (headers.keySet().stream().noneMatch(k -> k.equalsIgnoreCase("Host"))) {
      lines.add("Host: 127.0.0.1:" + port);
    }
    headers.forEach((k, v) -> lines.add(k + ": " + v));
    if (body.length > 0 || method.equals("POST")) {
      lines.add("Content-Length: " + body.length);
    }
    lines.add("Connection: close");
    return send(port, lines, body);
  }

  static Response read(InputStream in) throws IOException {
    String statusLine;
    int status;
    Map<String, List<String>> headers;
    String line;
    do {
      // Interim 1xx answers (100 Continue) precede the final one: skip them.
      statusLine = readLine(in);
      if (statusLine == null) {
        throw new IOException("connection closed before a status line");
      }
      status = Integer.parseInt(statusLine.split(" ")[1]);
      headers = new LinkedHashMap<>();
      while ((line = readLine(in)) != null && !line.isEmpty()) {
      int c = line.indexOf(':');
      headers.computeIfAbsent(line.substring(0, c).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(line.substring(c + 1).trim());
      }
    } while (status / 100 == 1);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    List<String> te = headers.get("transfer-encoding");
    List<String> cl = headers.get("content-length");
    if (te != null && te.get(0).equalsIgnoreCase("chunked")) {
      while (true) {
        String size = readLine(in);
        if (size == null) {
          break;
        }
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          readLine(in);
          break;
        }
        body.write(in.readNBytes(n));
        readLine(in);
      }
    } else if (cl != null) {
      body.write(in.readNBytes(Integer.parseInt(cl.get(0))));
    } else if (status != 204 && status != 304 && status / 100 != 1) {
      body.write(in.readAllBytes());
    }
    return new Response(status, headers, body.toByteArray());
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }
}
