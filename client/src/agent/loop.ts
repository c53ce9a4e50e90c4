// The agent loop's turns: send the conversation, stream the answer into the transcript, and
// pause on the code it proposes (cells.ts resumes it). Stop aborts the stream; the server
// settles what was streamed.
import { batch, effect } from "@preact/signals";
import { ApiError } from "../api/http";
import { type StreamEvent, streamInference } from "../api/inference";
import { allowedModels, bootState, me } from "../state/account";
import { attachments } from "../state/attachments";
import { followedStream } from "../state/live";
import { currentSessionId, sessions } from "../state/sessions";
import { chosenModel } from "../state/settings";
import { composerRestore, loopPhase, problem, turns, waitingCells } from "../state/transcript";
import { stopStream } from "../sync/live";
import { type Accumulated, accumulate, codeOf, emptyMessage, partialCode } from "./accumulate";
import { explain } from "./explain";
import { noteOwnStream } from "./follow";
import { toChatMessages } from "./history";
import { PYTHON_TOOL, systemPrompt } from "./prompt";
import { refreshAfterTurn } from "./refresh";
import { showSessionInUrl } from "./route";
import type { AnswerStatus, AssistantTurn, Cell, Turn } from "./types";

let controller: AbortController | null = null;
/** This tab's stream at the account's agent, while it runs. */
let ownStream: string | null = null;
let counter = 0;
/** The turn that owns the loop; one left behind (another conversation opened) writes nothing. */
let activeTurn = 0;
let turnSerial = 0;
const localKey = (kind: string) => `local-${kind}-${++counter}`;

export function updateTurns(change: (turns: Turn[]) => Turn[]) {
  turns.value = change(turns.value);
}

function updateAnswer(key: string, change: (turn: AssistantTurn) => AssistantTurn) {
  updateTurns((all) => all.map((t) => (t.kind === "assistant" && t.key === key ? change(t) : t)));
}

export function currentModel(): string | null {
  const allowed = allowedModels.value;
  return allowed.find((m) => m.id === chosenModel.value)?.id ?? allowed[0]?.id ?? null;
}

/** Resolves once `ready()` holds, reading signals, so it wakes when they change. */
function until(ready: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const stop = effect(() => {
      if (!ready()) return;
      queueMicrotask(() => stop());
      resolve();
    });
  });
}

/**
 * Sends what the person wrote as the next turn; false if it could not go now (a turn is on).
 * A message written before sign-in finished, or while a conversation loads, waits for them.
 */
export async function sendMessage(text: string): Promise<boolean> {
  await until(() => bootState.value.phase !== "starting" && loopPhase.value !== "loading");
  if (bootState.value.phase !== "ready") return false;
  if (loopPhase.value !== "idle" || !text.trim()) return false;
  if (followedStream.value) {
    // Another tab's answer is still coming into this conversation.
    problem.value = { message: "An answer is still being written here. Wait for it, or stop it." };
    return false;
  }
  if (waitingCells.value.some((c) => c.status === "running")) {
    // The model would hear about a cell that has not finished.
    problem.value = { message: "A cell is still running. Wait for it, or stop it, then send." };
    return false;
  }
  const user = { kind: "user" as const, key: localKey("user"), text };
  batch(() => {
    problem.value = null;
    updateTurns((all) => [...all, user]);
  });
  await runTurn({ userKey: user.key, text });
  return true;
}

/** Sends the conversation as it stands (after cells were resolved, or to retry). */
export function continueTurn() {
  return runTurn({ userKey: null, text: null });
}

/** The cells of an answer as folded so far (streaming: the code as far as it has come). */
export function cellsOf(message: Accumulated, streaming: boolean): Cell[] {
  return message.calls.map((call) => {
    const code = streaming ? partialCode(call.arguments) : (codeOf(call.arguments) ?? "");
    return {
      id: call.id,
      index: call.index,
      name: call.name,
      arguments: call.arguments,
      proposedCode: code,
      draft: code,
      status: "streaming",
      executedCode: null,
      output: null,
      run: null,
    };
  });
}

