// Small HTTP helpers shared by the test MCP servers in this folder (conformance-server.mjs,
// expiring-server.mjs).
import { randomUUID } from "node:crypto";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";

/** Answers with a JSON body and an exact Content-Length. */
export function json(res, status, body) {
  const bytes = Buffer.from(JSON.stringify(body), "utf8");
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": bytes.length });
  res.end(bytes);
}

/** Reads a request body of at most 1 MiB as JSON; undefined when there is none. */
export async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 1 << 20) {
      throw new Error("body too large");
    }
    chunks.push(chunk);
  }
  return chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/**
 * Routes one request on /mcp to its session, as the MCP transport defines it: a known
 * Mcp-Session-Id goes to that session's transport; an unknown (or expired) one gets 404
 * -32001, on which a client starts a new session; an initialize without one opens a session
 * (one transport and one server from newServer() per session, kept in sessions until closed);
 * anything else is 400.
 */
export async function routeToSession(sessions, newServer, req, res, body) {
  const session = req.headers["mcp-session-id"];
  if (typeof session === "string") {
    const transport = sessions.get(session);
    if (transport === undefined) {
      json(res, 404, { jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null });
      return;
    }
    await transport.handleRequest(req, res, body);
    return;
  }
  if (req.method === "POST" && isInitializeRequest(body)) {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined && sessions.get(transport.sessionId) === transport) {
        sessions.delete(transport.sessionId);
      }
    };
    await newServer().connect(transport);
    await transport.handleRequest(req, res, body);
    return;
  }
  json(res, 400, { jsonrpc: "2.0", error: { code: -32000, message: "Bad Request: no session id" }, id: null });
}
