// The conversation both ways: rebuilt from what the server stored (so a reload continues where
// it was), and turned into the OpenAI messages the next turn sends.
import type { StoredMessage, StoredToolCall } from "../api/types";
import { codeOf } from "./accumulate";
import { toolMessage } from "./report";
import type { AnswerStatus, AssistantTurn, Cell, Turn } from "./types";

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string | null;
  tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

const ANSWER_STATUS: Record<string, AnswerStatus> = { aborted: "stopped", error: "cut" };

function storedCell(call: StoredToolCall, runnable: boolean): Cell {
  const proposed = call.proposed_code ?? codeOf(call.arguments) ?? "";
  const status = call.status === "proposed" && !runnable ? "incomplete" : call.status;
  return {
    id: call.id,
    index: call.position,
    name: call.name,
    arguments: call.arguments,
    proposedCode: proposed,
    draft: call.executed_code ?? proposed,
    status,
    executedCode: call.executed_code,
    output: call.output,
    run: null,
  };
}

export function fromStored(messages: StoredMessage[]): Turn[] {
  const turns: Turn[] = [];
  for (const m of messages) {
    if (m.role === "user") turns.push({ kind: "user", key: m.id, text: m.content });
    if (m.role !== "assistant") continue;
    // Only an answer that finished by calling tools carries a complete, runnable proposal.
    const runnable = m.finish_reason === "tool_calls";
    const answer: AssistantTurn = {
      kind: "assistant",
      key: m.id,
      text: m.content,
      status: ANSWER_STATUS[m.finish_reason ?? ""] ?? "done",
      finishReason: m.finish_reason,
      problem: m.finish_reason === "error" ? "The answer was cut off before it ended." : null,
      cells: [...m.tool_calls]
        .sort((a, b) => a.position - b.position)
        .map((c) => storedCell(c, runnable)),
    };
    turns.push(answer);
  }
  return turns;
}

/** Cells whose proposals the model is waiting to hear about. */
export const answeredCells = (turn: AssistantTurn) =>
  turn.finishReason === "tool_calls" ? turn.cells.filter((c) => c.status !== "incomplete") : [];

export function toChatMessages(system: string, turns: Turn[]): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: "system", content: system }];
  for (const turn of turns) {
    if (turn.kind === "user") {
      messages.push({ role: "user", content: turn.text });
      continue;
    }
    const cells = answeredCells(turn);
    // An empty answer (stopped before its first word) is left out: providers refuse them.
    if (!turn.text && !cells.length) continue;
    messages.push({
      role: "assistant",
      content: turn.text || null,
      ...(cells.length && {
        tool_calls: cells.map((c) => ({
          id: c.id,
          type: "function" as const,
          function: { name: c.name, arguments: c.arguments },
        })),
      }),
    });
    for (const cell of cells) {
      messages.push({ role: "tool", tool_call_id: cell.id, content: toolMessage(cell) });
    }
  }
  return messages;
}

/**
 * The stored transcript, keeping what only this page has: a cell's live output (pictures are
 * not stored) and an edit the person has not run yet.
 */
export function withLocalState(stored: Turn[], local: Turn[]): Turn[] {
  const cells = new Map<string, Cell>();
  for (const turn of local) {
    if (turn.kind === "assistant") for (const cell of turn.cells) cells.set(cell.id, cell);
  }
  return stored.map((turn, i) => {
    // Same place, same kind: the same turn, so it keeps its key and the page does not redraw it.
    const key = local[i]?.kind === turn.kind ? (local[i]?.key ?? turn.key) : turn.key;
    return turn.kind === "user"
      ? { ...turn, key }
      : {
          ...turn,
          key,
          cells: turn.cells.map((cell) => {
            const mine = cells.get(cell.id);
            if (!mine) return cell;
            // Run or skipped here while its report is still on the way: this page knows better.
            const ahead =
              cell.status === "proposed" && !["proposed", "streaming"].includes(mine.status);
            if (ahead) return mine;
            return {
              ...cell,
              run: mine.run,
              draft: cell.status === "proposed" ? mine.draft : cell.draft,
            };
          }),
        };
  });
}
