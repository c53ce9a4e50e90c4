// Shared helpers for runtime tests: call the Worker as a browser would and read its log lines.
import { env, exports } from "cloudflare:workers";
import { vi } from "vitest";
import { connect, type Database, disconnect } from "../../src/db/client";

export const ORIGIN = "http://localhost:8787";

export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
}

/** Captures the console lines (log, warn, error) written while `fn` runs. */
export async function captureLogs<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const spies = (["log", "warn", "error"] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    }),
  );
  try {
    const result = await fn();
    return { result, lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
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
