// The person's side of a proposal: Run executes what the editor holds (not the proposal), Skip
// declines it; either way the server is told, and once every cell of the answer is settled the
// loop continues with what really happened. A cell belongs to its conversation: its result is
// stored even if the person opened another one meanwhile, and only that conversation continues.
import { signal } from "@preact/signals";
import { ApiError } from "../api/http";
import { type Completion, completeToolCall } from "../api/tool-calls";
import { kernel, type RunHandle, type RunResult } from "../python/kernel";
import type { RunEvent } from "../python/protocol";
import { me } from "../state/account";
import { currentSessionId } from "../state/sessions";
import { timeLimitSeconds } from "../state/settings";
import { lastAnswer, loopPhase, problem, turns } from "../state/transcript";
import { explain } from "./explain";
import { continueTurn, updateTurns } from "./loop";
import { reloadConversation } from "./refresh";
import { runReport } from "./report";
import type { Cell, RichOutput, RunView } from "./types";

/** Output kept on the page per stream: its start and its end (the report is much shorter). */
const SHOWN_HEAD = 20_000;
const SHOWN_TAIL = 80_000;
const CUT = "\n… (output in the middle not shown) …\n";

interface Owner {
  sessionId: string | null;
  answerKey: string;
}

const running = new Map<string, RunHandle>();
/** Results stored nowhere yet (the server could not be reached): sent again when it can be. */
const unsent = new Map<string, { completion: Completion; owner: Owner }>();
/** How many there are, as a signal, so what depends on it (Continue) redraws. */
const unsentCount = signal(0);
const noteUnsent = () => {
  unsentCount.value = unsent.size;
};
/** Answers whose follow-up turn has been sent, so two cells settling together send one. */
const continued = new Set<string>();

export function updateCell(id: string, change: (cell: Cell) => Cell) {
  updateTurns((all) =>
    all.map((t) =>
      t.kind === "assistant" && t.cells.some((c) => c.id === id)
        ? { ...t, cells: t.cells.map((c) => (c.id === id ? change(c) : c)) }
        : t,
    ),
  );
}

function ownerOf(id: string): { cell: Cell; owner: Owner } | null {
  for (const turn of turns.value) {
    if (turn.kind !== "assistant") continue;
    const cell = turn.cells.find((c) => c.id === id);
    if (cell) return { cell, owner: { sessionId: currentSessionId.value, answerKey: turn.key } };
  }
  return null;
}

export const editCell = (id: string, draft: string) => updateCell(id, (c) => ({ ...c, draft }));

function keepShort(text: string): string {
  if (text.length <= SHOWN_HEAD + SHOWN_TAIL + CUT.length) return text;
  const head = text.slice(0, SHOWN_HEAD);
  return `${head}${head.endsWith(CUT) ? "" : CUT}${text.slice(-SHOWN_TAIL)}`;
}

function applyEvent(run: RunView, event: RunEvent): RunView {
  switch (event.kind) {
    case "stdout":
    case "stderr":
      return { ...run, [event.kind]: keepShort(run[event.kind] + event.text) };
    case "display":
      return { ...run, rich: [...run.rich, richOutput(event.item)] };
    case "loading":
      return { ...run, notice: event.text };
    case "started":
      return { ...run, notice: null, startedAt: performance.now() };
    case "stopping":
      return {
        ...run,
        notice:
          event.why === "timeout" ? "Time limit reached; stopping the cell…" : "Stopping the cell…",
      };
  }
}

function richOutput(item: Extract<RunEvent, { kind: "display" }>["item"]): RichOutput {
  if (item.kind !== "image") return item;
  const url = URL.createObjectURL(new Blob([item.data as BlobPart], { type: item.mime }));
  return {
    kind: "image",
    mime: item.mime,
    url,
    width: item.width,
    height: item.height,
    name: item.name,
  };
}

function outcomeNotice(result: RunResult, limit: number): string | null {
  if (result.packageError) {
    return `A package this code imports could not be loaded, so nothing ran. ${result.packageError.trim()} Packages come from the internet; check the connection, or use only the standard library.`;
  }
  if (!result.interrupted) return null;
  const why = result.timedOut ? `Stopped after ${limit} s (the time limit).` : "Stopped.";
  return result.restarted
    ? `${why} Python was restarted: variables from earlier cells are gone; files in /data from before this cell are kept.`
    : why;
}

