// Loaded with `node --import` before Portkey's open-source gateway, the bench's peer
// (scripts/lib/portkey.mjs). Two changes, neither to what it does per request:
// - Its Node build adds headers (x-portkey-trace-id, …) to the Response that fetch() returned
//   when it streams that response on (its updateHeaders step), which works on Workers and Deno
//   but not in Node: undici's fetch returns a response whose headers are immutable, as the
//   Fetch standard has it, so every streamed request through it fails with a 500 ("Something
//   went wrong"; "TypeError: immutable" in its log). Non-streaming requests work without this:
//   it builds those responses itself. Each response from fetch is re-wrapped here in a Response
//   of the same status and body with its own copy of the headers. The body is the same stream,
//   not a copy: nothing is buffered.
// - Given only a port, it listens on every interface; here it listens on 127.0.0.1.
import { Server } from "node:net";

const fetchFromNode = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const res = await fetchFromNode(input, init);
  return new Response(res.body, {
    status: res.status,
    statusText: res.statusText,
    headers: new Headers(res.headers),
  });
};

const listen = Server.prototype.listen;
Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && (args[1] === undefined || typeof args[1] === "function")) {
    if (args[1] === undefined) args[1] = "127.0.0.1";
    else args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
