// The admin API as the admin page uses it: JSON in and out, errors thrown with their message.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const res = await fetch(path, {
    method: init?.method ?? "GET",
    headers: init?.body === undefined ? {} : { "content-type": "application/json" },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
    credentials: "same-origin",
  });
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new ApiError(res.status, body.error?.message ?? `HTTP ${res.status}`);
  return body as T;
}

/** What went wrong, as a sentence for the page: the server's message, or why it was not reached. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return "The server could not be reached. Check the connection.";
  return error instanceof Error ? error.message : String(error);
}

// The server's enums (src/db/app-schema.ts), for the tier and status pickers.
export const TIERS = ["anon", "free", "pro"] as const;
export const USAGE_STATUSES = [
  "ok",
  "aborted",
  "upstream_error",
  "timeout",
  "storage_error",
  "settled_by_alarm",
  "settled_by_sweep",
] as const;
/** The server's page size when no limit is asked for: a shorter page is the last one. */
export const PAGE_SIZE = 50;

export interface Account {
  id: string;
  tier: (typeof TIERS)[number];
  created_at: string;
  last_active_at: string;
  providers: string[];
  emails: string[];
  today: { used_tokens: number; limit_tokens: number } | null;
}
export interface Bucket {
  id: string;
  account_id: string;
  window_start: string;
  used_tokens: number;
  limit_tokens: number;
}
export interface Key {
  id: string;
  label: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}
export interface Usage {
  id: string;
  account_id: string;
  model: string;
  provider: string;
  status: string;
  estimated_tokens: number;
  debited_tokens: number;
  latency_ms: number | null;
  created_at: string;
}
export interface AuditEntry {
  id: string;
  actor_email: string;
  action: string;
  target_account_id: string | null;
  target_id: string;
  before: unknown;
  after: unknown;
  created_at: string;
}
export type Page<T> = { data: T[] };
