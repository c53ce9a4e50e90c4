// The person's side of a proposal: Run executes what the editor holds (not the proposal), Skip
// declines it; either way the server is told, and once every cell of the answer is settled the
// loop continues with what really happened.
import { ApiError } from "../api/http";
import { type Completion, completeToolCall } from "../api/tool-calls";
import { kernel, type RunResult } from "../python/kernel";
import type { RunEvent } from "../python/protocol";
import { me } from "../state/account";
import { timeLimitSeconds } from "../state/settings";
import { lastAnswer, problem, turns } from "../state/transcript";
import { explain } from "./explain";
import { refreshFiles } from "./files";
import { continueTurn, updateTurns } from "./loop";
import { reloadConversation } from "./refresh";
import { runReport } from "./report";
import type { Cell, RichOutput, RunView } from "./types";

/** Output kept on the page per stream; the model's report is cut much shorter. */
const MAX_SHOWN_CHARS = 1_000_000;

export function updateCell(id: string, change: (cell: Cell) => Cell) {
  updateTurns((all) =>
    all.map((t) =>
      t.kind === "assistant" && t.cells.some((c) => c.id === id)
        ? { ...t, cells: t.cells.map((c) => (c.id === id ? change(c) : c)) }
        : t,
    ),
  );
}

const findCell = (id: string) =>
  turns.value.flatMap((t) => (t.kind === "assistant" ? t.cells : [])).find((c) => c.id === id);

export const editCell = (id: string, draft: string) => updateCell(id, (c) => ({ ...c, draft }));

function applyEvent(run: RunView, event: RunEvent): RunView {
  switch (event.kind) {
    case "stdout":
    case "stderr": {
      const text = run[event.kind] + event.text;
      return {
        ...run,
        [event.kind]: text.length > MAX_SHOWN_CHARS ? text.slice(-MAX_SHOWN_CHARS) : text,
      };
    }
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
    ? `${why} Python was restarted: variables from earlier cells are gone; files in /data are kept.`
    : why;
}

export async function runCell(id: string) {
  const cell = findCell(id);
  if (cell?.status !== "proposed") return;
  const code = cell.draft;
  const limit = timeLimitSeconds.value;
  const started: RunView = {
    stdout: "",
    stderr: "",
    traceback: null,
    rich: [],
    notice: kernel.state.value.phase === "ready" ? null : "Starting Python…",
    startedAt: performance.now(),
    finishedAt: null,
  };
  updateCell(id, (c) => ({ ...c, status: "running", executedCode: code, run: started }));
  let result: RunResult;
  let crashed: string | null = null;
  try {
    result = await kernel.run(code, limit * 1000, (event) =>
      updateCell(id, (c) => (c.run ? { ...c, run: applyEvent(c.run, event) } : c)),
    );
  } catch (error) {
    result = {
      error: null,
      interrupted: false,
      packageError: null,
      restarted: false,
      timedOut: false,
    };
    crashed = `Python stopped before the code could finish: ${(error as Error).message}.`;
  }
  const failed = Boolean(result.error || result.packageError || result.interrupted || crashed);
  let settled: Cell | undefined;
  updateCell(id, (c) => {
    if (!c.run) return c;
    const run: RunView = {
      ...c.run,
      traceback: result.error,
      notice: outcomeNotice(result, limit) ?? crashed,
      finishedAt: performance.now(),
    };
    settled = { ...c, status: failed ? "error" : "done", run, output: runReport(run) };
    return settled;
  });
  refreshFiles();
  if (settled?.output != null) {
    await report(id, {
      status: settled.status as "done" | "error",
      executed_code: code,
      output: settled.output,
    });
  }
}

export async function skipCell(id: string) {
  const cell = findCell(id);
  if (cell?.status !== "proposed") return;
  updateCell(id, (c) => ({ ...c, status: "skipped", executedCode: null, output: null }));
  await report(id, { status: "skipped" });
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

async function report(id: string, completion: Completion) {
  try {
    await completeToolCall(id, completion);
  } catch (error) {
    if (error instanceof ApiError && error.code === "conflict") {
      // Another tab settled this cell first: show what it did.
      await reloadConversation();
      return;
    }
    const explained = explain(error, { anonymous: me.value?.is_anonymous ?? true });
    problem.value = {
      message: `The result could not be saved. ${explained.message}`,
      action: { label: "Try again", run: () => void report(id, completion) },
    };
    return;
  }
  continueWhenSettled();
}

function continueWhenSettled() {
  const answer = lastAnswer.value;
  if (answer?.finishReason !== "tool_calls") return;
  const open = answer.cells.some((c) => c.status === "proposed" || c.status === "running");
  if (!open) {
    problem.value = null;
    void continueTurn();
  }
}
