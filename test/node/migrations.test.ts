// `npm run db:migrate` builds the whole schema from an empty database, and running it again
// changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, freshDatabase, run, sqlClient } from "./support";

const TABLES = [
  "account",
  "account_merges",
  "accounts",
  "admin_audit",
  "agent_messages",
  "agent_sessions",
  "agent_tool_calls",
  "open_reservations",
  "quota_buckets",
  "session",
  "usage_log",
  "user",
  "verification",
  "virtual_keys",
];

async function schemaSnapshot(url: string) {
  const sql = sqlClient(url);
  try {
    const columns = await sql`
      select table_name, column_name, data_type, is_nullable, column_default
      from information_schema.columns where table_schema = 'public'
      order by table_name, column_name`;
    const indexes = await sql`
      select indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname`;
    const applied = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
    return { columns, indexes, applied: applied[0]?.n as number };
  } finally {
    await sql.end();
  }
}

describe("npm run db:migrate", () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase("migrate");
  });
  let first: Awaited<ReturnType<typeof schemaSnapshot>>;

  it("applies every migration to an empty database", async () => {
    const result = await run("npm", ["run", "db:migrate"], cleanEnv({ DATABASE_URL: url }));
    expect(result.output).toContain("schema is up to date");
    expect(result.code).toBe(0);
    first = await schemaSnapshot(url);
    const tables = [...new Set(first.columns.map((c) => c.table_name))].sort();
    expect(tables).toEqual(TABLES);
    // The hot paths have their indexes.
    const names = first.indexes.map((i) => i.indexname);
    expect(names).toContain("quota_buckets_account_window_idx");
    expect(names).toContain("agent_messages_session_seq_idx");
    expect(first.applied).toBeGreaterThan(0);
  });

  it("is a no-op the second time", async () => {
    const result = await run("npm", ["run", "db:migrate"], cleanEnv({ DATABASE_URL: url }));
    expect(result.code).toBe(0);
    expect(await schemaSnapshot(url)).toEqual(first);
  });

  it("fails clearly, with a non-zero exit, when the database is unreachable", async () => {
    const result = await run(
      "npm",
      ["run", "db:migrate"],
      cleanEnv({ DATABASE_URL: "postgres://u:p@127.0.0.1:9/none" }),
    );
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("db:migrate:");
  });

  afterAll(() => {});
});
