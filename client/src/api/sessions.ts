// The visitor's conversations: list, transcript (messages with their tool calls), rename, delete.
import { api } from "./http";
import type { SessionSummary, StoredMessage } from "./types";

export const listSessions = () =>
  api<{ data: SessionSummary[] }>("/api/sessions?limit=100").then((r) => r.data);

export const sessionMessages = (id: string) =>
  api<{ data: StoredMessage[] }>(`/api/sessions/${encodeURIComponent(id)}/messages`).then(
    (r) => r.data,
  );

export const renameSession = (id: string, title: string) =>
  api<SessionSummary>(`/api/sessions/${encodeURIComponent(id)}`, {
    method: "PATCH",
    body: { title },
  });

export const deleteSession = (id: string) =>
  api<void>(`/api/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
