// Reporting what happened to a proposed tool call: the code that really ran and its output.
import { api } from "./http";
import type { StoredToolCall } from "./types";

export type Completion =
  | { status: "done" | "error"; executed_code: string; output: string }
  | { status: "skipped" };

export const completeToolCall = (id: string, report: Completion) =>
  api<StoredToolCall>(`/api/tool-calls/${encodeURIComponent(id)}/complete`, {
    method: "POST",
    body: report,
  });
