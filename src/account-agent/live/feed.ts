// One stream as the account's tabs see it: its start, the chunks so far (kept in memory and in
// the object's storage, bounded, so a tab that attaches late, or after the object restarted, is
// given them from the first) and its end, after which what was kept is freed.
import { chunkFrame, type Outcome, type StreamEnd, type StreamStart } from "./protocol";
import type { WriteBehind, WriteSource } from "./write-behind";

/**
 * What one stream keeps for late followers. An answer at the largest max_tokens of the free tier
 * is about 4,096 chunks of ~200 bytes; a stream past either cap is still sent live to the tabs
 * following it, but later chunks are not kept: a tab attaching afterwards is replayed the kept
 * prefix and sees the rest once the stream settles.
 */
export const MAX_KEPT_CHUNKS = 4096;
export const MAX_KEPT_BYTES = 1024 * 1024;

export const STREAM_PREFIX = "live-stream:";
export const CHUNK_PREFIX = "live-chunk:";

/** The stored batch of a stream's kept chunks that begins at `seq`: an array of their JSON. */
export const chunkKey = (streamId: string, seq: number) =>
  `${CHUNK_PREFIX}${streamId}:${String(seq).padStart(5, "0")}`;

/** What a feed needs from the hub that holds the account's sockets. */
export interface FeedHost {
  readonly writes: WriteBehind;
  /** The sockets following `sessionId`, if any. */
  followers(sessionId: string): ReadonlySet<WebSocket> | undefined;
  toAll(frame: string): void;
  /** The feed has ended: it is no longer offered to followers. */
  retire(feed: LiveFeed): void;
}

export class LiveFeed implements WriteSource {
  /** The kept chunks' JSON, seq 0 first. */
  private readonly kept: string[];
  private keptBytes = 0;
  private full = false;
  private nextSeq: number;
  /** Kept chunks from here on are not written yet; nor is the start, while startWaiting. */
  private unwritten: number;
  private startWaiting = false;
  /** The keys written for this stream, which its end deletes. */
  private readonly written: string[];
  private finished: StreamEnd | null;
  /** Some tab followed the stream's session while it ran: one may come back after a reload. */
  everFollowed = false;
  /** Set by the run: a tab asked to stop the stream. */
  onStop: (() => void) | null = null;
  /** Set by the run: a tab began or stopped following the stream's session. */
  onFollowersChanged: (() => void) | null = null;

  constructor(
    private readonly host: FeedHost,
    readonly start: StreamStart,
    restored?: { chunks: string[]; end: StreamEnd; keys: string[] },
  ) {
    this.kept = restored?.chunks ?? [];
    this.nextSeq = this.kept.length;
    this.unwritten = this.kept.length;
    this.finished = restored?.end ?? null;
    this.written = restored?.keys ?? [];
  }

  get id() {
    return this.start.stream_id;
  }

  get sessionId() {
    return this.start.session_id;
  }

  get live() {
    return this.finished === null;
  }

  /** Whether a tab follows the stream's session now. */
  followed(): boolean {
    return (this.host.followers(this.sessionId)?.size ?? 0) > 0;
  }

  /** Records the start where a restarted object finds it. */
  persistStart() {
    this.startWaiting = true;
    this.host.writes.mark(this);
  }

  /** The start, and the chunks kept since the last batch as one value. */
  takeWrites(): [string, unknown][] {
    const writes: [string, unknown][] = [];
    if (this.startWaiting) writes.push([STREAM_PREFIX + this.id, this.start]);
    this.startWaiting = false;
    if (this.kept.length > this.unwritten) {
      writes.push([chunkKey(this.id, this.unwritten), this.kept.slice(this.unwritten)]);
      this.unwritten = this.kept.length;
    }
    for (const [key] of writes) this.written.push(key);
    return writes;
  }

  /**
   * A chunk as the caller's SSE carries it (its JSON). Kept, in memory and (written behind, in
   * the next batch) in storage, then sent to the tabs following the session. The hot path when
   * nobody follows: an array push and a map set.
   */
  chunk(json: string) {
    const seq = this.nextSeq++;
    if (!this.full && seq === this.kept.length) {
      if (this.kept.length < MAX_KEPT_CHUNKS && this.keptBytes + json.length <= MAX_KEPT_BYTES) {
        this.kept.push(json);
        this.keptBytes += json.length;
        this.host.writes.mark(this);
      } else {
        this.full = true;
      }
    }
    const sockets = this.host.followers(this.sessionId);
    if (!sockets?.size) return;
    const frame = chunkFrame(this.id, seq, json);
    for (const ws of sockets) send(ws, frame);
  }

  /**
   * Gives a tab that just began following the stream's session what it missed: the start, the
   * kept chunks from the first, and the end if there was one. Synchronous, so no live chunk can
   * come between the replay and the ones that follow it.
   */
  replayTo(ws: WebSocket) {
    send(ws, JSON.stringify(this.start));
    this.kept.forEach((json, seq) => {
      send(ws, chunkFrame(this.id, seq, json));
    });
    if (this.finished) send(ws, JSON.stringify(this.finished));
  }

  /** Announces the end to every tab, and frees what was kept. */
  end(outcome: Outcome, error: StreamEnd["error"], messageId: string | null) {
    if (this.finished) return;
    this.finished = {
      type: "end",
      stream_id: this.id,
      outcome,
      error,
      message_id: messageId,
    };
    this.host.toAll(JSON.stringify(this.finished));
    this.free();
  }

  /**
   * Forgets the stream, in memory and in storage (what was not written yet never is; losing the
   * delete is harmless: a restarted object frees a settled stream it finds).
   */
  free() {
    this.host.retire(this);
    this.kept.length = 0;
    this.keptBytes = 0;
    this.host.writes.drop(this, this.written.splice(0));
  }
}

/** A socket that has gone away meanwhile is dropped by its close event, not here. */
export function send(ws: WebSocket, frame: string) {
  try {
    ws.send(frame);
  } catch {
    // Closing or closed.
  }
}
