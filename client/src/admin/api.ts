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

export interface Account {
  id: string;
  tier: "anon" | "free" | "pro";
  created_at: string;
  last_active_at: string;
  providers: string[];
  emails: string[];
  today: { used_tokens: number; limit_tokens: number } | null;
}
export interface Bucket {
  id: string;
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
  target_id: string;
  before: unknown;
  after: unknown;
  created_at: string;
}
export type Page<T> = { data: T[] };
