// The Cron Trigger's work, each job idempotent and batched so a run stays short: settle
// reservations left open too long, remove anonymous accounts idle past retention (with all
// their rows), and prune old usage rows.
import { sql } from "drizzle-orm";
import type { SweepRequest } from "../account-agent/sweep";
import type { AppConfig } from "../config";
import type { Database } from "../db/client";
import type { Env } from "../env";

const BATCH = 200;
/** Enough batches to catch up after an outage without a run lasting minutes. */
const MAX_BATCHES = 25;

/** Asks each account's AccountAgent to settle its reservations open past the limit. */
export async function sweepStaleReservations(db: Database, env: Env, config: AppConfig) {
  const stale = await db.execute<{
    account_id: string;
    reservations: SweepRequest["reservations"];
  }>(sql`
    select account_id,
      json_agg(json_build_object('id', id, 'windowStart', window_start, 'reserved', reserved_tokens))
        as reservations
    from open_reservations
    where created_at < now() - make_interval(mins => ${config.retention.staleReservationMinutes})
    group by account_id
    limit ${BATCH}`);
  let settled = 0;
  for (const { account_id, reservations } of stale) {
    const agent = env.ACCOUNT_AGENT.get(env.ACCOUNT_AGENT.idFromName(account_id));
    const res = await agent.fetch("https://account-agent/sweep", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ accountId: account_id, reservations } satisfies SweepRequest),
    });
    settled += ((await res.json()) as { settled: number }).settled;
  }
  return settled;
}

/** Deletes anonymous accounts idle past retention: users (and their sessions), then the rest. */
export async function removeIdleAnonymousAccounts(db: Database, config: AppConfig) {
  let removed = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const [row] = await db.execute<{ n: number }>(sql`
      with idle as (
        select id from accounts a
        where tier = 'anon'
          and last_active_at < now() - make_interval(days => ${config.retention.anonDays})
          and not exists (select 1 from open_reservations r where r.account_id = a.id)
        order by last_active_at
        limit ${BATCH}
        for update skip locked
      ),
      users_gone as (delete from "user" where account_id in (select id from idle)),
      gone as (delete from accounts where id in (select id from idle) returning id)
      select count(*)::int as n from gone`);
    removed += row?.n ?? 0;
    if ((row?.n ?? 0) < BATCH) break;
  }
  return removed;
}

export async function pruneUsageLog(db: Database, config: AppConfig) {
  let pruned = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const [row] = await db.execute<{ n: number }>(sql`
      with old as (
        select id from usage_log
        where created_at < now() - make_interval(days => ${config.retention.usageDays})
        limit ${BATCH * 5}
      ),
      gone as (delete from usage_log where id in (select id from old) returning id)
      select count(*)::int as n from gone`);
    pruned += row?.n ?? 0;
    if ((row?.n ?? 0) < BATCH * 5) break;
  }
  return pruned;
}
