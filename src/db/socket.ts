// A net.Socket-shaped wrapper over `cloudflare:sockets` for postgres.js's `socket` option.
// postgres.js's own workerd socket emits 'error' after the driver has removed its listeners,
// so every `sql.end()` leaves an unhandled rejection (porsager/postgres#1202); this one only
// reports errors while someone listens, and closes once.

import { connect } from "cloudflare:sockets";
import { EventEmitter } from "node:events";

interface SocketOptions {
  host: string[];
  port: number[];
}

export function workerSocket({ host, port }: SocketOptions) {
  const hostname = host[0];
  const portNumber = port[0];
  if (!hostname || !portNumber) throw new Error("postgres: no host to connect to");
  const raw = connect({ hostname, port: portNumber });
  const writer = raw.writable.getWriter();
  const reader = raw.readable.getReader();
  const socket = Object.assign(new EventEmitter(), {
    readyState: "open" as "open" | "closed",
    write(data: Uint8Array, callback?: () => void) {
      writer.write(data).then(() => callback?.(), fail);
      return true;
    },
    end(data?: Uint8Array) {
      if (data) socket.write(data, shutdown);
      else shutdown();
    },
    destroy() {
      shutdown();
    },
    pause() {},
    resume() {},
  });

  function fail(error: unknown) {
    if (socket.readyState === "closed") return;
    if (socket.listenerCount("error") > 0) socket.emit("error", error);
    close(true);
  }

  function close(hadError = false) {
    if (socket.readyState === "closed") return;
    socket.readyState = "closed";
    socket.emit("close", hadError);
  }

  function shutdown() {
    raw.close().catch(() => {});
    close();
  }

  (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        socket.emit("data", Buffer.from(value));
      }
      close();
    } catch (error) {
      fail(error);
    }
  })();

  return socket;
}
