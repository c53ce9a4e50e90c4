// Every error the API answers with, in one table, and the single place that turns an
// exception into `{ "error": { "type", "message", "code" } }` (OpenAI's shape, so SDKs parse it).
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  databaseUnavailable,
  fromDatabase,
  loggableError,
  sqlState,
  UNSTORABLE_TEXT,
} from "./db/errors";

export const ERRORS = {
  INVALID_JSON: { status: 400, type: "invalid_request_error", message: "Malformed JSON body" },
  INVALID_REQUEST: { status: 400, type: "invalid_request_error", message: "Invalid request" },
  UNAUTHORIZED: { status: 401, type: "authentication_error", message: "Not signed in" },
  INVALID_API_KEY: {
    status: 401,
    type: "invalid_request_error",
    message: "Invalid or revoked API key",
  },
  FORBIDDEN: { status: 403, type: "permission_error", message: "Not allowed" },
  CROSS_SITE: { status: 403, type: "permission_error", message: "Cross-site request refused" },
  NOT_FOUND: { status: 404, type: "not_found_error", message: "Not found" },
  MODEL_NOT_FOUND: { status: 400, type: "invalid_request_error", message: "Unknown model" },
  MODEL_NOT_ALLOWED: {
    status: 400,
    type: "invalid_request_error",
    message: "This model is not available on your tier",
  },
  CONFLICT: { status: 409, type: "invalid_request_error", message: "Conflict" },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    type: "invalid_request_error",
    message: "Request body too large",
  },
  REQUEST_EXCEEDS_QUOTA: {
    status: 400,
    type: "invalid_request_error",
    message: "This request needs more tokens than the whole daily quota",
  },
  QUOTA_EXCEEDED: {
    status: 429,
    type: "rate_limit_error",
    message: "Daily token quota exhausted",
  },
  RATE_LIMITED: { status: 429, type: "rate_limit_error", message: "Too many requests" },
  CONCURRENCY_LIMIT: {
    status: 429,
    type: "rate_limit_error",
    message: "Too many streams open at once",
  },
  INTERNAL: { status: 500, type: "server_error", message: "Internal server error" },
  UPSTREAM_ERROR: { status: 502, type: "upstream_error", message: "The model provider failed" },
  UPSTREAM_REJECTED: {
    status: 400,
    type: "invalid_request_error",
    message: "The model provider refused the request",
  },
  SYNC_UPSTREAM: { status: 502, type: "upstream_error", message: "The sync service failed" },
  SYNC_TIMEOUT: {
    status: 504,
    type: "upstream_error",
    message: "The sync service did not answer in time",
  },
  SYNC_UNAVAILABLE: {
    status: 503,
    type: "service_unavailable",
    message: "Live sync is not configured; use the plain read endpoints",
  },
  DATASET_UPSTREAM: {
    status: 502,
    type: "upstream_error",
    message: "The dataset could not be fetched from its source; try again later",
  },
  DATASET_TIMEOUT: {
    status: 504,
    type: "upstream_error",
    message: "The dataset's source did not answer in time; try again later",
  },
  UPSTREAM_TIMEOUT: {
    status: 504,
    type: "upstream_error",
    message: "The model provider did not answer in time",
  },
  MISCONFIGURED: { status: 500, type: "server_error", message: "The server is misconfigured" },
  STORAGE_UNAVAILABLE: {
    status: 503,
    type: "service_unavailable",
    message:
      "The request could not be recorded, so it was stopped and nothing was charged; try again",
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    type: "service_unavailable",
    message: "The database did not answer",
  },
  AGENT_UNAVAILABLE: {
    status: 503,
    type: "service_unavailable",
    message: "The account's agent restarted before it could answer; try again",
  },
  UPGRADE_REQUIRED: {
    status: 426,
    type: "invalid_request_error",
    message: "This is a WebSocket endpoint: connect with Upgrade: websocket",
  },
  // Never an HTTP answer: how a stream ends, in its final SSE error event and in the `end` the
  // account's tabs get (GET /api/live).
  STOPPED: {
    status: 409,
    type: "stream_stopped",
    message: "The answer was stopped from a tab of this account",
  },
  INTERRUPTED: {
    status: 503,
    type: "service_unavailable",
    message: "The account's agent restarted during the answer; it ends where it was cut",
  },
} as const satisfies Record<
  string,
  { status: ContentfulStatusCode; type: string; message: string }
>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * Seconds a caller should wait before retrying while the database is away. A restart or a
 * failover takes seconds: retrying sooner only adds connection attempts to a database that is
 * coming back, and much later keeps a person waiting after it has.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Headers an error always carries, wherever it is raised (a route, onError, the agent). */
const ERROR_HEADERS: Partial<Record<ErrorCode, Record<string, string>>> = {
  DATABASE_UNAVAILABLE: { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) },
  // A Durable Object that was reset (a deploy, a restart of its machine) is back at once.
  AGENT_UNAVAILABLE: { "retry-after": "1" },
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { headers?: Record<string, string>; details?: Record<string, unknown> } = {},
  ) {
    super(message ?? ERRORS[code].message);
    this.code = code;
    this.headers = { ...ERROR_HEADERS[code], ...options.headers };
    this.details = options.details ?? {};
  }
}

export function errorBody(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
  const { type } = ERRORS[code];
  return {
    error: { type, code: code.toLowerCase(), message: message ?? ERRORS[code].message, ...details },
  };
}

/** The error as a plain Response, for code outside a Hono handler (the Durable Object). */
export function errorJson(error: AppError): Response {
  return Response.json(errorBody(error.code, error.message, error.details), {
    status: ERRORS[error.code].status,
    headers: error.headers,
  });
}

export function errorResponse(c: Context, error: AppError) {
  return c.json(errorBody(error.code, error.message, error.details), ERRORS[error.code].status, {
    ...error.headers,
  });
}

/**
 * An error nothing expected, logged without anything a database error's message may quote, and
 * answered 503 when the database is away (worth a retry), else 500.
 */
export function unexpectedError(err: Error, requestId: string | undefined): AppError {
  const unavailable = databaseUnavailable(err);
  console.error(
    JSON.stringify({
      level: "error",
      msg: unavailable ? "database unavailable" : "unhandled error",
      request_id: requestId,
      error: loggableError(err),
      ...(!unavailable && !fromDatabase(err) && { stack: err.stack }),
    }),
  );
  return new AppError(unavailable ? "DATABASE_UNAVAILABLE" : "INTERNAL");
}

/** Hono's onError: known errors keep their status; anything else is logged (unexpectedError). */
export function handleError(err: Error, c: Context) {
  if (err instanceof AppError) return errorResponse(c, err);
  // Postgres refusing text it cannot hold is the input's fault.
  if (UNSTORABLE_TEXT.has(sqlState(err) ?? ""))
    return errorResponse(c, new AppError("INVALID_REQUEST", "Text may not contain NUL (U+0000)"));
  if (err instanceof HTTPException) {
    if (err.status === 413) return errorResponse(c, new AppError("PAYLOAD_TOO_LARGE"));
    if (err.status === 400 && /json/i.test(err.message)) {
      return errorResponse(c, new AppError("INVALID_JSON"));
    }
    const code = err.status === 401 ? "UNAUTHORIZED" : err.status === 404 ? "NOT_FOUND" : null;
    if (code) return errorResponse(c, new AppError(code, err.message || undefined));
    if (err.status < 500) {
      return c.json(
        { error: { type: "invalid_request_error", code: "invalid_request", message: err.message } },
        err.status,
      );
    }
  }
  return errorResponse(c, unexpectedError(err, c.get("requestId")));
}
