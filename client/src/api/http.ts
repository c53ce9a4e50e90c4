// JSON over fetch to the Worker (same origin, the session cookie as the only credential). Every
// failure becomes an ApiError carrying what the server said, so the UI can explain it.

/** What the Worker answers errors with: `{ error: { type, code, message, ... } }`. */
interface ErrorBody {
  error?: { code?: string; message?: string; reset_at?: string };
}

export class ApiError extends Error {
  constructor(
    /** 0 when the server could not be reached at all. */
    readonly status: number,
    /** The server's error code (`quota_exceeded`, …), or `offline` / `http_<status>`. */
    readonly code: string,
    message: string,
    /** Seconds the server asked to wait (Retry-After), if it said. */
    readonly retryAfter: number | null = null,
    /** When the quota window resets, for `quota_exceeded`. */
    readonly resetAt: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const offline = (cause: unknown) =>
  new ApiError(0, "offline", cause instanceof Error ? cause.message : String(cause));

/** Reads an error response into an ApiError (the body may not be JSON at all). */
export async function errorFrom(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => ({}))) as ErrorBody;
  const retry = Number(res.headers.get("retry-after"));
  return new ApiError(
    res.status,
    body.error?.code ?? `http_${res.status}`,
    body.error?.message ?? res.statusText,
    Number.isFinite(retry) && retry > 0 ? retry : null,
    body.error?.reset_at ?? null,
  );
}

/** fetch that turns "could not connect" into ApiError(0) and leaves aborts as they are. */
export async function send(path: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(path, { credentials: "same-origin", ...init });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw offline(error);
  }
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const res = await send(path, {
    method: init.method ?? "GET",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}
