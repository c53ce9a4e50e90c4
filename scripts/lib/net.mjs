// Small network helpers for the local orchestration scripts and Node-side tests.
import { connect, createServer } from "node:net";

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `url` until it answers (any status) or `timeoutMs` passes.
 * @param {string} url
 * @param {{ timeoutMs?: number, isAlive?: () => boolean }} [options]
 */
export async function waitForHttp(url, { timeoutMs = 60_000, isAlive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`process serving ${url} exited`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      return res;
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${lastError?.message}`);
}

/**
 * Polls 127.0.0.1:`port` until it accepts a TCP connection or `timeoutMs` passes.
 * @param {number} port
 * @param {{ timeoutMs?: number, isAlive?: () => boolean }} [options]
 */
export async function waitForTcp(port, { timeoutMs = 60_000, isAlive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`process listening on port ${port} exited`);
    try {
      await new Promise((resolve, reject) => {
        const socket = connect({ port, host: "127.0.0.1", timeout: 2_000 });
        socket.once("connect", () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.once("timeout", () => socket.destroy(new Error("connect timed out")));
        socket.once("error", reject);
      });
      return;
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`port ${port} did not accept within ${timeoutMs} ms: ${lastError?.message}`);
}
