// Preloaded with `node --import ./loopback.mjs`: every TCP server this process starts listens
// on 127.0.0.1 only, whatever host (or none) the program asked for. server-everything has no
// host option and would otherwise listen on every interface.
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
