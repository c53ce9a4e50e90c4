// Reconcile: ONE statement (so one transaction and one round trip) that settles a reservation.
// Deleting the reservation's open_reservations row gates everything else, so settling twice,
// or settling a record whose reservation never held, is a no-op; the reserved amount and its
// window come from that row. With it go the usage_log row, the turn's session, messages and
// tool calls and the bucket's signed difference (never below zero). The bucket row is shared
// by every request of the account, and a single statement holds its lock only while the
// server runs it, not across round trips. An account merged away while the stream ran settles
// into the account it was merged into.
import { sql } from "drizzle-orm";
import { type Database, executePrepared } from "../db/client";
import type { UsageStatus } from "../db/schema";
import type { BuiltToolCall } from "../gateway/completion";
import type { FinishReason } from "../gateway/events";
import { storable } from "../lib/format";

export interface ReservationRecord {
  id: string;
  accountId: string;
  reserved: number;
  promptEstimate: number;
  model: string;
  provider: string;
  requestId: string;
  sessionId: string;
  startedAt: number;
  /** Pieces streamed so far, saved now and then so an alarm can settle after an eviction. */
  piecesSeen: number;
}

export interface Transcript {
  newSession: boolean;
  title: string;
  userMessage: string | null;
  content: string;
  finishReason: FinishReason | "aborted" | "error";
  toolCalls: BuiltToolCall[];
}

export interface Settlement {
  status: UsageStatus;
  promptTokens: number;
  completionTokens: number;
  /** Tokens to charge: what was really used (0 when nothing was generated); settle caps it. */
  debited: number;
  latencyMs: number;
  transcript: Transcript | null;
}

function proposedCode(args: string): string | null {
  try {
    const parsed: unknown = JSON.parse(args);
    const code = (parsed as { code?: unknown } | null)?.code;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}

/**
 * Returns the account the reservation settled into, the tokens charged and the stored assistant
 * message's id (null when no transcript was stored), or null if Postgres holds no such open
 * reservation (already settled, or it never held). The charge is what was
 * used but never more than was reserved, so no settlement takes an account past its limit: a
 * provider counting the prompt higher than the estimate costs the service, not the quota.
 */
export async function settle(
  db: Database,
  reservation: ReservationRecord,
  outcome: Settlement,
): Promise<{ accountId: string; debited: number; messageId: string | null } | null> {
  const t = outcome.transcript;
  const assistantId = crypto.randomUUID();
  const messages = t
    ? [
        ...(t.userMessage === null
          ? []
          : [{ id: crypto.randomUUID(), role: "user", content: storable(t.userMessage) }]),
        {
          id: assistantId,
          role: "assistant",
          content: storable(t.content),
          model: reservation.model,
          finish_reason: t.finishReason,
        },
      ].map((m, n) => ({ ...m, n: n + 1 }))
    : [];
  const calls = (t?.toolCalls ?? []).map((c) => {
    const code = proposedCode(c.arguments);
    return {
      id: c.id,
      position: c.index,
      name: storable(c.name),
      arguments: storable(c.arguments),
      proposed_code: code === null ? null : storable(code),
    };
  });
  const sessionId = t ? reservation.sessionId : null;
  const count = messages.length;

  const rows = await executePrepared<{
    account_id: string;
    debited_tokens: number;
    stored: boolean;
  }>(
    db,
    sql`
    with closed as (
      delete from open_reservations where id = ${reservation.id}
      returning window_start, reserved_tokens
    ),
    target as (
      select coalesce(
        (select into_account_id from account_merges where from_account_id = ${reservation.accountId}),
        ${reservation.accountId}::uuid
      ) as account_id
    ),
    logged as (
      insert into usage_log (id, account_id, request_id, model, provider, estimated_tokens,
        prompt_tokens, completion_tokens, actual_tokens, debited_tokens, status, latency_ms, session_id)
      select ${reservation.id}, account_id, ${reservation.requestId}, ${reservation.model},
        ${reservation.provider}, closed.reserved_tokens, ${outcome.promptTokens},
        ${outcome.completionTokens}, ${outcome.promptTokens + outcome.completionTokens},
        least(${outcome.debited}, closed.reserved_tokens), ${outcome.status}, ${outcome.latencyMs},
        (select id from agent_sessions where id = ${sessionId}::uuid and account_id = target.account_id
         union all select ${sessionId}::uuid where ${t?.newSession ?? false} limit 1)
      from target, closed
      on conflict (id) do nothing
      returning account_id, debited_tokens
    ),
    created as (
      insert into agent_sessions (id, account_id, title, message_count)
      select ${sessionId}::uuid, account_id, ${storable(t?.title ?? "")}, ${count} from logged
      where ${t?.newSession ?? false}
      on conflict (id) do nothing
      returning message_count
    ),
    continued as (
      update agent_sessions set message_count = message_count + ${count}, updated_at = now()
      where id = ${sessionId}::uuid and ${count} > 0 and not ${t?.newSession ?? false}
        and account_id = (select account_id from logged)
      returning message_count
    ),
    base as (
      select message_count - ${count} as seq from created
      union all select message_count - ${count} from continued
    ),
    inserted_messages as (
      insert into agent_messages (id, account_id, session_id, seq, role, content, model, finish_reason)
      select m.id, logged.account_id, ${sessionId}::uuid, base.seq + m.n, m.role, m.content,
        m.model, m.finish_reason
      from logged, base,
        jsonb_to_recordset(${JSON.stringify(messages)}::jsonb)
          as m(id uuid, n int, role text, content text, model text, finish_reason text)
      returning id
    ),
    inserted_calls as (
      insert into agent_tool_calls (id, account_id, session_id, message_id, position, name,
        arguments, proposed_code)
      select c.id, logged.account_id, ${sessionId}::uuid, ${assistantId}::uuid, c.position, c.name,
        c.arguments, c.proposed_code
      from logged, jsonb_to_recordset(${JSON.stringify(calls)}::jsonb)
          as c(id text, position int, name text, arguments text, proposed_code text)
      where exists (select 1 from inserted_messages)
    ),
    active as (
      update accounts set last_active_at = now()
      where id = (select account_id from logged) and last_active_at < now() - interval '1 minute'
    ),
    bucket as (
      update quota_buckets
      set used_tokens = greatest(0, used_tokens + logged.debited_tokens - closed.reserved_tokens),
          updated_at = now()
      from closed, logged
      where quota_buckets.account_id = logged.account_id
        and quota_buckets.window_start = closed.window_start
    )
    select account_id, debited_tokens, exists (select 1 from inserted_messages) as stored
    from logged`,
  );
  const [row] = rows;
  if (!row) return null;
  return {
    accountId: row.account_id,
    debited: row.debited_tokens,
    messageId: row.stored ? assistantId : null,
  };
}
