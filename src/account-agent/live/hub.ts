// The account's open tabs, one hibernatable WebSocket each (GET /api/live), and the streams
// they can follow. A socket's attachment holds the session it follows, so the object can sleep
// between messages while tabs stay connected; the index below is rebuilt from the attachments
// after it wakes. Streams an earlier instance left behind (it restarted mid-stream) are found
// in storage and replayed as cut off until their reservation is settled.
import { errorBody } from "../../errors";
import { CHUNK_PREFIX, type FeedHost, LiveFeed, STREAM_PREFIX, send } from "./feed";
import {
  type AgentNotice,
  MOVED_CLOSE_CODE,
  parseTabMessage,
  type StreamEnd,
  type StreamStart,
} from "./protocol";
import { WriteBehind } from "./write-behind";

/**
 * How long a kept chunk may wait to be written: what a restart (rather than the eviction of an
 * idle object, which waits for nothing to be running) can lose of what tabs were shown. All the
 * account's streams share each write, so fifty streams cost what one does.
 */
export const WRITE_BEHIND_MS = 100;

interface Attachment {
  account_id: string;
  session_id: string | null;
}

export class LiveHub implements FeedHost {
  private readonly feeds = new Map<string, LiveFeed>();
  private readonly following = new Map<WebSocket, string | null>();
  private readonly bySession = new Map<string, Set<WebSocket>>();
  private indexed = false;
  private restoring: Promise<void> | null = null;
  private restored = false;
  /** Streams that ended here before restore() ran: what storage still holds of them is not news. */
  private readonly endedBeforeRestore = new Set<string>();
  readonly writes: WriteBehind;

  constructor(
    private readonly ctx: DurableObjectState,
    /** Whether the reservation of stream `id` is still open in this object's storage. */
    private readonly reservationOpen: (id: string) => Promise<boolean>,
  ) {
    this.writes = new WriteBehind(ctx.storage, WRITE_BEHIND_MS);
  }

