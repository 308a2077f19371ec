package io.zogate.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * A small MCP server (Streamable HTTP, JSON replies, one streaming tool) that {@code serve
 * --demo} puts behind the proxy, so a first run needs nothing else. Loopback only. Not a
 * production component: it trusts what it is sent.
 */
public final class DemoUpstream implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer server;
  private final Set<String> sessions = ConcurrentHashMap.newKeySet();

  private DemoUpstream(HttpServer server) {
    this.server = server;
  }

  public static DemoUpstream start() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    DemoUpstream demo = new DemoUpstream(server);
    server.createContext("/mcp", demo::handle);
    server.setExecutor(Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "demo-upstream");
      t.setDaemon(true);
      return t;
    }));
    server.start();
    return demo;
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String session = ex.getRequestHeaders().getFirst("Mcp-Session-Id");
      if (ex.getRequestMethod().equals("DELETE")) {
        ex.sendResponseHeaders(session != null && sessions.remove(session) ? 200 : 404, -1);
        return;
      }
      if (!ex.getRequestMethod().equals("POST")) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      JsonNode msg = JSON.readTree(ex.getRequestBody());
      String method = msg.path("method").asText("");
      if (!method.equals("initialize") && session != null && !sessions.contains(session)) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      if (!msg.has("id")) {
        ex.sendResponseHeaders(202, -1);
        return;
      }
      ObjectNode reply = JSON.createObjectNode().put("jsonrpc", "2.0");
      reply.set("id", msg.get("id"));
      switch (method) {
        case "initialize" -> {
          String id = UUID.randomUUID().toString();
          sessions.add(id);
          ex.getResponseHeaders().set("Mcp-Session-Id", id);
          ObjectNode result = reply.putObject("result");
          result.put("protocolVersion", msg.path("params").path("protocolVersion").asText("2025-06-18"));
          result.putObject("capabilities").putObject("tools");
          result.putObject("serverInfo").put("name", "zo-gate-demo").put("version", "0.1.0");
        }
        case "ping" -> reply.putObject("result");
        case "tools/list" -> reply.putObject("result").set("tools", tools());
        case "tools/call" -> {
          JsonNode params = msg.path("params");
          if (params.path("name").asText().equals("count_slowly") && accepts(ex, "text/event-stream")) {
            streamCount(ex, msg.get("id"), params.path("arguments").path("to").asInt(3));
            return;
          }
          reply.set("result", call(params.path("name").asText(), params.path("arguments")));
        }
        default -> reply.putObject("error").put("code", -32601).put("message", "Method not found");
      }
      byte[] body = JSON.writeValueAsBytes(reply);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
    } catch (IOException | RuntimeException e) {
      // A demo: a broken request just ends the exchange.
    }
  }

  private static boolean accepts(HttpExchange ex, String type) {
    String accept = ex.getRequestHeaders().getFirst("Accept");
    return accept != null && accept.contains(type);
  }

  private static ArrayNode tools() {
    ArrayNode tools = JSON.createArrayNode();
    tool(tools, "echo", "Returns the text it is given", "text");
    tool(tools, "add", "Adds two numbers a and b", "a");
    tool(tools, "get_time", "Returns the current time", null);
    tool(tools, "count_slowly", "Counts to 'to', streaming progress notifications", "to");
    tool(tools, "delete_everything", "Denied by the demo's governance: try it", null);
    return tools;
  }

  private static void tool(ArrayNode tools, String name, String description, String arg) {
    ObjectNode t = tools.addObject().put("name", name).put("description", description);
    ObjectNode schema = t.putObject("inputSchema").put("type", "object");
    if (arg != null) {
      schema.putObject("properties").putObject(arg).put("type", arg.equals("text") ? "string" : "number");
    }
  }

  private static ObjectNode call(String name, JsonNode args) {
    String text = switch (name) {
      case "echo" -> args.path("text").asText("");
      case "add" -> String.valueOf(args.path("a").asDouble() + args.path("b").asDouble());
      case "get_time" -> Instant.now().toString();
      case "delete_everything" -> "deleted nothing: the demo upstream has nothing to delete";
      default -> null;
    };
    ObjectNode result = JSON.createObjectNode();
    if (text == null) {
      result.put("isError", true);
      text = "unknown tool " + name;
    }
    result.putArray("content").addObject().put("type", "text").put("text", text);
    return result;
  }

  private static void streamCount(HttpExchange ex, JsonNode id, int to) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    int n = Math.max(1, Math.min(to, 20));
    for (int i = 1; i <= n; i++) {
      ObjectNode progress = JSON.createObjectNode().put("jsonrpc", "2.0").put("method", "notifications/progress");
      progress.putObject("params").put("progressToken", "count").put("progress", i).put("total", n);
      writeEvent(out, progress);
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    ObjectNode reply = JSON.createObjectNode().put("jsonrpc", "2.0");
    reply.set("id", id);
    reply.putObject("result").putArray("content").addObject().put("type", "text").put("text", "counted to " + n);
    writeEvent(out, reply);
    out.close();
  }

  private static void writeEvent(OutputStream out, JsonNode message) throws IOException {
    out.write(("data: " + JSON.writeValueAsString(message) + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
