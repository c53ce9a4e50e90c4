// Writes a small conversation with usage straight into Postgres for an account, the way the
// gateway's reconcile would, so identity tests can check that linking keeps every row; and
// usage rows of chosen kinds and times, for the admin views' filters and pages.
import { and, count, eq, sql } from "drizzle-orm";
import type { Database } from "../../src/db/client";
import {
  agentMessages,
  agentSessions,
  agentToolCalls,
  quotaBuckets,
  type UsageStatus,
  usageLog,
} from "../../src/db/schema";
import { windowStart } from "../../src/quota/window";

export async function seedHistory(db: Database, accountId: string, tokens: number) {
  const [session] = await db
    .insert(agentSessions)
    .values({ accountId, title: "seeded", messageCount: 2 })
    .returning();
  if (!session) throw new Error("seed: no session");
  const [, assistant] = await db
    .insert(agentMessages)
    .values([
      { accountId, sessionId: session.id, seq: 1, role: "user", content: "hi" },
      { accountId, sessionId: session.id, seq: 2, role: "assistant", content: "hello" },
    ])
    .returning();
  if (!assistant) throw new Error("seed: no assistant message");
  await db.insert(agentToolCalls).values({
    id: `call_${crypto.randomUUID().replaceAll("-", "")}`,
    accountId,
    sessionId: session.id,
    messageId: assistant.id,
    position: 0,
    name: "python_run",
    arguments: '{"code":"print(1)"}',
    proposedCode: "print(1)",
  });
  await db.insert(usageLog).values({
    id: crypto.randomUUID(),
    accountId,
    sessionId: session.id,
    model: "scripted-demo",
    provider: "openai",
    estimatedTokens: tokens,
    actualTokens: tokens,
    debitedTokens: tokens,
    status: "ok",
  });
  await db
    .update(quotaBuckets)
    .set({ usedTokens: sql`${quotaBuckets.usedTokens} + ${tokens}` })
    .where(and(eq(quotaBuckets.accountId, accountId), eq(quotaBuckets.windowStart, windowStart())));
  return session.id;
}

export async function rowCounts(db: Database, accountId: string) {
  const n = async (
    table: typeof agentSessions | typeof agentMessages | typeof agentToolCalls | typeof usageLog,
  ) => {
    const [row] = await db.select({ n: count() }).from(table).where(eq(table.accountId, accountId));
    return row?.n ?? 0;
  };
  return {
    sessions: await n(agentSessions),
    messages: await n(agentMessages),
    toolCalls: await n(agentToolCalls),
    usage: await n(usageLog),
  };
}

export interface SeededUsage {
  model: string;
  status: UsageStatus;
  /** When it was logged, as Postgres writes it (microseconds, which a Date cannot hold). */
  at: string;
}

/** Usage rows for `accountId`, as settlements would have logged them; their ids, in order. */
export async function seedUsage(db: Database, accountId: string, rows: SeededUsage[]) {
  const ids: string[] = [];
  for (const { model, status, at } of rows) {
    const id = crypto.randomUUID();
    await db.$client`
      insert into usage_log (id, account_id, model, provider, estimated_tokens, status, created_at)
      values (${id}, ${accountId}, ${model}, 'openai', 10, ${status}, ${at}::timestamptz)`;
    ids.push(id);
  }
  return ids;
}