async function runTurn({ userKey, text }: { userKey: string | null; text: string | null }) {
  if (loopPhase.value !== "idle" && loopPhase.value !== "loading") return;
  const turn = ++turnSerial;
  activeTurn = turn;
  const mine = () => activeTurn === turn;
  const model = currentModel();
  const anonymous = me.value?.is_anonymous ?? true;
  if (!model) {
    problem.value = { message: "No model is available right now. Reload the page in a moment." };
    return;
  }
  const sessionAtStart = currentSessionId.value;
  const body = {
    model,
    stream: true,
    stream_options: { include_usage: true },
    messages: toChatMessages(systemPrompt(attachments.value), turns.value),
    tools: [PYTHON_TOOL],
    ...(sessionAtStart && { session_id: sessionAtStart }),
  };
  controller = new AbortController();
  const signal = controller.signal;
  loopPhase.value = "sending";
  let events: AsyncGenerator<StreamEvent>;
  try {
    const stream = await streamInference(body, signal);
    events = stream.events;
    ownStream = stream.streamId;
    noteOwnStream(stream.streamId);
    if (!mine()) return;
    if (!sessionAtStart && stream.sessionId) openNewSession(stream.sessionId, text ?? "");
  } catch (error) {
    noteOwnStream(null);
    if (!mine()) return;
    controller = null;
    // Nothing was recorded: the person's message goes back into the composer.
    batch(() => {
      loopPhase.value = "idle";
      if (userKey) {
        updateTurns((all) => all.filter((t) => t.key !== userKey));
        if (text !== null) composerRestore.value = text;
      }
    });
    if (signal.aborted) return;
    const explained = explain(error, { anonymous });
    problem.value = {
      message: explained.message,
      offerSignIn: explained.signInHelps,
      ...(explained.retryAfter && { notBefore: Date.now() + explained.retryAfter * 1000 }),
      ...(explained.retryable && {
        action: {
          label: "Try again",
          run: () => (text !== null ? sendRetry(text) : continueTurn()),
        },
      }),
    };
    return;
  }

  const answer: AssistantTurn = {
    kind: "assistant",
    key: localKey("answer"),
    text: "",
    status: "streaming",
    finishReason: null,
    problem: null,
    cells: [],
  };
  batch(() => {
    updateTurns((all) => [...all, answer]);
    loopPhase.value = "streaming";
  });

  let message = emptyMessage();
  let failure: unknown = null;
  let scheduled = false;
  let finished = false;
  const paint = () => {
    scheduled = false;
    if (finished || !mine()) return;
    const snapshot = message;
    updateAnswer(answer.key, (t) => ({
      ...t,
      text: snapshot.content,
      cells: cellsOf(snapshot, true),
    }));
  };
  try {
    for await (const event of events) {
      if (event.kind === "error") {
        failure = event.error;
        break;
      }
      message = accumulate(message, event.chunk);
      if (!scheduled) {
        scheduled = true;
        // One paint per frame however fast tokens come; a hidden tab still catches up.
        if (document.visibilityState === "visible") requestAnimationFrame(paint);
        else setTimeout(paint, 100);
      }
    }
  } catch (error) {
    if (!signal.aborted) failure = error;
  }
  finished = true;
  if (!mine()) return;
  controller = null;
  ownStream = null;
  // Stopped from another tab: the agent ends the stream with a "stopped" error event.
  const stoppedElsewhere = failure instanceof ApiError && failure.code === "stopped";
  const status: AnswerStatus =
    signal.aborted || stoppedElsewhere ? "stopped" : failure ? "cut" : "done";
  const runnable = status === "done" && message.finishReason === "tool_calls";
  batch(() => {
    updateAnswer(answer.key, (t) => ({
      ...t,
      text: message.content,
      status,
      finishReason: message.finishReason,
      problem: failure && !stoppedElsewhere ? explain(failure, { anonymous }).message : null,
      cells: cellsOf(message, false).map((c) => ({
        ...c,
        status: runnable ? "proposed" : "incomplete",
      })),
    }));
    loopPhase.value = "idle";
  });
  refreshAfterTurn();
}

/** A message refused before it was recorded is sent again as new. */
function sendRetry(text: string) {
  composerRestore.value = "";
  return sendMessage(text);
}

function openNewSession(id: string, text: string) {
  currentSessionId.value = id;
  showSessionInUrl(id);
  const now = new Date().toISOString();
  if (!sessions.value.some((s) => s.id === id)) {
    const title = text.trim().split("\n")[0]?.slice(0, 80) || "New chat";
    sessions.value = [
      { id, title, message_count: 0, created_at: now, updated_at: now },
      ...sessions.value,
    ];
  }
}

/**
 * Stops the answer streaming now, for every tab following it too (leaving alone would not stop
 * it while another tab follows); what arrived stays, and the server charges only that.
 */
export function stopAnswer() {
  if (ownStream) stopStream(ownStream);
  controller?.abort();
}

/** Leaves whatever is streaming, for another conversation (the server settles it). */
export function abandonTurn() {
  activeTurn = 0;
  controller?.abort();
  controller = null;
}

/**
 * After an answer was cut: a follow-up to cells is asked for again as it was (the results are
 * stored); an answer to the person is asked for by sending their message again.
 */
export function askAgain() {
  const list = turns.value;
  const before = list.at(-2);
  if (before?.kind === "assistant" && before.finishReason === "tool_calls") return continueTurn();
  const last = list.findLast((t) => t.kind === "user");
  return last ? sendMessage(last.text) : continueTurn();
}
