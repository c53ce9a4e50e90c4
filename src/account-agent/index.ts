// AccountAgent: one Durable Object per account (idFromName(account_id)), the single place its
// inference is serialised. It admits (streams, rate), reserves in Postgres, records the open
// reservation in its own storage with an alarm armed (when it knows there is room, both the
// record and the upstream request are already under way while it reserves), then streams and
// settles. The alarm settles whatever an eviction left open. It also holds the account's tabs'
// WebSockets (GET /api/live), to which it announces and streams every stream (live/hub.ts).
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../config";
import { connect, type Database } from "../db/client";
import type { Env } from "../env";
import { AppError, errorJson, unexpectedError } from "../errors";
import { callUpstream, type UpstreamCall } from "../gateway/upstream-call";
import { accountHash } from "../lib/account-hash";
import { type Reservation, reserveTokens } from "../quota/reserve";
import { Admission } from "./admission";
import { LIVE_ACCOUNT_HEADER } from "./calls";
import { InferenceRun, type RunHost } from "./inference-run";
import { type InferenceJob, STALE_CALLER_HEADER } from "./job";
import { LiveHub } from "./live/hub";
import type { AgentNotice } from "./live/protocol";
import { KnownRoom } from "./room";
import { type ReservationRecord, type Settlement, settle } from "./settle";
import type { SweepRequest } from "./sweep";

const PREFIX = "reservation:";
/** How often the alarm looks at open reservations while streams are running. */
const ALARM_INTERVAL_MS = 5 * 60_000;
/** When the alarm retries a settlement its stream could not write. */
const SETTLE_RETRY_MS = 30_000;
/** How the objects' connections show in pg_stat_activity. */
export const AGENT_APPLICATION_NAME = "gradual-account-agent";
/** An account that stops calling gives its connections back to the pool. */
const IDLE_TIMEOUT_S = 60;

type Stored = ReservationRecord & { outcome?: Settlement };

export class AccountAgent extends DurableObject<Env> {
  private readonly admission = new Admission();
  private readonly room = new KnownRoom();
  /**
   * Reservations this instance is streaming or settling; anything else stored is orphaned. An
   * id leaves only once its settlement is in Postgres or stored for the alarm to retry.
   */
  private readonly live = new Set<string>();
  /** Whether this instance knows an alarm is scheduled (saves a storage read per request). */
  private alarmArmed = false;
  private client: Database | null = null;
  private readonly hub = new LiveHub(
    this.ctx,
    async (id) => (await this.ctx.storage.get(PREFIX + id)) !== undefined,
  );

