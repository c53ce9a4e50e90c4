// The Cron Trigger's jobs, run by invoking the scheduled handler: stale reservations settle
// (those of an account merged away too), anonymous accounts idle past retention go with every
// row they own (unless they came back, if only to read), old usage rows are pruned; each job is
// idempotent and writes one log line, and a run whose job failed fails.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { count, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { provisionAccount } from "../../src/accounts/provision";
import { loadConfig } from "../../src/config";
import {
  accounts,
  agentMessages,
  openReservations,
  quotaBuckets,
  session,
  usageLog,
  user,
  virtualKeys,
} from "../../src/db/schema";
import worker from "../../src/index";
import { Browser, signedInWithOidc, uniqueLogin } from "./browser";
import { captureLogs, withDb } from "./helpers";
import {
  account,
  eventually,
  reserveDirectly,
  storeRecord,
  usageRows,
  usedTokens,
} from "./inference-helpers";
import { seedHistory } from "./seed";

/** Every job a run does, sorted. */
const JOBS = [
  "prune_usage_log",
  "remove_idle_anonymous_accounts",
  "remove_orphaned_accounts",
  "settle_stale_reservations",
];

const cron = (bindings: typeof env) =>
  worker.scheduled(createScheduledController({ cron: "*/15 * * * *" }), bindings);

async function runCron() {
  const { lines } = await captureLogs(() => cron(env));
  return lines
    .filter((l) => l.includes('"msg":"scheduled"'))
    .map((l) => JSON.parse(l) as { job: string; count: number });
}

const backdate = (id: string, minutes: number) =>
  withDb((db) =>
    db
      .update(openReservations)
      .set({ createdAt: sql`now() - make_interval(mins => ${minutes})` })
      .where(eq(openReservations.id, id)),
  );

