// Helpers for gateway tests: accounts at a chosen tier and limit, scripted-model directives,
// SSE parsing, and reading back what the gateway settled.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, asc, eq } from "drizzle-orm";
import { inject } from "vitest";
import type { ReservationRecord } from "../../src/account-agent/settle";
import { accounts, agentMessages, quotaBuckets, type Tier, usageLog } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { reserveTokens } from "../../src/quota/reserve";
import { windowStart } from "../../src/quota/window";
import { Browser } from "./browser";
import { call, withDb } from "./helpers";

/** A user message carrying a behaviour directive for the scripted model. */
export function scripted(text: string, directive: Record<string, unknown>): string {
  return `${text}\n@scripted ${JSON.stringify(directive)}`;
}

export async function account(tier: Tier = "anon", limitTokens?: number) {
  const browser = new Browser();
  await browser.signInAnonymously();
  const me = await browser.me();
  await withDb(async (db) => {
    if (tier !== "anon")
      await db.update(accounts).set({ tier }).where(eq(accounts.id, me.account_id));
    if (limitTokens !== undefined) {
      await db
        .update(quotaBuckets)
        .set({ limitTokens })
        .where(
          and(
            eq(quotaBuckets.accountId, me.account_id),
            eq(quotaBuckets.windowStart, windowStart()),
          ),
        );
    }
  });
  return { browser, accountId: me.account_id };
}

/** A new virtual key of the browser's account. */
export async function keyFor(browser: Browser) {
  const res = await browser.fetch("/api/keys", { method: "POST", json: { label: "sdk" } });
  return res.json<{ id: string; key: string }>();
}

/** A request to the OpenAI-compatible /v1 API with virtual key `key` (or none). */
export const v1 = (path: string, key: string | null, init: RequestInit = {}) =>
  call(`/v1${path}`, {
    ...init,
    headers: { "content-type": "application/json", ...(key && { authorization: `Bearer ${key}` }) },
  });

export function chat(browser: Browser, body: Record<string, unknown>, init: RequestInit = {}) {
  return browser.fetch("/api/inference", {
    method: "POST",
    json: { model: "gpt-5-mini", ...body },
    ...init,
  });
}

/** One user message the scripted model answers with "ok", within `maxTokens`. */
export function chatOk(browser: Browser, maxTokens: number) {
  return chat(browser, {
    max_tokens: maxTokens,
    messages: [{ role: "user", content: scripted("hi", { reply: "ok" }) }],
  });
}

export interface SseResult {
  /** Parsed `data:` payloads, without the final [DONE]. */
  events: Record<string, unknown>[];
  done: boolean;
  text: string;
}

export function parseSse(raw: string): SseResult {
  const events: Record<string, unknown>[] = [];
  let done = false;
  for (const frame of raw.split("\n\n")) {
    const data = frame
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => l.slice(6))
      .join("\n");
    if (!data) continue;
    if (data === "[DONE]") done = true;
    else events.push(JSON.parse(data) as Record<string, unknown>);
  }
  const text = events
    .flatMap((e) => (e.choices as { delta?: { content?: string } }[] | undefined) ?? [])
    .map((c) => c.delta?.content ?? "")
    .join("");
  return { events, done, text };
}

export async function readSse(res: Response): Promise<SseResult> {
  return parseSse(await res.text());
}

/**
 * A streamed turn the scripted model answers with `reply` (if given) and a python_run call of
 * `code`; its session and its events.
 */
export async function runPythonTurn(browser: Browser, text: string, code: string, reply?: string) {
  const res = await chat(browser, {
    stream: true,
    max_tokens: 100,
    tools: [{ type: "function", function: { name: "python_run", parameters: { type: "object" } } }],
    messages: [
      {
        role: "user",
        content: scripted(text, {
          ...(reply !== undefined && { reply }),
          tool_call: { name: "python_run", arguments: { code } },
        }),
      },
    ],
  });
  return { sessionId: res.headers.get("x-session-id"), ...(await readSse(res)) };
}

/** The account's first usage row, once its request has settled. */
export async function settled(accountId: string, timeoutMs?: number) {
  const [row] = await eventually(async () => {
    const rows = await usageRows(accountId);
    return rows.length ? rows : null;
  }, timeoutMs);
  if (!row) throw new Error("no usage row");
  return row;
}