  /**
   * One Postgres connection for the object's life: unlike a stateless Worker request, a Durable
   * Object may keep sockets across requests, so a reservation does not pay a connection set-up.
   * One, not a pool: every statement the object sends takes the account's bucket row, so they
   * would queue on its lock anyway; pipelined on one connection they run back to back in one
   * backend instead of handing the lock between backends. postgres.js reconnects by itself
   * after a failure or an idle close.
   */
  private db(): Database {
    this.client ??= connect(this.env.HYPERDRIVE, {
      idleTimeoutSeconds: IDLE_TIMEOUT_S,
      applicationName: AGENT_APPLICATION_NAME,
      connections: 1,
    });
    return this.client;
  }

  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/sweep")
      return Response.json(await this.sweep(await request.json<SweepRequest>()));
    if (pathname === "/live")
      return this.hub.connect(request.headers.get(LIVE_ACCOUNT_HEADER) ?? "");
    if (pathname === "/notice") {
      this.hub.notice(await request.json<AgentNotice>());
      return new Response(null, { status: 204 });
    }
    return this.infer(await request.json<InferenceJob>());
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.hub.message(ws, message);
  }

  async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.hub.closed(ws, code, reason);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    this.hub.closed(ws);
  }

  private async infer(job: InferenceJob): Promise<Response> {
    const config = loadConfig(this.env);
    const limits = config.tiers[job.tier];
    const denial = this.admission.admit(limits);
    if (denial) {
      return errorJson(
        new AppError(denial.code, undefined, {
          headers: { "retry-after": String(denial.retryAfterSeconds) },
        }),
      );
    }
    const id = crypto.randomUUID();
    let call: UpstreamCall | null = null;
    let handedOver = false;
    try {
      const record = recordOf(id, job);
      // With room known to be left, the reservation will all but certainly hold, so what would
      // wait for it starts now and hides inside its round trip: the upstream request (inside
      // the provider's time to first token) and the stored record's commit to disk. Nothing
      // reaches the caller before the reservation holds; a refused one cancels both.
      const roomy = this.room.covers(job.reserve);
      if (roomy) call = callUpstream(config, job.model, job.upstream);
      const reserving = this.room
        .track(
          job.reserve,
          reserveTokens(this.db(), {
            id,
            accountId: job.accountId,
            tier: job.tier,
            keyHash: job.keyHash,
            dailyLimit: limits.dailyTokens,
            tokens: job.reserve,
          }),
        )
        .catch((error: Error) => error);
      // Started after both requests, so that a local commit (an fsync on this thread) does not
      // hold them back.
      let durable = roomy ? this.store(record) : null;
      const reservation = await reserving;
      // Answered here rather than thrown: an error crossing to the Worker keeps only its
      // message, and a database error's message may quote the statement's parameters.
      if (reservation instanceof Error)
        return errorJson(unexpectedError(reservation, job.requestId));
      if (!reservation.ok) return refusal(reservation, job);
      durable ??= this.store(record);
      call ??= callUpstream(config, job.model, job.upstream);
      handedOver = true;
      return await new InferenceRun(this.host(), job, record, call).respond(durable);
    } finally {
      if (!handedOver) {
        this.admission.release();
        call?.abort.abort();
        // Stored ahead of a reservation that did not hold: there is nothing to settle.
        if (this.live.delete(id)) void this.dropRecord(id).catch(() => {});
      }
    }
  }

  /**
   * Stores the open reservation, where the alarm would find it after an eviction, and resolves
   * once it is on disk; nothing streams before then. Its id is live from the start, so the
   * alarm leaves it to this instance.
   */
  private store(record: ReservationRecord): Promise<void> {
    this.live.add(record.id);
    this.saveRecord(record);
    const durable = this.armAlarm().then(() => this.ctx.storage.sync());
    // Awaited by the run; until then a failure must not count as unhandled.
    durable.catch(() => {});
    return durable;
  }

  private host(): RunHost {
    return {
      db: this.db(),
      config: loadConfig(this.env),
      saveProgress: (record) => this.saveRecord(record),
      keepAlive: (work) => this.ctx.waitUntil(work),
      release: () => this.admission.release(),
      forget: (record) => {
        this.live.delete(record.id);
        return this.dropRecord(record.id);
      },
      keepForRetry: async (record, outcome) => {
        try {
          const stored = await this.ctx.storage.get<Stored>(PREFIX + record.id);
          await this.ctx.storage.put(PREFIX + record.id, { ...(stored ?? record), outcome });
          // Soon, rather than at the next interval: the reservation holds quota until then.
          const due = Date.now() + SETTLE_RETRY_MS;
          const next = await this.ctx.storage.getAlarm();
          if (next === null || next > due) await this.ctx.storage.setAlarm(due);
        } finally {
          this.live.delete(record.id);
        }
      },
      openFeed: (start) => this.hub.open(start),
    };
  }

  /** Writes the record without the output gate, which would hold every stream of the account. */
  private saveRecord(record: ReservationRecord) {
    void this.ctx.storage.put(PREFIX + record.id, record, { allowUnconfirmed: true });
  }

  /** Losing this delete is harmless: the alarm would settle the record again, a no-op. */
  private async dropRecord(id: string) {
    await this.ctx.storage.delete(PREFIX + id, { allowUnconfirmed: true });
  }

  private async armAlarm() {
    if (this.alarmArmed) return;
    if ((await this.ctx.storage.getAlarm()) === null) {
      void this.ctx.storage.setAlarm(Date.now() + ALARM_INTERVAL_MS, { allowUnconfirmed: true });
    }
    this.alarmArmed = true;
  }

  /** Settles reservations no live stream owns; idempotent, retried by the runtime on failure. */
  async alarm(): Promise<void> {
    const keys = [...(await this.ctx.storage.list<Stored>({ prefix: PREFIX })).keys()];
    let failure: unknown = null;
    for (const key of keys) {
      // Read now, not from the listing: while an earlier record was settling, a stream may
      // have stored its own outcome here, or settled and removed it.
      const record = await this.ctx.storage.get<Stored>(key);
      if (!record || this.live.has(record.id)) continue;
      // One record that cannot be settled must not hold back the others.
      await this.settleOrphan(
        record,
        record.outcome ?? orphanOutcome(record, "settled_by_alarm"),
        "alarm",
      ).catch((error: unknown) => {
        failure ??= error;
      });
    }
    // Read after settling: a stream that began meanwhile found the alarm armed and relies on it.
    const running = this.live.size > 0;
    if (running) await this.ctx.storage.setAlarm(Date.now() + ALARM_INTERVAL_MS);
    this.alarmArmed = running;
    // The runtime retries a failed alarm, with backoff.
    if (failure) throw failure;
  }

  /**
   * The scheduled sweep's backstop for reservations Postgres still shows open: settle what this
   * object recorded; one it never recorded (it died between reserving and recording) is refunded.
   */
  private async sweep(request: SweepRequest): Promise<{ settled: number }> {
    let settled = 0;
    for (const open of request.reservations) {
      if (this.live.has(open.id)) continue;
      const record = await this.ctx.storage.get<Stored>(PREFIX + open.id);
      if (record) {
        await this.settleOrphan(
          record,
          record.outcome ?? orphanOutcome(record, "settled_by_sweep"),
          "sweep",
        );
      } else {
        const unrecorded: ReservationRecord = {
          id: open.id,
          accountId: request.accountId,
          reserved: open.reserved,
          promptEstimate: 0,
          model: "unknown",
          provider: "unknown",
          requestId: "sweep",
          sessionId: open.id,
          startedAt: new Date(open.windowStart).getTime(),
          piecesSeen: 0,
        };
        await this.settleOrphan(unrecorded, orphanOutcome(unrecorded, "settled_by_sweep"), "sweep");
      }
      settled += 1;
    }
    return { settled };
  }

  /** `by` names who settled it: a kept outcome carries the stream's own status, not that. */
  private async settleOrphan(
    record: ReservationRecord,
    outcome: Settlement,
    by: "alarm" | "sweep",
  ) {
    const settled = await settle(this.db(), record, outcome);
    await this.ctx.storage.delete(PREFIX + record.id);
    // The chunks its stream had sent, kept for the tabs to see it cut off, go with it.
    await this.hub.settled(record.id);
    // Nothing was open: settled before, or its account was deleted with its reservations.
    if (settled === null) return;
    console.log(
      JSON.stringify({
        msg: `${by} settlement`,
        request_id: record.requestId,
        account: await accountHash(record.accountId),
        reservation: record.id,
        status: outcome.status,
        tokens_estimated: record.reserved,
        tokens_debited: settled.debited,
      }),
    );
  }
}

