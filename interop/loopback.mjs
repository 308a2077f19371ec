// Preloaded with `node --import ./loopback.mjs`: keeps a node process on 127.0.0.1.
// Inbound: every TCP server this process starts listens on 127.0.0.1 only, whatever host (or
// none) the program asked for. server-everything has no host option and would otherwise listen
// on every interface.
import net from "node:net";

const HOST = "127.0.0.1";
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first !== null && typeof first === "object" && !Array.isArray(first)) {
    if (first.path !== undefined || first.fd !== undefined || first.handle !== undefined || first._handle !== undefined) {
      return listen.apply(this, args); // a Unix socket or an inherited handle, not a TCP address
    }
    args[0] = { ...first, host: HOST };
    return listen.apply(this, args);
  }
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback]): drop any host, then put ours in its place.
    const rest = args.slice(1);
    if (typeof rest[0] === "string") {
      rest.shift();
    }
    return listen.call(this, Number(first), HOST, ...rest);
  }
  if (first === undefined || typeof first === "function") {
    return listen.call(this, 0, HOST, ...args);
  }
  return listen.apply(this, args); // a pipe path
};

// Outbound: every TCP connection this process opens must go to a loopback address; any other
// destination (a host name other than localhost included, so no DNS query is made for it) is
// refused before a packet is sent. The conformance tool carries a GitHub client for another
// command; this keeps the test's node processes on the machine whatever they try.
const connect = net.Socket.prototype.connect;

export function isLoopbackHost(host) {
  if (host === undefined || host === null || host === "localhost") {
    return true; // net's default host is localhost
  }
  const h = String(host).replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::1" || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

net.Socket.prototype.connect = function (...args) {
  // net.connect() hands over its normalised arguments as an array whose first item is the options.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  let options;
  if (first !== null && typeof first === "object") {
    options = first;
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    options = { port: first, host: typeof args[1] === "string" ? args[1] : undefined };
  } else {
    options = { path: first }; // a Unix socket path
  }
  if (options.path === undefined && !isLoopbackHost(options.host)) {
    const error = Object.assign(new Error(`loopback.mjs: refused a connection to ${options.host}: this process may reach 127.0.0.1 only`),
      { code: "ZO_NOT_LOOPBACK" });
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return connect.apply(this, args);
};