export async function runCell(id: string) {
  const found = ownerOf(id);
  if (found?.cell.status !== "proposed") return;
  const { cell, owner } = found;
  const code = cell.draft;
  const limit = timeLimitSeconds.value;
  let run: RunView = {
    stdout: "",
    stderr: "",
    traceback: null,
    rich: [],
    notice: kernel.state.value.phase === "ready" ? null : "Starting Python…",
    startedAt: performance.now(),
    finishedAt: null,
  };
  // The page shows the run as it goes, one paint per frame however fast output comes.
  let painting = false;
  const paint = () => {
    painting = false;
    const shown = run;
    updateCell(id, (c) => (c.status === "running" ? { ...c, run: shown } : c));
  };
  updateCell(id, (c) => ({ ...c, status: "running", executedCode: code, run }));
  const handle = kernel.run(code, limit * 1000, (event) => {
    run = applyEvent(run, event);
    if (!painting) {
      painting = true;
      requestAnimationFrame(paint);
    }
  });
  running.set(id, handle);
  let result: RunResult;
  let crashed: string | null = null;
  try {
    result = await handle.done;
  } catch (error) {
    result = {
      error: null,
      interrupted: false,
      packageError: null,
      restarted: false,
      timedOut: false,
    };
    crashed = `Python stopped before the code could finish: ${(error as Error).message}.`;
  } finally {
    running.delete(id);
  }
  run = {
    ...run,
    traceback: result.error,
    notice: outcomeNotice(result, limit) ?? crashed,
    finishedAt: performance.now(),
  };
  const failed = Boolean(result.error || result.packageError || result.interrupted || crashed);
  const status = failed ? "error" : "done";
  const output = runReport(run);
  const settled = run;
  updateCell(id, (c) => ({ ...c, status, executedCode: code, output, run: settled }));
  await report(id, { status, executed_code: code, output }, owner);
}

/** Stops a running (or waiting) cell, as its time limit would. */
export function stopCell(id: string) {
  running.get(id)?.stop();
}

export async function skipCell(id: string) {
  const found = ownerOf(id);
  if (found?.cell.status !== "proposed") return;
  updateCell(id, (c) => ({ ...c, status: "skipped", executedCode: null, output: null }));
  await report(id, { status: "skipped" }, found.owner);
}

/** Skips every cell still waiting (the person wrote a new message instead). */
export async function skipWaiting() {
  for (const cell of lastAnswer.value?.cells ?? []) {
    if (cell.status === "proposed") {
      updateCell(cell.id, (c) => ({ ...c, status: "skipped", executedCode: null, output: null }));
      await completeToolCall(cell.id, { status: "skipped" }).catch(() => {});
    }
  }
}

async function report(id: string, completion: Completion, owner: Owner) {
  try {
    await completeToolCall(id, completion);
    unsent.delete(id);
    noteUnsent();
  } catch (error) {
    if (error instanceof ApiError && error.code === "conflict") {
      // Another tab settled this cell first: show what it did.
      unsent.delete(id);
      noteUnsent();
      await reloadConversation();
      return;
    }
    unsent.set(id, { completion, owner });
    noteUnsent();
    const explained = explain(error, { anonymous: me.value?.is_anonymous ?? true });
    problem.value = {
      message: `The result could not be saved. ${explained.message}`,
      action: { label: "Try again", run: () => void sendUnsent() },
    };
    return;
  }
  continueWhenSettled(owner);
}

/** Sends the results the server has not got yet (also when the connection comes back). */
export async function sendUnsent() {
  for (const [id, { completion, owner }] of [...unsent]) await report(id, completion, owner);
}
addEventListener("online", () => void sendUnsent());

/** The open conversation's last answer has every cell settled and stored, and no reply yet. */
export function readyToContinue(): boolean {
  const answer = lastAnswer.value;
  if (answer?.finishReason !== "tool_calls" || answer.status !== "done") return false;
  if (turns.value.at(-1) !== answer || loopPhase.value !== "idle") return false;
  const cells = answer.cells.filter((c) => c.status !== "incomplete");
  return (
    cells.length > 0 &&
    cells.every((c) => c.status === "done" || c.status === "error" || c.status === "skipped") &&
    unsentCount.value >= 0 &&
    cells.every((c) => !unsent.has(c.id))
  );
}

function continueWhenSettled(owner: Owner) {
  // Only the conversation the cell belongs to, and only while it is the one on screen; coming
  // back to it later offers Continue instead.
  if (currentSessionId.value !== owner.sessionId) return;
  if (lastAnswer.value?.key !== owner.answerKey || continued.has(owner.answerKey)) return;
  if (!readyToContinue()) return;
  continued.add(owner.answerKey);
  problem.value = null;
  void continueTurn();
}