  /** Accepts a tab's socket (the Worker has checked that the tab belongs to `accountId`). */
  async connect(accountId: string): Promise<Response> {
    await this.restore();
    this.index();
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ account_id: accountId, session_id: null } satisfies Attachment);
    this.following.set(server, null);
    send(server, JSON.stringify({ type: "hello", account_id: accountId }));
    return new Response(null, { status: 101, webSocket: client });
  }

  async message(ws: WebSocket, raw: string | ArrayBuffer) {
    this.index();
    const message = parseTabMessage(raw);
    if (!message) return;
    if (message.type === "ping") send(ws, JSON.stringify({ type: "pong" }));
    else if (message.type === "stop") this.feeds.get(message.stream_id)?.onStop?.();
    else {
      await this.restore();
      this.follow(ws, message.session_id);
    }
  }

  /** The tab went away (`code` given when it closed cleanly, which is answered in kind). */
  closed(ws: WebSocket, code?: number, reason?: string) {
    if (code !== undefined) {
      try {
        // 1005 and 1006 say no code was sent; they cannot be sent back.
        ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
      } catch {
        // Already closed: the runtime answered the close itself.
      }
    }
    this.index();
    const sessionId = this.following.get(ws) ?? null;
    this.unindex(ws);
    this.following.delete(ws);
    if (sessionId) this.followersChanged(sessionId);
  }

  /** A stream starts: every tab is told, and the feed is offered to those following its session. */
  open(start: StreamStart): LiveFeed {
    this.index();
    const feed = new LiveFeed(this, start);
    this.feeds.set(feed.id, feed);
    feed.persistStart();
    feed.everFollowed = feed.followed();
    if (this.following.size) this.toAll(JSON.stringify(start));
    return feed;
  }

  notice(notice: AgentNotice) {
    this.index();
    if (notice.type === "changed") {
      this.toAll(JSON.stringify(notice));
      return;
    }
    // Merged into another account: the tab's cookie now names the survivor, whose object it
    // reconnects to. Streams running here still settle (into the survivor), unfollowed.
    for (const ws of this.following.keys()) {
      send(ws, JSON.stringify({ type: "moved" }));
      try {
        ws.close(MOVED_CLOSE_CODE, "moved");
      } catch {
        // Already closing.
      }
      this.unindex(ws);
    }
    this.following.clear();
  }

  /** A reservation an earlier instance left open was settled: forget its stream, now. */
  async settled(streamId: string) {
    await this.restore();
    this.feeds.get(streamId)?.free();
    this.writes.flush();
  }

  followers(sessionId: string): ReadonlySet<WebSocket> | undefined {
    return this.bySession.get(sessionId);
  }

  toAll(frame: string) {
    for (const ws of this.following.keys()) send(ws, frame);
  }

  retire(feed: LiveFeed) {
    if (this.feeds.get(feed.id) === feed) this.feeds.delete(feed.id);
    if (!this.restored) this.endedBeforeRestore.add(feed.id);
  }

  /**
   * Points the socket at `sessionId` and replays that session's streams to it. A socket that
   * already follows the session is given nothing again: each chunk reaches it once.
   */
  private follow(ws: WebSocket, sessionId: string | null) {
    const before = this.following.get(ws) ?? null;
    if (before === sessionId) return;
    this.unindex(ws);
    this.following.set(ws, sessionId);
    const attachment = ws.deserializeAttachment() as Attachment | null;
    ws.serializeAttachment({ account_id: attachment?.account_id ?? "", session_id: sessionId });
    if (sessionId) {
      for (const feed of this.feeds.values())
        if (feed.sessionId === sessionId) {
          feed.replayTo(ws);
          if (feed.live) feed.everFollowed = true;
        }
      this.indexFollower(ws, sessionId);
      this.followersChanged(sessionId);
    }
    if (before) this.followersChanged(before);
  }

  private indexFollower(ws: WebSocket, sessionId: string) {
    const set = this.bySession.get(sessionId);
    if (set) set.add(ws);
    else this.bySession.set(sessionId, new Set([ws]));
  }

  private unindex(ws: WebSocket) {
    const sessionId = this.following.get(ws);
    if (!sessionId) return;
    const set = this.bySession.get(sessionId);
    set?.delete(ws);
    if (set?.size === 0) this.bySession.delete(sessionId);
  }

  private followersChanged(sessionId: string) {
    for (const feed of this.feeds.values())
      if (feed.sessionId === sessionId && feed.live) feed.onFollowersChanged?.();
  }

  /** After the object woke from hibernation: which socket follows what, from the attachments. */
  private index() {
    if (this.indexed) return;
    this.indexed = true;
    for (const ws of this.ctx.getWebSockets()) {
      const sessionId = (ws.deserializeAttachment() as Attachment | null)?.session_id ?? null;
      this.following.set(ws, sessionId);
      if (sessionId) this.indexFollower(ws, sessionId);
    }
  }

  /**
   * Once per instance: the streams an earlier instance was running when it stopped. Those whose
   * reservation is still open are offered, cut off, until the alarm settles them; the rest had
   * settled and are freed.
   */
  private restore(): Promise<void> {
    this.restoring ??= (async () => {
      const storage = this.ctx.storage;
      const starts = await storage.list<StreamStart>({ prefix: STREAM_PREFIX });
      for (const start of starts.values()) {
        if (this.feeds.has(start.stream_id) || this.endedBeforeRestore.has(start.stream_id))
          continue;
        const batches = await storage.list<string[]>({
          prefix: `${CHUNK_PREFIX}${start.stream_id}:`,
        });
        const { error } = errorBody("INTERRUPTED");
        const end: StreamEnd = {
          type: "end",
          stream_id: start.stream_id,
          outcome: "error",
          error: { code: error.code, message: error.message },
          message_id: null,
        };
        const feed = new LiveFeed(this, start, {
          chunks: [...batches.values()].flat(),
          end,
          keys: [STREAM_PREFIX + start.stream_id, ...batches.keys()],
        });
        this.feeds.set(feed.id, feed);
        if (!(await this.reservationOpen(start.stream_id))) feed.free();
      }
      this.restored = true;
      this.endedBeforeRestore.clear();
    })();
    // A failed read is tried again by the next caller.
    this.restoring.catch(() => {
      this.restoring = null;
    });
    return this.restoring;
  }
}
