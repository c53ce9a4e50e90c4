// Shared helpers for runtime tests: call the Worker as a browser would, read its log lines, and
// reach Postgres directly (a client of the test's own, a write made to fail, a lock wait seen).
import { env, exports } from "cloudflare:workers";
import { onTestFinished, vi } from "vitest";
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

/**
 * Makes Postgres refuse the writes a statement does to `table` for rows matching `when` (SQL
 * over the trigger's `new`/`old`), as a failing disk or a broken constraint would: a trigger
 * that raises. Scope `when` to the test's own rows, so concurrent tests are untouched. The
 * trigger goes when the test ends, or earlier through `remove`.
 */
export async function failWrites(
  table: string,
  event: "insert" | "update" | "delete",
  when: string,
): Promise<{ remove: () => Promise<void> }> {
  const name = `fail_${crypto.randomUUID().replaceAll("-", "")}`;
  await withDb((db) =>
    db.$client.unsafe(`
      create function ${name}() returns trigger language plpgsql as $$
        begin
          if ${when} then raise exception 'injected failure: %', tg_name; end if;
          if tg_op = 'DELETE' then return old; end if;
          return new;
        end $$;
      create trigger ${name} before ${event} on ${table} for each row execute function ${name}();`),
  );
  const remove = async () => {
    await withDb((db) =>
      db.$client.unsafe(`
        drop trigger if exists ${name} on ${table}; drop function if exists ${name}();`),
    );
  };
  onTestFinished(remove);
  return { remove };
}

/** Whether some statement is waiting for a lock that backend `pid` holds. */
export function blockedBy(pid: number): Promise<boolean> {
  return withDb(async (db) => {
    const [row] = await db.$client<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where wait_event_type = 'Lock' and ${pid}::int = any(pg_blocking_pids(pid))`;
    return (row?.n ?? 0) > 0;
  });
}
