// The transcript as the page holds it: the person's messages, the assistant's answers, and the
// code cells the assistant proposed, each with where it is in its life.

/** streaming: the model is still writing it; proposed: waiting for Run or Skip; incomplete: the
 * answer ended before the proposal did, so it cannot run. */
export type CellStatus =
  | "streaming"
  | "proposed"
  | "running"
  | "done"
  | "error"
  | "skipped"
  | "incomplete";

export type RichOutput =
  | {
      kind: "image";
      mime: string;
      url: string;
      width: number | null;
      height: number | null;
      name: string | null;
    }
  | { kind: "table"; columns: string[]; rows: string[][]; totalRows: number; name: string | null }
  | { kind: "html"; html: string; text: string };

/** What a run produced, live; the server keeps only its text report (`Cell.output`). */
export interface RunView {
  stdout: string;
  stderr: string;
  traceback: string | null;
  rich: RichOutput[];
  /** A line about the run itself: packages loading, stopped by the time limit, … */
  notice: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface Cell {
  id: string;
  index: number;
  name: string;
  /** The call's arguments as the model wrote them (sent back verbatim in the history). */
  arguments: string;
  proposedCode: string;
  /** What the editor holds: the proposal until the person changes it. */
  draft: string;
  status: CellStatus;
  executedCode: string | null;
  /** The report sent to the model (and stored), once the cell has run. */
  output: string | null;
  run: RunView | null;
}

export interface UserTurn {
  kind: "user";
  key: string;
  text: string;
}

/** done: ended normally; stopped: the person pressed Stop; cut: the stream failed midway. */
export type AnswerStatus = "streaming" | "done" | "stopped" | "cut";

export interface AssistantTurn {
  kind: "assistant";
  key: string;
  text: string;
  status: AnswerStatus;
  finishReason: string | null;
  /** Why the answer was cut, in words, when it was. */
  problem: string | null;
  cells: Cell[];
}

export type Turn = UserTurn | AssistantTurn;
