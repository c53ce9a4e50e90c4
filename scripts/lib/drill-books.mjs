// After the fault drill's load: let the agents' alarms and the scheduled sweep settle what the
// faults left open, then check the books against what the callers were told.
import postgres from "postgres";

/** The drill's RESERVATION_STALE_MINUTES: the smallest the Worker takes. */
export const STALE_MINUTES = 1;
const CRON = "*/15 * * * *";

/**
 * Closes what the faults left open, as production would: the agents' alarms first (a
 * settlement that failed in an outage is retried 30 s later), then the Cron Trigger's sweep,
 * which settles reservations open longer than STALE_MINUTES through the agent that took them.
 * The full run waits, in real time, until every reservation still open is that old; the short
 * one (`fastForward`) waits a moment for streams to settle, then moves the open reservations'
 * `created_at` back by STALE_MINUTES, as waiting would, so `npm test` need not wait a minute.
 * Returns what was open after the load, before and after the sweep.
 */
export async function settleLeftovers({ databaseUrl, entryUrl, fastForward, log }) {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sleep(2_000);
    const afterLoad = await openCount(sql);
    if (fastForward) {
      await sql`update open_reservations
        set created_at = created_at - make_interval(mins => ${STALE_MINUTES})`;
    } else {
      // The alarms run meanwhile; stop early if they closed everything.
      for (;;) {
        const [row] = await sql`select count(*)::int as n,
            extract(epoch from now() - max(created_at)) * 1000 as youngest_ms
          from open_reservations`;
        const wait = STALE_MINUTES * 60_000 + 1_000 - Number(row.youngest_ms);
        if (row.n === 0 || wait <= 0) break;
        log(`waiting ${(wait / 1000).toFixed(0)} s for ${row.n} open reservations to go stale`);
        await sleep(Math.min(wait, 10_000));
      }
    }
    const beforeSweep = await openCount(sql);
    const res = await fetch(`${entryUrl}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(CRON)}`);
    const cron = `${res.status} ${await res.text()}`;
    return { afterLoad, beforeSweep, afterSweep: await openCount(sql), cron };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function openCount(sql) {
  const [row] = await sql`select count(*)::int as n from open_reservations`;
  return row.n;
}

/**
 * The books after the drill: per account, the buckets' used_tokens against the usage rows'
 * debits; reservations left open; and every turn the callers were answered 200 for, found (or
 * not) in the session its X-Session-Id named, as its user message and the reply after it.
 * @param {import("./drill-load.mjs").TurnRecord[]} records
 */
export async function readBooks(databaseUrl, accounts, records) {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const ids = accounts.map((a) => a.id);
    const ledger = await sql`
      select a.id,
        (select coalesce(sum(used_tokens), 0)::bigint from quota_buckets b where b.account_id = a.id)
          as used,
        (select coalesce(sum(debited_tokens), 0)::bigint from usage_log u where u.account_id = a.id)
          as debited
      from accounts a where a.id = any(${ids}::uuid[])`;
    const unbalanced = ledger.filter((r) => r.used !== r.debited);
    const [open] = await sql`select count(*)::int as n from open_reservations`;
    const statuses = await sql`
      select status, count(*)::int as n, sum(debited_tokens)::int as debited from usage_log
      where account_id = any(${ids}::uuid[]) group by status order by status`;
    // Every turn's usage rows, by the X-Request-Id the drill sent.
    const rows = await sql`
      select request_id, status, debited_tokens, completion_tokens from usage_log
      where request_id = any(${records.map((r) => r.requestId)})`;
    const usage = new Map(records.map((r) => [r.requestId, []]));
    for (const row of rows) usage.get(row.request_id)?.push(row);
    const answered = records.filter((r) => r.status === 200 && r.sessionId);
    const sessions = [...new Set(answered.map((r) => r.sessionId))];
    const messages = await sql`
      select session_id, seq, role, content from agent_messages
      where session_id = any(${sessions}::uuid[])`;
    const bySession = new Map();
    for (const m of messages) {
      if (!bySession.has(m.session_id)) bySession.set(m.session_id, []);
      bySession.get(m.session_id).push(m);
    }
    const recorded = (r) => {
      const rows = bySession.get(r.sessionId) ?? [];
      const user = rows.find((m) => m.role === "user" && m.content === r.text);
      return Boolean(user && rows.some((m) => m.role === "assistant" && m.seq === user.seq + 1));
    };
    return {
      accounts: ledger.length,
      unbalanced,
      open: open.n,
      statuses,
      turns: answered.map((r) => ({ record: r, recorded: recorded(r) })),
      usage: (r) => usage.get(r.requestId) ?? [],
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
