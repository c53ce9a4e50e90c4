// One inference inside the AccountAgent, after its tokens are reserved: read the upstream call,
// pass chunks to the caller as they come (pulled, at most one chunk ahead), and settle exactly
// once, whether the stream finished, failed, stalled or the caller went away.
import type { AppConfig } from "../config";
import type { Database } from "../db/client";
import { loggableError } from "../db/errors";
import type { UsageStatus } from "../db/schema";
import { AppError, errorBody, errorJson } from "../errors";
import { CompletionBuilder, type Usage } from "../gateway/completion";
import { UpstreamError, type UpstreamEvent } from "../gateway/events";
import { SSE_DONE, SSE_HEADERS, sseData } from "../gateway/sse";
import type { UpstreamCall } from "../gateway/upstream-call";
import { accountHash } from "../lib/account-hash";
import { TimeoutError } from "../lib/timeout";
import type { InferenceJob } from "./job";
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
}

const PROGRESS_EVERY_MS = 1_000;

function asUpstream(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof TimeoutError)
    return new UpstreamError("timeout", "the model stopped answering");
  return new UpstreamError("connection", (error as Error)?.message ?? String(error));
}

function statusOf(error: UpstreamError): UsageStatus {
  return error.reason === "timeout" ? "timeout" : "upstream_error";
}

/**
 * Provider answers that say the request itself is wrong: retrying it cannot help. Not 404,
 * which says the gateway is misconfigured (base URL, a model the provider retired).
 */
const REFUSALS = new Set([400, 413, 422]);

function callerError(error: UpstreamError): AppError {
  if (error.reason === "timeout") return new AppError("UPSTREAM_TIMEOUT");
  if (error.reason === "http" && REFUSALS.has(error.status))
    return new AppError(
      "UPSTREAM_REJECTED",
      `The model provider refused the request: ${error.message}`,
    );
  // The provider's own words go to the log only: they may name the service's account, its
  // limits or part of its key.
  const what =
    error.reason === "http" ? `it answered HTTP ${error.status}` : FAILURES[error.reason];
  return new AppError("UPSTREAM_ERROR", `The model provider failed: ${what}`);
}

const FAILURES: Record<Exclude<UpstreamError["reason"], "timeout" | "http">, string> = {
  connection: "the connection to it was lost",
  malformed: "it sent a malformed stream",
  stream_error: "it reported an error mid-stream",
};

export class InferenceRun {
  private readonly builder: CompletionBuilder;
  private readonly started = Date.now();
  private firstByteMs: number | null = null;
  private lastSaved = Date.now();
  private settling: Promise<void> | null = null;
  /** The caller has a 200 stream, whose X-Session-Id names the turn's session. */
  private streaming = false;

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
      this.finish(statusOf(upstream), upstream);
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
    this.finish("storage_error");
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
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          try {
            for (;;) {
              const result = await this.next(events);
              if (cancelled) return;
              if (result.done) {
                const usage = this.finish("ok");
                await this.settling;
                if (this.job.includeUsage)
                  controller.enqueue(sseData(this.builder.usageChunk(usage)));
                controller.enqueue(SSE_DONE);
                controller.close();
                return;
              }
              const chunk = this.builder.apply(result.value);
              this.noteProgress();
              if (chunk) {
                controller.enqueue(sseData(chunk));
                return;
              }
            }
          } catch (error) {
            if (cancelled) return;
            const upstream = asUpstream(error);
            this.finish(statusOf(upstream), upstream);
            await this.settling;
            const { error: detail } = errorBody(
              callerError(upstream).code,
              callerError(upstream).message,
            );
            controller.enqueue(sseData({ error: detail }));
            controller.close();
          }
        },
        cancel: () => {
          cancelled = true;
          this.call.abort.abort();
          this.finish("aborted");
        },
      },
      // One chunk ahead: the first is ready when the Worker starts reading, and no more is
      // taken from the upstream than the caller is about to get.
      { highWaterMark: 1 },
    );
    return new Response(body, { headers: SSE_HEADERS });
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
      this.finish(statusOf(upstream), upstream);
      await this.settling;
      return errorJson(callerError(upstream));
    }
    const usage = this.finish("ok");
    await this.settling;
    return Response.json(this.builder.completion(usage));
  }

  private noteProgress() {
    const now = Date.now();
    if (now - this.lastSaved < PROGRESS_EVERY_MS) return;
    this.lastSaved = now;
    this.host.saveProgress({ ...this.record, piecesSeen: this.builder.pieces });
  }

  /** Settles once (later calls are no-ops); returns the usage reported to the caller. */
  private finish(status: UsageStatus, failure?: UpstreamError): Usage {
    // Nothing generated costs nothing, unless the caller left: the provider, which bills it,
    // had read the prompt by then. Otherwise charge what was really used.
    const produced =
      this.builder.hasOutput || this.builder.upstreamUsage !== null || status === "aborted";
    const usage = produced
      ? this.builder.usage(this.job.promptEstimate)
      : { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    if (this.settling) return usage;
    this.call.stall.stop();
    const outcome: Settlement = {
      status,
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
      debited: usage.total_tokens,
      latencyMs: Date.now() - this.started,
      // A turn the caller was answered with 200 is recorded, empty or cut short as it may be:
      // its session was announced, and the person's message must not be lost.
      transcript:
        status === "ok" || this.streaming
          ? {
              newSession: this.job.session.isNew,
              title: this.job.session.title,
              userMessage: this.job.userMessage,
              content: this.builder.content,
              finishReason:
                this.builder.finishReason ?? (status === "aborted" ? "aborted" : "error"),
              toolCalls: this.builder.toolCalls,
            }
          : null,
    };
    this.host.release();
    this.settling = this.persist(outcome, failure);
    // A caller that went away is settled after its request is over: keep the object alive.
    this.host.keepAlive(this.settling);
    return usage;
  }

  private async persist(outcome: Settlement, failure?: UpstreamError): Promise<void> {
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
      return;
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
  }
}
