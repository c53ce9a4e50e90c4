// Live sync through Electric shapes, proxied by the Worker at /api/sync/:table (which pins every
// shape to this account): the quota, the sessions, and the open conversation's messages and
// tool calls. Loaded only when the server has live sync.
import { Shape, ShapeStream } from "@electric-sql/client";
import { effect } from "@preact/signals";
import { fromStored, withLocalState } from "../agent/history";
import { mergeSessions } from "../agent/refresh";
import type { StoredMessage, StoredToolCall } from "../api/types";
import { quota } from "../state/account";
import { currentSessionId, sessions, sessionsLoaded } from "../state/sessions";
import { loopPhase, turns } from "../state/transcript";

type Row = Record<string, unknown>;
const DAY_MS = 86_400_000;

/** Electric sends timestamps as Postgres prints them ("2026-12-06 02:11:33.1+00"). */
const iso = (value: unknown) => {
  const text = String(value ?? "");
  const date = new Date(text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
};
const num = (value: unknown) => Number(value ?? 0);
const str = (value: unknown) => (value == null ? null : String(value));

function shape(table: string, params: { session_id?: string } = {}, signal?: AbortSignal) {
  const stream = new ShapeStream<Row>({
    url: `${location.origin}/api/sync/${table}`,
    params,
    signal,
    // Errors are retried with backoff by the client; a 401 means the page must reload.
    onError: () => ({}),
  });
  return new Shape<Row>(stream);
}

function followQuota() {
  shape("quota_buckets").subscribe(({ rows }) => {
    const latest = [...rows].sort((a, b) =>
      iso(b.window_start).localeCompare(iso(a.window_start)),
    )[0];
    if (!latest) return;
    const start = iso(latest.window_start);
    quota.value = {
      window_start: start,
      reset_at: new Date(new Date(start).getTime() + DAY_MS).toISOString(),
      used_tokens: num(latest.used_tokens),
      limit_tokens: num(latest.limit_tokens),
    };
  });
}

function followSessions() {
  shape("agent_sessions").subscribe(({ rows }) => {
    sessions.value = mergeSessions(
      rows
        .map((r) => ({
          id: String(r.id),
          title: String(r.title ?? ""),
          message_count: num(r.message_count),
          created_at: iso(r.created_at),
          updated_at: iso(r.updated_at),
        }))
        .sort((a, b) => b.updated_at.localeCompare(a.updated_at)),
    );
    sessionsLoaded.value = true;
  });
}

function transcriptOf(messageRows: Row[], callRows: Row[]): StoredMessage[] {
  const calls = new Map<string, StoredToolCall[]>();
  for (const c of callRows) {
    const list = calls.get(String(c.message_id)) ?? [];
    list.push({
      id: String(c.id),
      name: String(c.name),
      status: String(c.status) as StoredToolCall["status"],
      position: num(c.position),
      arguments: String(c.arguments ?? ""),
      proposed_code: str(c.proposed_code),
      executed_code: str(c.executed_code),
      output: str(c.output),
      completed_at: c.completed_at == null ? null : iso(c.completed_at),
    });
    calls.set(String(c.message_id), list);
  }
  return messageRows
    .map((m) => ({
      id: String(m.id),
      seq: num(m.seq),
      role: String(m.role) as StoredMessage["role"],
      content: String(m.content ?? ""),
      model: str(m.model),
      finish_reason: str(m.finish_reason),
      created_at: iso(m.created_at),
      tool_calls: calls.get(String(m.id)) ?? [],
    }))
    .sort((a, b) => a.seq - b.seq);
}

/** The open conversation's two shapes; replaced when another conversation opens. */
function followConversation() {
  let stop: (() => void) | null = null;
  effect(() => {
    const id = currentSessionId.value;
    stop?.();
    stop = null;
    if (!id) return;
    const aborter = new AbortController();
    const messages = shape("agent_messages", { session_id: id }, aborter.signal);
    const calls = shape("agent_tool_calls", { session_id: id }, aborter.signal);
    const apply = () => {
      // The page's own turn in progress wins; the stored one arrives when it settles.
      if (currentSessionId.value !== id || loopPhase.value !== "idle") return;
      const stored = transcriptOf(messages.currentRows, calls.currentRows);
      if (!stored.length) return;
      const next = withLocalState(fromStored(stored), turns.value);
      if (JSON.stringify(next) !== JSON.stringify(turns.value)) turns.value = next;
    };
    const offMessages = messages.subscribe(apply);
    const offCalls = calls.subscribe(apply);
    stop = () => {
      offMessages();
      offCalls();
      aborter.abort();
    };
  });
}

export function startElectric() {
  followQuota();
  followSessions();
  followConversation();
}
