// The official MCP TypeScript client (StreamableHTTPClientTransport) run against one URL:
//   node client.mjs URL
// Prints one JSON transcript on stdout: what each call returned, normalised only where a value
// is per-session by nature (the session id is reported as present or not). The zo-gate test
// runs it directly against server-everything and through bridge + zo-gate and compares.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";

const url = process.argv[2];
if (!url) {
  console.error("usage: node client.mjs URL");
  process.exit(2);
}

const transcript = { steps: [] };
const step = (name, value) => transcript.steps.push({ name, ...value });

async function outcome(fn) {
  try {
    return { ok: await fn() };
  } catch (e) {
    if (e instanceof McpError) {
      return { error: { code: e.code, reason: e.data?.reason ?? null } };
    }
    return { failure: String(e?.message ?? e) };
  }
}

const transport = new StreamableHTTPClientTransport(new URL(url));
const client = new Client({ name: "zo-gate-interop", version: "1.0.0" }, { capabilities: {} });

await client.connect(transport); // initialize, then notifications/initialized
step("initialize", {
  server: client.getServerVersion()?.name ?? null,
  protocolVersion: transport.protocolVersion ?? null,
  capabilities: Object.keys(client.getServerCapabilities() ?? {}).sort(),
  session: typeof transport.sessionId === "string" && transport.sessionId.length > 0,
});

step("ping", await outcome(() => client.ping()));

const tools = await outcome(() => client.listTools());
step("tools/list", tools.ok ? { ok: tools.ok.tools.map((t) => t.name).sort(), tools: tools.ok.tools } : tools);

step("echo", await outcome(() => client.callTool({ name: "echo", arguments: { message: "hello through zo-gate" } })));
step("get-sum", await outcome(() => client.callTool({ name: "get-sum", arguments: { a: 19, b: 23 } })));

const progress = [];
const longRun = await outcome(() =>
  client.callTool(
    { name: "trigger-long-running-operation", arguments: { duration: 1.5, steps: 3 } },
    undefined,
    { onprogress: (p) => progress.push({ progress: p.progress, total: p.total }), timeout: 30000 },
  ),
);
step("trigger-long-running-operation", { ...longRun, progress });

// The tool the test's policy denies: a governance refusal must leave the session usable.
const env = await outcome(() => client.callTool({ name: "get-env", arguments: {} }));
step("get-env", env.ok ? { ok: "returned" } : env);
step("echo-after-get-env", await outcome(() => client.callTool({ name: "echo", arguments: { message: "still here" } })));

// A client notification (202, no body) for a request that does not exist: the server ignores it.
step("notification", await outcome(async () => {
  await client.notification({ method: "notifications/cancelled", params: { requestId: 424242, reason: "interop test" } });
  return "sent";
}));

step("terminate", await outcome(async () => {
  await transport.terminateSession(); // DELETE with the session id
  return transport.sessionId === undefined ? "terminated" : "still has a session";
}));
await client.close();

process.stdout.write(JSON.stringify(transcript) + "\n");
