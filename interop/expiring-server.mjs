// A small real MCP server (the official SDK's McpServer behind StreamableHTTPServerTransport,
// stateful: one transport per session id) whose sessions can expire, so that zo-gate's handling
// of "session gone upstream" can be shown with real peers. server-everything answers 400 for an
// unknown session; the MCP transport says 404, which this server answers, as the SDK does:
//   404 {"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}
//
//   node --import ./loopback.mjs expiring-server.mjs PORT
//
// Listens on 127.0.0.1 only. Besides /mcp it has two admin routes, answered only to a loopback
// peer and never part of MCP (zo-gate only forwards /mcp, so they are not reachable through it):
//   POST /admin/expire               every live session expires (as after an idle timeout or a restart)
//   GET  /admin/requests             what reached /mcp so far: [{method, session, rpc}] in order
import http from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { json, readJson, routeToSession } from "./http-util.mjs";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("usage: node expiring-server.mjs PORT");
  process.exit(2);
}

const sessions = new Map(); // session id -> transport
const received = []; // what reached /mcp, for the test to see what zo-gate forwarded

function newServer() {
  const server = new McpServer({ name: "zo-gate-expiring-server", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes the message", inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: "text", text: `Echo: ${message}` }] }),
  );
  return server;
}

async function expireAll() {
  const gone = [...sessions.entries()];
  sessions.clear();
  for (const [, transport] of gone) {
    await transport.close(); // ends any open stream of that session
  }
  return gone.length;
}

async function handleMcp(req, res) {
  const body = req.method === "POST" ? await readJson(req) : undefined;
  const sessionHeader = req.headers["mcp-session-id"];
  const session = typeof sessionHeader === "string" ? sessionHeader : null;
  received.push({ method: req.method, session, rpc: body?.method ?? (body && "id" in body ? "response" : null) });

  // An unknown or expired session gets 404, on which a client starts a new session.
  await routeToSession(sessions, newServer, req, res, body);
}

const loopbackPeer = (req) => ["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(req.socket.remoteAddress);

const httpServer = http.createServer(async (req, res) => {
  try {
    const path = new URL(req.url, "http://127.0.0.1").pathname;
    if (path === "/mcp") {
      await handleMcp(req, res);
    } else if (path.startsWith("/admin/") && !loopbackPeer(req)) {
      json(res, 403, { error: "admin routes answer loopback peers only" });
    } else if (path === "/admin/expire" && req.method === "POST") {
      json(res, 200, { expired: await expireAll() });
    } else if (path === "/admin/requests" && req.method === "GET") {
      json(res, 200, received);
    } else {
      json(res, 404, { error: "not found" });
    }
  } catch (e) {
    console.error(e);
    if (!res.headersSent) {
      json(res, 500, { jsonrpc: "2.0", error: { code: -32603, message: "Internal error" }, id: null });
    } else {
      res.end();
    }
  }
});

httpServer.listen(port, "127.0.0.1", () => console.log(`expiring-server listening on 127.0.0.1:${port}`));

const stop = async () => {
  await expireAll();
  httpServer.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
