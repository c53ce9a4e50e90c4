// One inference inside the AccountAgent, after its tokens are reserved: read the upstream call,
// pass chunks on as they come (to the caller, pulled at most one chunk ahead, and to the
// account's tabs following the session), and settle exactly once, whether the stream finished,
// failed, stalled, was stopped from a tab or nobody was left to read it.
import type { AppConfig } from "../config";
import type { Database } from "../db/client";
import { loggableError } from "../db/errors";
import type { UsageStatus } from "../db/schema";
import { AppError, errorBody, errorJson } from "../errors";
import { CompletionBuilder, type Usage } from "../gateway/completion";
import type { UpstreamError, UpstreamEvent } from "../gateway/events";
import type { UpstreamCall } from "../gateway/upstream-call";
import { accountHash } from "../lib/account-hash";
import { TimeoutError } from "../lib/timeout";
import { CallerStream, type Step, type StreamSource } from "./caller-stream";
import { asUpstream, callerError, statusOf } from "./failures";
import type { InferenceJob } from "./job";
import type { LiveFeed } from "./live/feed";
import type { StreamStart } from "./live/protocol";
import { type ReservationRecord, type Settlement, settle } from "./settle";

/** What the run needs from the Durable Object hosting it. */
export interface RunHost {
  db: Database;
  config: AppConfig;
  saveProgress(record: ReservationRecord): void;
  /** The stream is over: free its slot (settling may still be under way). Called once. */
  release(): void;
  /** Keeps the object alive until `work` is done. */
  keepAlive(work: Promise<unknown>): void;
  /** Settled: forget the stored reservation. */
  forget(record: ReservationRecord): Promise<void>;
  /** Settling failed: keep the outcome with the reservation so the alarm can retry it. */
  keepForRetry(record: ReservationRecord, outcome: Settlement): Promise<void>;
  /** Announces a stream to the account's tabs; its feed takes the chunks. */
  openFeed(start: StreamStart): LiveFeed;
}

const PROGRESS_EVERY_MS = 1_000;

export class InferenceRun implements StreamSource {
  private readonly builder: CompletionBuilder;
  private readonly started = Date.now();
  private firstByteMs: number | null = null;
  private lastSaved = Date.now();
  /** Resolves to the stored assistant message's id (null if none was stored). */
  private settling: Promise<string | null> | null = null;
  /** The usage finish() reported, once it has been called. */
  private reported: Promise<Usage> | null = null;
  /** The caller has a 200 stream, whose X-Session-Id names the turn's session. */
  private streaming = false;
  private events: AsyncIterator<UpstreamEvent> | null = null;
  private feed: LiveFeed | null = null;
  private halting: Promise<void> | null = null;

  constructor(
    private readonly host: RunHost,
    private readonly job: InferenceJob,
    private readonly record: ReservationRecord,
    private readonly call: UpstreamCall,
  ) {
    this.builder = new CompletionBuilder(`chatcmpl-${job.requestId}`, job.model.id);
  }

  /** Answers once the upstream has answered and `durable` (the stored reservation) is on disk. */
  async respond(durable: Promise<void>): Promise<Response> {
    // Nothing streams unless its reservation is on disk, where the alarm would find it.
    const unrecorded = await durable.then(
      () => null,
      (error: unknown) => error as Error,
    );
    if (unrecorded) return this.refuseUnrecorded(unrecorded);
    let events: AsyncIterator<UpstreamEvent>;
    try {
      events = (await this.call.opened)[Symbol.asyncIterator]();
      this.call.stall.start();
    } catch (error) {
      this.call.abort.abort();
      const upstream = asUpstream(error);
      void this.finish(statusOf(upstream), upstream);
      await this.settling;
      return errorJson(callerError(upstream));
    }
    return this.job.stream ? this.streamed(events) : this.collected(events);
  }

