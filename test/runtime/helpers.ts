// Shared helpers for runtime tests: call the Worker as a browser would and read its log lines.
import { env, exports } from "cloudflare:workers";
import { vi } from "vitest";
import { connect, type Database, disconnect } from "../../src/db/client";

export const ORIGIN = "http://localhost:8787";

export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
}

/** Captures console.log lines written while `fn` runs, parsed as JSON where they are JSON. */
export async function captureLogs<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  });
  try {
    const result = await fn();
    return { result, lines };
  } finally {
    spy.mockRestore();
  }
}

/** Runs `fn` with a Postgres client of the test's own, closed afterwards. */
export async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const db = connect(env.HYPERDRIVE);
  try {
    return await fn(db);
  } finally {
    await disconnect(db);
  }
}
