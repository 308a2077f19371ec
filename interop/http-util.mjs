// Small HTTP helpers shared by the test MCP servers in this folder (conformance-server.mjs,
// expiring-server.mjs).

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
