// The Cron Trigger's work, each job idempotent and batched so a run stays short: settle
// reservations left open too long (through the agent that took them), remove anonymous
// accounts idle past retention (with all their rows) and accounts no user points to, and prune
// old usage rows.
import { sql } from "drizzle-orm";
import type { SweepRequest } from "../account-agent/sweep";
import type { AppConfig } from "../config";
import type { Database } from "../db/client";
import type { Env } from "../env";
import { accountHash } from "../lib/account-hash";

const BATCH = 200;
/** Enough batches to catch up after an outage without a run lasting minutes. */
const MAX_BATCHES = 25;
const SWEEP_PARALLEL = 8;

/**
 * Asks each AccountAgent to settle its reservations open past the limit: the agent that took
 * them, which holds their records, even when a merge has since moved them to another account.
 */
export async function sweepStaleReservations(db: Database, env: Env, config: AppConfig) {
  const stale = await db.execute<{
    account_id: string;
    reservations: SweepRequest["reservations"];
  }>(sql`
    select coalesce(agent_account_id, account_id) as account_id,
      json_agg(json_build_object('id', id, 'windowStart', window_start, 'reserved', reserved_tokens))
        as reservations
    from open_reservations
    where created_at < now() - make_interval(mins => ${config.retention.staleReservationMinutes})
    group by 1
    limit ${BATCH}`);
  let settled = 0;
  // A few agents at a time: each settles over its own connection.
  for (let i = 0; i < stale.length; i += SWEEP_PARALLEL) {
    const batch = stale.slice(i, i + SWEEP_PARALLEL);
    const answers = await Promise.allSettled(
      batch.map(async ({ account_id, reservations }) => {
        const agent = env.ACCOUNT_AGENT.get(env.ACCOUNT_AGENT.idFromName(account_id));
        const res = await agent.fetch("https://account-agent/sweep", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ accountId: account_id, reservations } satisfies SweepRequest),
        });
        if (!res.ok) throw new Error(`agent answered ${res.status}`);
        return ((await res.json()) as { settled: number }).settled;
      }),
    );
    // One agent failing must not stop the others; the next run retries what is left open.
    for (const [j, answer] of answers.entries()) {
      if (answer.status === "fulfilled") settled += answer.value;
      else {
        console.error(
          JSON.stringify({
            msg: "sweep failed",
            account: await accountHash(batch[j]?.account_id ?? ""),
            error: String(answer.reason),
          }),
        );
      }
    }
  }
  return settled;
}

/** Runs a deleting statement batch by batch until a batch comes back short; the total. */
async function inBatches(size: number, once: (size: number) => Promise<number>) {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const n = await once(size);
    total += n;
    if (n < size) break;
  }
  return total;
}

/** Deletes anonymous accounts idle past retention: users (and their sessions), then the rest. */
export function removeIdleAnonymousAccounts(db: Database, config: AppConfig) {
  return inBatches(BATCH, async (size) => {
    const [row] = await db.execute<{ n: number }>(sql`
      with idle as (
        select id from accounts a
        where tier = 'anon'
          and last_active_at < now() - make_interval(days => ${config.retention.anonDays})
          and not exists (select 1 from open_reservations r where r.account_id = a.id)
        order by last_active_at
        limit ${size}
        for update skip locked
      ),
      users_gone as (delete from "user" where account_id in (select id from idle)),
      gone as (delete from accounts where id in (select id from idle) returning id)
      select count(*)::int as n from gone`);
    return row?.n ?? 0;
  });
}

/**
 * Deletes accounts no user points to, a day after they were made: the `free` account of a
 * first OAuth sign-in whose user was never created (two tabs finishing the same new identity's
 * sign-in at once), which nothing else would remove (an anonymous one goes with the idle ones).
 * Every live account has a user from its first request on. Such an account was never active,
 * so the (tier, last_active_at) index finds the candidates of the last week; the job runs every
 * 15 minutes.
 */
export function removeOrphanedAccounts(db: Database) {
  return inBatches(BATCH, async (size) => {
    const [row] = await db.execute<{ n: number }>(sql`
      with orphaned as (
        select id from accounts a
        where tier = 'free'
          and last_active_at between now() - interval '8 days' and now() - interval '1 day'
          and created_at < now() - interval '1 day'
          and not exists (select 1 from "user" u where u.account_id = a.id)
          and not exists (select 1 from open_reservations r where r.account_id = a.id)
        limit ${size}
        for update skip locked
      ),
      gone as (delete from accounts where id in (select id from orphaned) returning id)
      select count(*)::int as n from gone`);
    return row?.n ?? 0;
  });
}

export function pruneUsageLog(db: Database, config: AppConfig) {
  return inBatches(BATCH * 5, async (size) => {
    const [row] = await db.execute<{ n: number }>(sql`
      with old as (
        select id from usage_log
        where created_at < now() - make_interval(days => ${config.retention.usageDays})
        limit ${size}
      ),
      gone as (delete from usage_log where id in (select id from old) returning id)
      select count(*)::int as n from gone`);
    return row?.n ?? 0;
  });
}
