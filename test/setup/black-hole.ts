/// <reference path="../types/provided.d.ts" />
// A TCP server that accepts connections and never answers: a database that hangs rather than
// refuses. Runtime tests point a Hyperdrive connection string at it (port via inject).
import { createServer, type Socket } from "node:net";
import type { TestProject } from "vitest/node";

export default async function setup(project: TestProject) {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("black hole did not bind");
  project.provide("blackHolePort", address.port);
  return async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
}