/**
 * The answer to a refused reservation: a changed caller (the Worker looks again), a request no
 * window could hold, or no quota left in this one.
 */
function refusal(reservation: Reservation & { ok: false }, job: InferenceJob): Response {
  if (reservation.reason === "caller")
    return new Response(null, { status: 409, headers: { [STALE_CALLER_HEADER]: "1" } });
  if (reservation.reason === "too_large") {
    return errorJson(
      new AppError(
        "REQUEST_EXCEEDS_QUOTA",
        `This request needs up to ${job.reserve} tokens (about ${job.promptEstimate} of prompt ` +
          `and ${job.reserve - job.promptEstimate} of max_tokens), more than the daily quota of ` +
          `${reservation.limitTokens}; shorten the conversation or lower max_tokens`,
      ),
    );
  }
  const resetAt = reservation.resetAt.toISOString();
  const retryAfter = Math.ceil((reservation.resetAt.getTime() - Date.now()) / 1000);
  return errorJson(
    new AppError("QUOTA_EXCEEDED", `Daily token quota exhausted; it resets at ${resetAt}`, {
      headers: { "retry-after": String(Math.max(1, retryAfter)) },
      details: { reset_at: resetAt },
    }),
  );
}

function recordOf(id: string, job: InferenceJob): ReservationRecord {
  return {
    id,
    accountId: job.accountId,
    reserved: job.reserve,
    promptEstimate: job.promptEstimate,
    model: job.model.id,
    provider: job.model.provider,
    requestId: job.requestId,
    sessionId: job.session.id,
    startedAt: Date.now(),
    piecesSeen: 0,
  };
}

/** An evicted stream's settlement: what it was seen to produce (about a token a piece). */
function orphanOutcome(
  record: ReservationRecord,
  status: "settled_by_alarm" | "settled_by_sweep",
): Settlement {
  const produced = record.piecesSeen > 0;
  const prompt = produced ? record.promptEstimate : 0;
  return {
    status,
    promptTokens: prompt,
    completionTokens: record.piecesSeen,
    debited: prompt + record.piecesSeen,
    latencyMs: Date.now() - record.startedAt,
    transcript: null,
  };
}
