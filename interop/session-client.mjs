// The official MCP TypeScript client through a session that expires upstream:
//   node session-client.mjs MCP_URL EXPIRE_URL
// opens a session at MCP_URL, calls a tool, has the upstream expire its sessions (POST to
// EXPIRE_URL, the expiring server's loopback admin route, never through zo-gate), calls again
// (the MCP transport answers 404 for a session that is gone), then does what the MCP transport
// asks of a client on that 404: starts a new session (initialize without a session id) and goes
// on. Prints one JSON transcript on stdout; the old session id is printed too, so that the test
// can try it again afterwards.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, expireUrl] = process.argv.slice(2);
if (!url || !expireUrl) {
  console.error("usage: node session-client.mjs MCP_URL EXPIRE_URL");
  process.exit(2);
}

const transcript = { steps: [] };
const step = (name, value) => transcript.steps.push({ name, ...value });

async function outcome(fn) {
  try {
    return { ok: await fn() };
  } catch (e) {
    if (e instanceof StreamableHTTPError) {
      return { httpError: { status: e.code, sessionNotFound: String(e.message).includes("Session not found") } };
    }
    return { failure: String(e?.message ?? e) };
  }
}

async function open() {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = new Client({ name: "zo-gate-session-expiry", version: "1.0.0" }, { capabilities: {} });
  // The standalone GET stream the client opens after initializing may end with the session;
  // its errors are not part of what this script checks.
  client.onerror = () => {};
  await client.connect(transport);
  return { transport, client };
}

const echo = (client, message) => client.callTool({ name: "echo", arguments: { message } });

const first = await open();
const oldSession = first.transport.sessionId ?? null;
step("initialize", { session: typeof oldSession === "string" && oldSession.length > 0 });
step("echo", await outcome(() => echo(first.client, "before expiry")));

const expired = await fetch(expireUrl, { method: "POST" });
step("expire-upstream", { status: expired.status, ok: (await expired.json()).expired });

// The session is gone upstream: the SDK surfaces the 404 as a StreamableHTTPError.
step("echo-after-expiry", await outcome(() => echo(first.client, "after expiry")));
step("transport-keeps-old-session", { ok: first.transport.sessionId === oldSession });
await first.client.close().catch(() => {});

// What the client does on that 404: a new session, initialize without a session id.
const second = await open();
const newSession = second.transport.sessionId ?? null;
step("reinitialize", {
  session: typeof newSession === "string" && newSession.length > 0,
  newSessionDiffers: newSession !== oldSession,
});
step("echo-in-new-session", await outcome(() => echo(second.client, "after a new session")));
step("terminate", await outcome(async () => {
  await second.transport.terminateSession();
  return second.transport.sessionId === undefined ? "terminated" : "still has a session";
}));
await second.client.close().catch(() => {});

transcript.oldSession = oldSession;
process.stdout.write(JSON.stringify(transcript) + "\n");
