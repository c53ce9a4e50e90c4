// The messages of GET /api/live, the WebSocket each tab holds to its account's agent (JSON text
// frames). client/src/sync/live.ts speaks the other side; docs/gateway.md describes it.

/** How a stream ended, as its `end` says. */
export type Outcome = "done" | "error" | "aborted";

export interface StreamStart {
  type: "start";
  stream_id: string;
  session_id: string;
  /** The turn's last user text; null when the turn continues after a tool result. */
  user_message: string | null;
  model: string;
  started_at: number;
}

export interface StreamEnd {
  type: "end";
  stream_id: string;
  outcome: Outcome;
  error: { code: string; message: string } | null;
  /** The settled assistant message, when it was stored. */
  message_id: string | null;
}

export type ServerMessage =
  | { type: "hello"; account_id: string }
  | StreamStart
  | StreamEnd
  | { type: "changed"; what: string; id: string; session_id: string }
  | { type: "moved" }
  | { type: "pong" };

export type TabMessage =
  | { type: "follow"; session_id: string | null }
  | { type: "stop"; stream_id: string }
  | { type: "ping" };

/** What the Worker tells the agent of, for the account's tabs. */
export type AgentNotice =
  | { type: "changed"; what: string; id: string; session_id: string }
  | { type: "moved" };

/** Close code telling a tab its account was merged into another: reconnect at once. */
export const MOVED_CLOSE_CODE = 4001;

/** A tab's frame, or null for anything this side does not understand (ignored). */
export function parseTabMessage(raw: string | ArrayBuffer): TabMessage | null {
  if (typeof raw !== "string" || raw.length > 1024) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const m = value as Record<string, unknown>;
  if (m.type === "ping") return { type: "ping" };
  if (m.type === "follow" && (m.session_id === null || typeof m.session_id === "string"))
    return { type: "follow", session_id: m.session_id };
  if (m.type === "stop" && typeof m.stream_id === "string")
    return { type: "stop", stream_id: m.stream_id };
  return null;
}

/**
 * A chunk frame, built around the chunk's JSON as the caller's SSE carries it, so a chunk is
 * serialised once for both.
 */
export function chunkFrame(streamId: string, seq: number, json: string): string {
  return `{"type":"chunk","stream_id":${JSON.stringify(streamId)},"seq":${seq},"data":${json}}`;
}