  private async refuseUnrecorded(error: Error): Promise<Response> {
    this.call.abort.abort();
    console.error(
      JSON.stringify({
        level: "error",
        msg: "reservation not recorded",
        request_id: this.job.requestId,
        reservation: this.record.id,
        error: error.message,
      }),
    );
    void this.finish("storage_error");
    await this.settling;
    return errorJson(new AppError("STORAGE_UNAVAILABLE"));
  }

  private async next(events: AsyncIterator<UpstreamEvent>) {
    try {
      const result = await events.next();
      this.firstByteMs ??= Date.now() - this.started;
      return result;
    } catch (error) {
      this.call.abort.abort();
      throw asUpstream(
        this.call.stall.stalled ? new TimeoutError(this.host.config.upstreamTimeoutMs) : error,
      );
    }
  }

  private streamed(events: AsyncIterator<UpstreamEvent>): Response {
    this.streaming = true;
    this.events = events;
    this.feed = this.host.openFeed({
      type: "start",
      stream_id: this.record.id,
      session_id: this.job.session.id,
      user_message: this.job.userMessage,
      model: this.job.model.id,
      started_at: this.record.startedAt,
    });
    return new CallerStream(this, this.feed).response();
  }

  get streamId() {
    return this.record.id;
  }

  get over() {
    return this.reported !== null;
  }

  /**
   * Reads the upstream up to its next chunk, which the feed passes to the following tabs; at the
   * end or on a failure it settles first and announces the end. Never rejects.
   */
  async step(): Promise<Step> {
    const events = this.events;
    const feed = this.feed;
    if (!events || !feed) throw new Error("step() before the stream began");
    try {
      for (;;) {
        const result = await this.next(events);
        // Stopped, or left by everyone, while the upstream was read: that settled it.
        if (this.reported) return { kind: "over" };
        if (result.done) {
          const usage = await this.finish("ok");
          const messageId = await this.settling;
          const tail = this.job.includeUsage
            ? JSON.stringify(this.builder.usageChunk(usage))
            : null;
          if (tail) feed.chunk(tail);
          feed.end("done", null, messageId ?? null);
          return { kind: "done", tail };
        }
        const chunk = this.builder.apply(result.value);
        this.noteProgress();
        if (chunk) {
          const json = JSON.stringify(chunk);
          feed.chunk(json);
          return { kind: "chunk", json };
        }
      }
    } catch (error) {
      if (this.reported) return { kind: "over" };
      const upstream = asUpstream(error);
      void this.finish(statusOf(upstream), upstream);
      const messageId = await this.settling;
      const failure = callerError(upstream);
      const { code, message } = errorBody(failure.code, failure.message).error;
      feed.end("error", { code, message }, messageId ?? null);
      return { kind: "failed", failure };
    }
  }

  /**
   * Stops the stream now and settles it aborted, charging what streamed, as a caller leaving
   * always did; `stopped`: a tab asked. Resolves once settled and the end announced.
   */
  halt(stopped: boolean): Promise<void> {
    if (this.halting) return this.halting;
    if (this.reported) return Promise.resolve();
    this.call.abort.abort();
    void this.finish("aborted");
    const reason = stopped ? errorBody("STOPPED").error : null;
    this.halting = (async () => {
      const messageId = await this.settling;
      this.feed?.end(
        "aborted",
        reason && { code: reason.code, message: reason.message },
        messageId ?? null,
      );
    })();
    return this.halting;
  }

  /** While nobody reads, the stream is paused, which is not the provider stalling. */
  pauseStallWatch() {
    this.call.stall.stop();
  }

  resumeStallWatch() {
    if (!this.reported) this.call.stall.start();
  }

  keepAlive(work: Promise<unknown>) {
    this.host.keepAlive(work);
  }