export async function usedTokens(accountId: string): Promise<number> {
  return withDb(async (db) => {
    const [row] = await db
      .select({ used: quotaBuckets.usedTokens })
      .from(quotaBuckets)
      .where(
        and(eq(quotaBuckets.accountId, accountId), eq(quotaBuckets.windowStart, windowStart())),
      );
    return row?.used ?? 0;
  });
}

export async function usageRows(accountId: string) {
  return withDb((db) => db.select().from(usageLog).where(eq(usageLog.accountId, accountId)));
}

/** The session's stored messages, in order. */
export function sessionMessages(sessionId: string) {
  return withDb((db) =>
    db
      .select()
      .from(agentMessages)
      .where(eq(agentMessages.sessionId, sessionId))
      .orderBy(asc(agentMessages.seq)),
  );
}

/** Polls until `check` returns a value (settling finishes just after a stream ends). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reserves `tokens` for an anon account the way the agent does, outside any agent; its id. */
export async function reserveDirectly(accountId: string, tokens: number) {
  const id = crypto.randomUUID();
  const reservation = await withDb((db) =>
    reserveTokens(db, {
      id,
      accountId,
      tier: "anon",
      keyHash: null,
      dailyLimit: 1_000_000,
      tokens,
    }),
  );
  if (!reservation.ok) throw new Error("could not reserve");
  return id;
}

export const agentFor = (accountId: string) =>
  env.ACCOUNT_AGENT.get(env.ACCOUNT_AGENT.idFromName(accountId));

/**
 * Gives the account's AccountAgent other variables than the suite's, for the test of a setting
 * (a short UPSTREAM_TIMEOUT_MS where the timeout is what is tested). The agent reads its own
 * bindings, not those of the Worker that calls it, so a Worker with other bindings would not do.
 */
export async function agentWithVars(accountId: string, vars: Record<string, string>) {
  await runInDurableObject(agentFor(accountId), (agent) => {
    const bound = agent as unknown as { env: Env };
    bound.env = { ...bound.env, ...vars };
  });
}

/**
 * The AccountAgent's stored record of reservation `id`, as the agent writes it before it streams
 * (the record, and an alarm), left behind as if its instance then died mid-stream.
 */
export async function storeRecord(
  accountId: string,
  fields: Pick<ReservationRecord, "id" | "reserved" | "promptEstimate" | "piecesSeen">,
) {
  const record: ReservationRecord = {
    ...fields,
    accountId,
    model: "gpt-5-mini",
    provider: "openai",
    requestId: `test-${crypto.randomUUID()}`,
    sessionId: crypto.randomUUID(),
    startedAt: Date.now() - 1_000,
  };
  await runInDurableObject(agentFor(accountId), async (_, state) => {
    await state.storage.put(`reservation:${record.id}`, record);
    await state.storage.setAlarm(Date.now() + 60_000);
  });
  return record;
}

/** The requests the scripted model received whose body contains `marker`. */
async function upstreamRequests(marker: string) {
  const res = await fetch(`${inject("scriptedModelUrl")}/scripted/requests?contains=${marker}`);
  const { data } = await res.json<{
    data: { outcome: string; body: Record<string, unknown> }[];
  }>();
  return data;
}

/** What became of each request the scripted model received whose text contains `marker`. */
export async function upstreamOutcomes(marker: string) {
  return (await upstreamRequests(marker)).map((r) => r.outcome);
}

/** The body the provider received for the one request whose text contains `marker`. */
export async function upstreamBody(marker: string) {
  const [request, ...others] = await upstreamRequests(marker);
  if (!request || others.length) throw new Error(`expected one upstream request for ${marker}`);
  return request.body;
}

/**
 * Sets the account's used tokens in a transaction held open until `heldUntil` resolves, so that
 * a reservation `start` makes meanwhile waits on the bucket's row and then finds that much used.
 */
export async function whileBucketTaken<T>(
  accountId: string,
  used: number,
  start: () => Promise<T>,
  heldUntil: () => Promise<unknown>,
): Promise<T> {
  let started: Promise<T> | undefined;
  await withDb((db) =>
    db.$client.begin(async (tx) => {
      await tx`update quota_buckets set used_tokens = ${used} where account_id = ${accountId}`;
      started = start();
      // Returned below; a failure while the row is held must not count as unhandled first.
      started.catch(() => {});
      await heldUntil();
    }),
  );
  if (!started) throw new Error("the transaction did not run");
  return started;
}
