// Reconcile: ONE Postgres transaction that settles a reservation. The usage_log row (keyed by
// the reservation id) goes first, so settling twice is a no-op; then the bucket gets the signed
// difference (never below zero), and the turn's messages and tool calls are recorded. An
// account merged away while the stream ran settles into the account it was merged into.
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import {
  accountMerges,
  accounts,
  agentMessages,
  agentSessions,
  agentToolCalls,
  quotaBuckets,
  type UsageStatus,
  usageLog,
} from "../db/schema";
import type { BuiltToolCall } from "../gateway/completion";
import type { FinishReason } from "../gateway/events";

export interface ReservationRecord {
  id: string;
  accountId: string;
  windowStart: number;
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
  /** Tokens charged: what was really used (0 when nothing was generated). */
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

/** Returns the account the reservation settled into, or null if it was already settled. */
export async function settle(
  db: Database,
  reservation: ReservationRecord,
  outcome: Settlement,
): Promise<string | null> {
  return db.transaction(async (tx) => {
    const [merged] = await tx
      .select({ into: accountMerges.intoAccountId })
      .from(accountMerges)
      .where(eq(accountMerges.fromAccountId, reservation.accountId));
    const accountId = merged?.into ?? reservation.accountId;

    const inserted = await tx
      .insert(usageLog)
      .values({
        id: reservation.id,
        accountId,
        requestId: reservation.requestId,
        model: reservation.model,
        provider: reservation.provider,
        estimatedTokens: reservation.reserved,
        promptTokens: outcome.promptTokens,
        completionTokens: outcome.completionTokens,
        actualTokens: outcome.promptTokens + outcome.completionTokens,
        debitedTokens: outcome.debited,
        status: outcome.status,
        latencyMs: outcome.latencyMs,
      })
      .onConflictDoNothing()
      .returning({ id: usageLog.id });
    if (!inserted.length) return null;

    await tx
      .update(quotaBuckets)
      .set({
        usedTokens: sql`greatest(0, ${quotaBuckets.usedTokens} + ${outcome.debited - reservation.reserved})`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(quotaBuckets.accountId, accountId),
          eq(quotaBuckets.windowStart, new Date(reservation.windowStart)),
        ),
      );
    await tx.update(accounts).set({ lastActiveAt: sql`now()` }).where(eq(accounts.id, accountId));

    const t = outcome.transcript;
    if (!t) return accountId;
    const sessionId = reservation.sessionId;
    if (t.newSession) {
      await tx
        .insert(agentSessions)
        .values({ id: sessionId, accountId, title: t.title })
        .onConflictDoNothing();
    }
    const count = t.userMessage === null ? 1 : 2;
    const [session] = await tx
      .update(agentSessions)
      .set({ messageCount: sql`${agentSessions.messageCount} + ${count}`, updatedAt: sql`now()` })
      .where(and(eq(agentSessions.id, sessionId), eq(agentSessions.accountId, accountId)))
      .returning({ messageCount: agentSessions.messageCount });
    // The session was deleted while the stream ran: usage stands, the transcript has no home.
    if (!session) return accountId;
    let seq = session.messageCount - count;
    if (t.userMessage !== null) {
      await tx
        .insert(agentMessages)
        .values({ accountId, sessionId, seq: ++seq, role: "user", content: t.userMessage });
    }
    const [assistant] = await tx
      .insert(agentMessages)
      .values({
        accountId,
        sessionId,
        seq: ++seq,
        role: "assistant",
        content: t.content,
        model: reservation.model,
        finishReason: t.finishReason,
      })
      .returning({ id: agentMessages.id });
    if (assistant && t.toolCalls.length) {
      await tx.insert(agentToolCalls).values(
        t.toolCalls.map((call) => ({
          id: call.id,
          accountId,
          sessionId,
          messageId: assistant.id,
          position: call.index,
          name: call.name,
          arguments: call.arguments,
          proposedCode: proposedCode(call.arguments),
        })),
      );
    }
    await tx.update(usageLog).set({ sessionId }).where(eq(usageLog.id, reservation.id));
    return accountId;
  });
}
