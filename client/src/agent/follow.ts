// Answers this tab shows as they come without having asked for them: another tab's, or one in
// flight when this page loaded. Each chunk arrives once, in order (seq); the stored transcript
// replaces the followed answer once the agent has settled it.
import { batch } from "@preact/signals";
import type { Chunk } from "../api/inference";
import { followedStream } from "../state/live";
import { loopPhase, problem } from "../state/transcript";
import { type Accumulated, accumulate, emptyMessage } from "./accumulate";
import { cellsOf, updateTurns } from "./loop";
import { reloadConversation } from "./refresh";
import type { AnswerStatus, AssistantTurn, Turn } from "./types";

export interface LiveChunk {
  stream_id: string;
  seq: number;
  data: Chunk;
}

interface Start {
  stream_id: string;
  session_id: string;
  user_message: string | null;
}

interface Followed {
  key: string;
  message: Accumulated;
  lastSeq: number;
  painting: boolean;
}

const followed = new Map<string, Followed>();
/** Streams this tab asked for itself: their own HTTP response shows them. */
const own = new Set<string>();
/** Starts seen while this tab's own request had no answer yet: one of them may be its own. */
let undecided: Start[] = [];

const LIVE = "live-";

/** A turn shown from a followed stream (not yet stored). */
export const isFollowed = (turn: Turn) => turn.key.startsWith(LIVE);

function begin(start: Start) {
  if (own.has(start.stream_id) || followed.has(start.stream_id)) return;
  const key = `${LIVE}${start.stream_id}`;
  followed.set(start.stream_id, { key, message: emptyMessage(), lastSeq: -1, painting: false });
  const answer: AssistantTurn = {
    kind: "assistant",
    key,
    text: "",
    status: "streaming",
    finishReason: null,
    problem: null,
    cells: [],
  };
  // The person's message is stored with the answer, so it is not in the transcript yet.
  const user: Turn[] =
    start.user_message === null
      ? []
      : [{ kind: "user", key: `${LIVE}user-${start.stream_id}`, text: start.user_message }];
  batch(() => {
    problem.value = null;
    updateTurns((all) => [...all.filter((t) => t.key !== key), ...user, answer]);
    followedStream.value = start.stream_id;
  });
}

export function followStart(start: Start) {
  if (loopPhase.value === "sending") undecided.push(start);
  else begin(start);
}

/** This tab's own stream (from its response), or null when its request got no stream. */
export function noteOwnStream(streamId: string | null) {
  if (streamId) own.add(streamId);
  const waiting = undecided;
  undecided = [];
  for (const start of waiting) begin(start);
}

function paint(id: string) {
  const f = followed.get(id);
  if (!f) return;
  f.painting = false;
  const snapshot = f.message;
  updateTurns((all) =>
    all.map((t) =>
      t.kind === "assistant" && t.key === f.key
        ? { ...t, text: snapshot.content, cells: cellsOf(snapshot, true) }
        : t,
    ),
  );
}

export function followChunk(chunk: LiveChunk) {
  const f = followed.get(chunk.stream_id);
  // Already seen (a replay overlapping live chunks) or not this tab's to show.
  if (!f || chunk.seq !== f.lastSeq + 1) return;
  f.lastSeq = chunk.seq;
  f.message = accumulate(f.message, chunk.data);
  if (!f.painting) {
    f.painting = true;
    requestAnimationFrame(() => paint(chunk.stream_id));
  }
}

const STATUS: Record<string, AnswerStatus> = { done: "done", aborted: "stopped", error: "cut" };

export function followEnd(
  id: string,
  outcome: string,
  error: { code: string; message: string } | null,
) {
  const f = followed.get(id);
  if (!f) return;
  followed.delete(id);
  const status = error?.code === "stopped" ? "stopped" : (STATUS[outcome] ?? "done");
  const message = f.message;
  const runnable = status === "done" && message.finishReason === "tool_calls";
  batch(() => {
    updateTurns((all) =>
      all.map((t) =>
        t.kind === "assistant" && t.key === f.key
          ? {
              ...t,
              text: message.content,
              status,
              finishReason: message.finishReason,
              problem: status === "cut" ? (error?.message ?? "The answer was cut off.") : null,
              cells: cellsOf(message, false).map((c) => ({
                ...c,
                status: runnable ? "proposed" : "incomplete",
              })),
            }
          : t,
      ),
    );
    if (followedStream.value === id) followedStream.value = null;
  });
  // Settled before the end was announced: the stored turn takes the followed one's place.
  void reloadConversation();
}

/** Leaves what is being followed (another conversation opened). */
export function unfollowAll() {
  followed.clear();
  undecided = [];
  followedStream.value = null;
}