  private async collected(events: AsyncIterator<UpstreamEvent>): Promise<Response> {
    try {
      for (;;) {
        const result = await this.next(events);
        if (result.done) break;
        this.builder.apply(result.value);
        this.noteProgress();
      }
    } catch (error) {
      const upstream = asUpstream(error);
      void this.finish(statusOf(upstream), upstream);
      await this.settling;
      return errorJson(callerError(upstream));
    }
    const usage = await this.finish("ok");
    await this.settling;
    return Response.json(this.builder.completion(usage));
  }

  private noteProgress() {
    const now = Date.now();
    if (now - this.lastSaved < PROGRESS_EVERY_MS) return;
    this.lastSaved = now;
    this.host.saveProgress({ ...this.record, piecesSeen: this.builder.pieces });
  }

  /**
   * Settles once (later calls are no-ops); resolves to the usage reported to the caller. The
   * stall watch and the stream's slot are let go at once; `settling` covers the rest.
   */
  private finish(status: UsageStatus, failure?: UpstreamError): Promise<Usage> {
    if (this.reported) return this.reported;
    this.call.stall.stop();
    // Nothing generated costs nothing, unless the caller left: the provider, which bills it,
    // had read the prompt by then. Otherwise charge what was really used.
    const produced =
      this.builder.hasOutput || this.builder.upstreamUsage !== null || status === "aborted";
    const usage = produced
      ? this.builder.usage(this.job.promptEstimate)
      : Promise.resolve({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    const latencyMs = Date.now() - this.started;
    // A turn the caller was answered with 200 is recorded, empty or cut short as it may be:
    // its session was announced, and the person's message must not be lost.
    const transcript: Settlement["transcript"] =
      status === "ok" || this.streaming
        ? {
            newSession: this.job.session.isNew,
            title: this.job.session.title,
            userMessage: this.job.userMessage,
            content: this.builder.content,
            finishReason: this.builder.finishReason ?? (status === "aborted" ? "aborted" : "error"),
            toolCalls: this.builder.toolCalls,
          }
        : null;
    this.host.release();
    this.reported = usage;
    this.settling = usage.then((counted) =>
      this.persist(
        {
          status,
          promptTokens: counted.prompt_tokens,
          completionTokens: counted.completion_tokens,
          debited: counted.total_tokens,
          latencyMs,
          transcript,
        },
        failure,
      ),
    );
    // A caller that went away is settled after its request is over: keep the object alive.
    this.host.keepAlive(this.settling);
    return usage;
  }

  private async persist(outcome: Settlement, failure?: UpstreamError): Promise<string | null> {
    let settled: Awaited<ReturnType<typeof settle>>;
    try {
      settled = await settle(this.host.db, this.record, outcome);
    } catch (error) {
      console.error(
        JSON.stringify({
          msg: "reconcile failed",
          request_id: this.job.requestId,
          reservation: this.record.id,
          error: loggableError(error),
        }),
      );
      // Without it, the alarm settles the stored record from the pieces it saw.
      await this.host.keepForRetry(this.record, outcome).catch(() => {});
      return null;
    }
    console.log(
      JSON.stringify({
        msg: "reconcile",
        request_id: this.job.requestId,
        account: await accountHash(this.record.accountId),
        reservation: this.record.id,
        model: this.job.model.id,
        provider: this.job.model.provider,
        status: outcome.status,
        tokens_estimated: this.record.reserved,
        tokens_actual: outcome.promptTokens + outcome.completionTokens,
        // null: something else settled it first (the sweep, after a long stall).
        tokens_debited: settled?.debited ?? null,
        upstream_first_byte_ms: this.firstByteMs,
        latency_ms: outcome.latencyMs,
        ...(failure && {
          upstream_error: failure.reason,
          upstream_status: failure.reason === "http" ? failure.status : undefined,
          upstream_detail: failure.message.slice(0, 300),
        }),
      }),
    );
    // A record left behind is harmless: the alarm finds its reservation closed and drops it.
    await this.host.forget(this.record).catch(() => {});
    return settled?.messageId ?? null;
  }
}
