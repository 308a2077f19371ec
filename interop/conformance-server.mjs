// An MCP server written with the official SDK (McpServer behind StreamableHTTPServerTransport,
// one transport per session) that implements what the conformance suite's server scenarios ask
// for in their own descriptions ("Server Implementation Requirements" in
// @modelcontextprotocol/conformance): the test_* tools, prompts and test:// resources, logging,
// progress, sampling and elicitation requests to the client, completion, subscriptions, and a
// Host/Origin check against DNS rebinding. server-everything does not have those fixtures, so
// most scenarios fail against it by themselves; against this server they run to the end, and
// the comparison through zo-gate covers server-to-client requests, notifications on the
// response stream and client responses too.
//
//   node --import ./loopback.mjs conformance-server.mjs PORT
import http from "node:http";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { json, readJson, routeToSession } from "./http-util.mjs";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("usage: node conformance-server.mjs PORT");
  process.exit(2);
}

// A 1x1 PNG and a WAV file without samples.
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
const WAV = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (t) => ({ content: [{ type: "text", text: t }] });

function newServer() {
  const server = new McpServer(
    { name: "zo-gate-conformance-server", version: "1.0.0" },
    { capabilities: { logging: {}, resources: { subscribe: true } } },
  );

  server.registerTool("test_simple_text", { description: "Returns simple text" }, async () =>
    text("This is a simple text response for testing."));
  server.registerTool("test_image_content", { description: "Returns image content" }, async () => ({
    content: [{ type: "image", data: PNG, mimeType: "image/png" }],
  }));
  server.registerTool("test_audio_content", { description: "Returns audio content" }, async () => ({
    content: [{ type: "audio", data: WAV, mimeType: "audio/wav" }],
  }));
  server.registerTool("test_embedded_resource", { description: "Returns an embedded resource" }, async () => ({
    content: [{
      type: "resource",
      resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." },
    }],
  }));
  server.registerTool("test_multiple_content_types", { description: "Returns text, image and resource" }, async () => ({
    content: [
      { type: "text", text: "Multiple content types test:" },
      { type: "image", data: PNG, mimeType: "image/png" },
      {
        type: "resource",
        resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: "{\"test\":\"data\",\"value\":123}" },
      },
    ],
  }));
  server.registerTool("test_tool_with_logging", { description: "Logs three messages while it runs" }, async (extra) => {
    const log = (data) => extra.sendNotification({ method: "notifications/message", params: { level: "info", data } });
    await log("Tool execution started");
    await sleep(50);
    await log("Tool processing data");
    await sleep(50);
    await log("Tool execution completed");
    return text("Tool with logging executed successfully");
  });
  server.registerTool("test_error_handling", { description: "Always fails" }, async () => {
    throw new Error("This tool intentionally returns an error for testing");
  });
  server.registerTool("test_tool_with_progress", { description: "Reports progress" }, async (extra) => {
    const token = extra._meta?.progressToken;
    for (const progress of [0, 50, 100]) {
      if (token !== undefined) {
        await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress, total: 100 } });
      }
      if (progress < 100) {
        await sleep(50);
      }
    }
    return text("Tool with progress executed successfully");
  });
  // Requests to the client go on the tool call's own response stream (extra.sendRequest), the
  // only server-to-client path zo-gate relays while GET streams are off.
  server.registerTool(
    "test_sampling",
    { description: "Asks the client for a completion", inputSchema: { prompt: z.string() } },
    async ({ prompt }, extra) => {
      const result = await extra.sendRequest({
        method: "sampling/createMessage",
        params: { messages: [{ role: "user", content: { type: "text", text: prompt } }], maxTokens: 100 },
      }, CreateMessageResultSchema);
      return text(`LLM response: ${result.content?.type === "text" ? result.content.text : JSON.stringify(result.content)}`);
    },
  );
  const elicit = (extra, params) => extra.sendRequest({ method: "elicitation/create", params }, ElicitResultSchema);
  server.registerTool(
    "test_elicitation",
    { description: "Asks the user for input", inputSchema: { message: z.string() } },
    async ({ message }, extra) => {
      const result = await elicit(extra, {
        message,
        requestedSchema: {
          type: "object",
          properties: {
            username: { type: "string", description: "User's response" },
            email: { type: "string", description: "User's email address" },
          },
          required: ["username", "email"],
        },
      });
      return text(`User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
    },
  );
  server.registerTool("test_elicitation_sep1034_defaults", { description: "Elicitation with defaults" }, async (extra) => {
    const result = await elicit(extra, {
      message: "Please review and update the form fields with defaults",
      requestedSchema: {
        type: "object",
        properties: {
          name: { type: "string", description: "User name", default: "John Doe" },
          age: { type: "integer", description: "User age", default: 30 },
          score: { type: "number", description: "User score", default: 95.5 },
          status: { type: "string", description: "User status", enum: ["active", "inactive", "pending"], default: "active" },
          verified: { type: "boolean", description: "Verification status", default: true },
        },
      },
    });
    return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
  });
  server.registerTool("test_elicitation_sep1330_enums", { description: "Elicitation with every enum form" }, async (extra) => {
    const result = await elicit(extra, {
      message: "Please select options from the enum fields",
      requestedSchema: {
        type: "object",
        properties: {
          untitledSingle: { type: "string", description: "Untitled single-select", enum: ["option1", "option2", "option3"] },
          titledSingle: {
            type: "string",
            description: "Titled single-select",
            oneOf: [
              { const: "value1", title: "First Option" },
              { const: "value2", title: "Second Option" },
              { const: "value3", title: "Third Option" },
            ],
          },
          legacyEnum: {
            type: "string",
            description: "Legacy titled enum",
            enum: ["opt1", "opt2", "opt3"],
            enumNames: ["Option One", "Option Two", "Option Three"],
          },
          untitledMulti: {
            type: "array",
            description: "Untitled multi-select",
            items: { type: "string", enum: ["option1", "option2", "option3"] },
          },
          titledMulti: {
            type: "array",
            description: "Titled multi-select",
            items: {
              anyOf: [
                { const: "value1", title: "First Choice" },
                { const: "value2", title: "Second Choice" },
                { const: "value3", title: "Third Choice" },
              ],
            },
          },
        },
      },
    });
    return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
  });

  server.registerResource("static-text", "test://static-text", { mimeType: "text/plain" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/plain", text: "This is the content of the static text resource." }],
  }));
  server.registerResource("static-binary", "test://static-binary", { mimeType: "image/png" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "image/png", blob: PNG }],
  }));
  server.registerResource("watched-resource", "test://watched-resource", { mimeType: "text/plain" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/plain", text: "Watched resource content." }],
  }));
  server.registerResource(
    "template",
    new ResourceTemplate("test://template/{id}/data", { list: undefined }),
    { mimeType: "application/json" },
    async (uri, { id }) => ({
      contents: [{
        uri: uri.href,
        mimeType: "application/json",
        text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
      }],
    }),
  );
  const subscriptions = new Set();
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  server.registerPrompt("test_simple_prompt", { description: "A simple prompt" }, async () => ({
    messages: [{ role: "user", content: { type: "text", text: "This is a simple prompt for testing." } }],
  }));
  server.registerPrompt(
    "test_prompt_with_arguments",
    {
      description: "A prompt with arguments",
      argsSchema: {
        arg1: completable(z.string(), (value) => ["paris", "park", "party", "test"].filter((v) => v.startsWith(value))),
        arg2: z.string(),
      },
    },
    async ({ arg1, arg2 }) => ({
      messages: [{ role: "user", content: { type: "text", text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }],
    }),
  );
  server.registerPrompt(
    "test_prompt_with_embedded_resource",
    { description: "A prompt with an embedded resource", argsSchema: { resourceUri: z.string() } },
    async ({ resourceUri }) => ({
      messages: [
        { role: "user", content: { type: "resource", resource: { uri: resourceUri, mimeType: "text/plain", text: "Embedded resource content for testing." } } },
        { role: "user", content: { type: "text", text: "Please process the embedded resource above." } },
      ],
    }),
  );
  server.registerPrompt("test_prompt_with_image", { description: "A prompt with an image" }, async () => ({
    messages: [
      { role: "user", content: { type: "image", data: PNG, mimeType: "image/png" } },
      { role: "user", content: { type: "text", text: "Please analyze the image above." } },
    ],
  }));
  return server;
}

const sessions = new Map();
const ownHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
const ownOrigins = new Set([...ownHosts].map((h) => `http://${h}`));

const httpServer = http.createServer(async (req, res) => {
  try {
    if (new URL(req.url, "http://127.0.0.1").pathname !== "/mcp") {
      json(res, 404, { error: "not found" });
      return;
    }
    // DNS rebinding: only this server's own loopback Host, and no foreign Origin.
    if (!ownHosts.has(req.headers.host ?? "") || (req.headers.origin !== undefined && !ownOrigins.has(req.headers.origin))) {
      json(res, 403, { jsonrpc: "2.0", error: { code: -32000, message: "Forbidden Host or Origin" }, id: null });
      return;
    }
    const body = req.method === "POST" ? await readJson(req) : undefined;
    await routeToSession(sessions, newServer, req, res, body);
  } catch (e) {
    console.error(e);
    if (!res.headersSent) {
      json(res, 500, { jsonrpc: "2.0", error: { code: -32603, message: "Internal error" }, id: null });
    } else {
      res.end();
    }
  }
});

httpServer.listen(port, "127.0.0.1", () => console.log(`conformance-server listening on 127.0.0.1:${port}`));
const stop = () => {
  httpServer.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