describe("scheduled jobs", () => {
  it("settle reservations open past the limit, recorded by the agent or not, and leave fresh ones", async () => {
    const { accountId } = await account();
    const recorded = await reserveDirectly(accountId, 300);
    await storeRecord(accountId, {
      id: recorded,
      reserved: 300,
      promptEstimate: 20,
      piecesSeen: 12,
    });
    const unrecorded = await reserveDirectly(accountId, 200);
    const fresh = await reserveDirectly(accountId, 100);
    await backdate(recorded, 60);
    await backdate(unrecorded, 60);
    // As a Worker from before agent_account_id took it.
    await withDb((db) =>
      db
        .update(openReservations)
        .set({ agentAccountId: null })
        .where(eq(openReservations.id, unrecorded)),
    );
    expect(await usedTokens(accountId)).toBe(600);

    const lines = await runCron();
    expect(lines.find((l) => l.job === "settle_stale_reservations")?.count).toBeGreaterThanOrEqual(
      2,
    );
    const rows = await usageRows(accountId);
    expect(rows.find((r) => r.id === recorded)).toMatchObject({
      status: "settled_by_sweep",
      debitedTokens: 32,
    });
    expect(rows.find((r) => r.id === unrecorded)).toMatchObject({
      status: "settled_by_sweep",
      debitedTokens: 0,
    });
    // The fresh reservation may still belong to a running stream: untouched.
    expect(rows.find((r) => r.id === fresh)).toBeUndefined();
    expect(await usedTokens(accountId)).toBe(32 + 100);
    const open = await withDb((db) =>
      db.select().from(openReservations).where(eq(openReservations.accountId, accountId)),
    );
    expect(open.map((o) => o.id)).toEqual([fresh]);

    await runCron();
    expect(await usageRows(accountId)).toHaveLength(2);
  });

  it("settle stale reservations of an account merged away, by the agent that took them, under the survivor", async () => {
    const login = uniqueLogin("sweep-merge");
    const survivor = (await signedInWithOidc(login)).me.account_id;
    const anon = await account();
    // One stream died unrecorded, one after its agent had recorded 12 pieces; then the person
    // linked an identity that had an account.
    const lost = await reserveDirectly(anon.accountId, 400);
    const recorded = await reserveDirectly(anon.accountId, 300);
    await storeRecord(anon.accountId, {
      id: recorded,
      reserved: 300,
      promptEstimate: 20,
      piecesSeen: 12,
    });
    await anon.browser.signInWithOidc(login);
    expect((await anon.browser.me()).account_id).toBe(survivor);
    expect(await usedTokens(survivor)).toBe(700);
    await backdate(lost, 60);
    await backdate(recorded, 60);

    await runCron();
    const rows = await usageRows(survivor);
    expect(rows.find((r) => r.id === lost)).toMatchObject({
      status: "settled_by_sweep",
      debitedTokens: 0,
    });
    // Charged for what its agent saw, not refunded whole by an agent that never knew it.
    expect(rows.find((r) => r.id === recorded)).toMatchObject({
      status: "settled_by_sweep",
      debitedTokens: 32,
    });
    expect(await usedTokens(survivor)).toBe(32);
  });

  it("remove anonymous accounts idle past retention with every row, and nothing else", async () => {
    const idle = await account();
    await withDb((db) => seedHistory(db, idle.accountId, 10));
    await idle.browser.fetch("/api/keys", { method: "POST", json: { label: "old" } });
    const recent = await account();
    // Idle as a chatter, but back reading the history: still here.
    const reader = await account();
    const linked = new Browser();
    await linked.signInWithOidc(`retention-${crypto.randomUUID().slice(0, 8)}`);
    const linkedMe = await linked.me();
    await withDb((db) =>
      db
        .update(accounts)
        .set({ lastActiveAt: sql`now() - interval '40 days'` })
        .where(
          sql`${accounts.id} in (${idle.accountId}, ${linkedMe.account_id}, ${reader.accountId})`,
        ),
    );
    expect((await reader.browser.fetch("/api/sessions")).status).toBe(200);
    // Recorded after the response.
    await eventually(() =>
      withDb(async (db) => {
        const [row] = await db
          .select({ at: accounts.lastActiveAt })
          .from(accounts)
          .where(eq(accounts.id, reader.accountId));
        return row !== undefined && Date.now() - row.at.getTime() < 60_000;
      }),
    );

    const lines = await runCron();
    expect(
      lines.find((l) => l.job === "remove_idle_anonymous_accounts")?.count,
    ).toBeGreaterThanOrEqual(1);
    await withDb(async (db) => {
      const left = async (
        table: typeof virtualKeys | typeof quotaBuckets | typeof agentMessages | typeof usageLog,
      ) => {
        const [row] = await db
          .select({ n: count() })
          .from(table)
          .where(eq(table.accountId, idle.accountId));
        return row?.n;
      };
      expect(await db.select().from(accounts).where(eq(accounts.id, idle.accountId))).toEqual([]);
      expect(await db.select().from(user).where(eq(user.accountId, idle.accountId))).toEqual([]);
      for (const table of [virtualKeys, quotaBuckets, agentMessages, usageLog])
        expect(await left(table)).toBe(0);
      for (const kept of [recent.accountId, reader.accountId])
        expect(await db.select().from(accounts).where(eq(accounts.id, kept))).toHaveLength(1);
      expect(
        await db.select().from(accounts).where(eq(accounts.id, linkedMe.account_id)),
      ).toHaveLength(1);
    });
    // The idle person's cookie no longer works; the recent one's still does.
    expect((await idle.browser.fetch("/api/me")).status).toBe(401);
    expect((await recent.browser.fetch("/api/me")).status).toBe(200);
    const [sessions] = await withDb((db) =>
      db
        .select({ n: count() })
        .from(session)
        .where(eq(session.userId, linkedMe.user_id ?? "")),
    );
    expect(sessions?.n).toBeGreaterThan(0);
  });

  it("remove accounts no user points to a day after they were made, and no other", async () => {
    const config = loadConfig(env);
    const [old, recent] = await withDb((db) =>
      Promise.all([provisionAccount(db, config, "free"), provisionAccount(db, config, "free")]),
    );
    const person = await account();
    // Made two days ago, never active since (a person counts as active only when they return).
    await withDb((db) =>
      db
        .update(accounts)
        .set({
          createdAt: sql`now() - interval '2 days'`,
          lastActiveAt: sql`now() - interval '2 days'`,
        })
        .where(sql`${accounts.id} in (${old}, ${person.accountId})`),
    );

    const lines = await runCron();
    expect(lines.find((l) => l.job === "remove_orphaned_accounts")?.count).toBeGreaterThanOrEqual(
      1,
    );
    const left = await withDb((db) =>
      db
        .select({ id: accounts.id })
        .from(accounts)
        .where(sql`${accounts.id} in (${old}, ${recent}, ${person.accountId})`),
    );
    expect(left.map((a) => a.id).sort()).toEqual([recent, person.accountId].sort());
  });

  it("fail the run when a job fails, after trying every job", async () => {
    const broken = {
      ...env,
      HYPERDRIVE: { ...env.HYPERDRIVE, connectionString: "postgres://u:p@127.0.0.1:9/db" },
    };
    const { lines, result } = await captureLogs(() =>
      cron(broken).then(
        () => null,
        (error: Error) => error,
      ),
    );
    expect(result?.message).toMatch(/scheduled jobs failed/);
    const failed = lines
      .filter((l) => l.includes('"msg":"scheduled"'))
      .map((l) => JSON.parse(l) as { job: string; error?: string });
    expect(failed.map((l) => l.job).sort()).toEqual(JOBS);
    for (const line of failed) expect(line.error).toBeTruthy();
  });

  it("prune usage rows past retention and keep recent ones", async () => {
    const { accountId } = await account("free");
    await withDb(async (db) => {
      await seedHistory(db, accountId, 5);
      await seedHistory(db, accountId, 5);
      const [oldest] = await db
        .select()
        .from(usageLog)
        .where(eq(usageLog.accountId, accountId))
        .limit(1);
      await db
        .update(usageLog)
        .set({ createdAt: sql`now() - interval '120 days'` })
        .where(eq(usageLog.id, oldest?.id ?? ""));
    });
    const lines = await runCron();
    expect(lines.find((l) => l.job === "prune_usage_log")?.count).toBeGreaterThanOrEqual(1);
    expect(await usageRows(accountId)).toHaveLength(1);
    expect(lines.map((l) => l.job).sort()).toEqual(JOBS);
  });
});
