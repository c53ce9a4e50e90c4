// Who reads a stream. While its caller is connected, the caller's reads pull it (one chunk ahead
// at most, as before). When the caller leaves, the stream goes on for the account's tabs that
// follow its session, pulled by the agent itself, and settles in full; while nobody reads it,
// it is paused for a grace, then stopped and settled with what streamed.
import type { AppError } from "../errors";
import { errorBody } from "../errors";
import { SSE_DONE, SSE_HEADERS, sseData } from "../gateway/sse";
import type { LiveFeed } from "./live/feed";

/**
 * How long a stream nobody reads waits for a tab before it is stopped: a reloading tab needs
 * about this long to load the page, open its socket and follow the session again. Only a stream
 * some tab followed waits; one nobody ever followed (an API client) stops when its caller leaves.
 */
export const FOLLOWER_GRACE_MS = 5_000;

/** Names the stream in the 200's headers, as GET /api/live's messages do. */
export const STREAM_ID_HEADER = "x-stream-id";

export type Step =
  | { kind: "chunk"; json: string }
  | { kind: "done"; tail: string | null }
  | { kind: "failed"; failure: AppError }
  /** Stopped (or left by everyone) while it was read: settled already. */
  | { kind: "over" };

/** The run, as seen by its readers. */
export interface StreamSource {
  readonly streamId: string;
  readonly over: boolean;
  step(): Promise<Step>;
  halt(stopped: boolean): Promise<void>;
  pauseStallWatch(): void;
  resumeStallWatch(): void;
  keepAlive(work: Promise<unknown>): void;
}

const encoder = new TextEncoder();
const sseJson = (json: string) => encoder.encode(`data: ${json}\n\n`);

export class CallerStream {
  private callerAttached = true;
  private stoppedByTab = false;
  private pumping = false;
  /** The step under way, which a reader taking over waits for. */
  private stepping: Promise<Step> | null = null;
  private grace: { timer: ReturnType<typeof setTimeout>; release: () => void } | null = null;

  constructor(
    private readonly source: StreamSource,
    private readonly feed: LiveFeed,
  ) {
    feed.onStop = () => {
      this.stoppedByTab = true;
      this.stop(true);
    };
    feed.onFollowersChanged = () => this.followersChanged();
  }

  response(): Response {
    const body = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const step = this.stoppedByTab ? ({ kind: "over" } as const) : await this.advance();
          if (!this.callerAttached) return;
          if (step.kind === "chunk") {
            controller.enqueue(sseJson(step.json));
            return;
          }
          if (step.kind === "done") {
            if (step.tail) controller.enqueue(sseJson(step.tail));
            controller.enqueue(SSE_DONE);
          } else if (step.kind === "failed") {
            controller.enqueue(sseData(errorBody(step.failure.code, step.failure.message)));
          } else if (this.stoppedByTab) {
            await this.source.halt(true);
            controller.enqueue(sseData(errorBody("STOPPED")));
          }
          controller.close();
        },
        cancel: () => {
          this.callerAttached = false;
          this.callerLeft();
        },
      },
      // One chunk ahead: the first is ready when the Worker starts reading, and no more is
      // taken from the upstream than the caller is about to get.
      { highWaterMark: 1 },
    );
    return new Response(body, {
      headers: { ...SSE_HEADERS, [STREAM_ID_HEADER]: this.source.streamId },
    });
  }

  private advance(): Promise<Step> {
    const step = this.source.step();
    this.stepping = step;
    return step;
  }

  private stop(stopped: boolean) {
    this.clearGrace();
    this.source.keepAlive(this.source.halt(stopped));
  }

  private callerLeft() {
    if (this.source.over) return;
    if (this.feed.followed()) void this.pump();
    else if (this.feed.everFollowed) this.waitForFollower();
    else this.stop(false);
  }

  private followersChanged() {
    if (this.callerAttached || this.pumping || this.source.over) return;
    // The last follower leaving is noticed by the pump, between chunks.
    if (this.feed.followed()) void this.pump();
  }

  /** Reads the stream for the following tabs, while there are any. */
  private async pump() {
    this.pumping = true;
    if (this.grace) {
      this.clearGrace();
      this.source.resumeStallWatch();
    }
    const work = (async () => {
      // The step the caller's last read began.
      await this.stepping;
      while (!this.source.over && this.feed.followed()) {
        if ((await this.advance()).kind !== "chunk") return;
      }
    })();
    this.source.keepAlive(work);
    await work;
    this.pumping = false;
    if (!this.source.over) this.waitForFollower();
  }

  private waitForFollower() {
    if (this.grace) return;
    this.source.pauseStallWatch();
    let release = () => {};
    const waited = new Promise<void>((resolve) => {
      release = resolve;
    });
    const timer = setTimeout(() => {
      this.grace = null;
      release();
      if (!this.pumping) this.stop(false);
    }, FOLLOWER_GRACE_MS);
    this.grace = { timer, release };
    // The object stays up through the grace, as it does while a stream runs.
    this.source.keepAlive(waited);
  }

  private clearGrace() {
    if (!this.grace) return;
    clearTimeout(this.grace.timer);
    this.grace.release();
    this.grace = null;
  }
}
