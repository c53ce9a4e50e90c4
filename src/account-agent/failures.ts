// How an upstream failure is classified: the usage row's status, and what the caller is told.
import type { UsageStatus } from "../db/schema";
import { AppError } from "../errors";
import { UpstreamError } from "../gateway/events";
import { TimeoutError } from "../lib/timeout";

export function asUpstream(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof TimeoutError)
    return new UpstreamError("timeout", "the model stopped answering");
  return new UpstreamError("connection", (error as Error)?.message ?? String(error));
}

export function statusOf(error: UpstreamError): UsageStatus {
  return error.reason === "timeout" ? "timeout" : "upstream_error";
}

/**
 * Provider answers that say the request itself is wrong: retrying it cannot help. Not 404,
 * which says the gateway is misconfigured (base URL, a model the provider retired).
 */
const REFUSALS = new Set([400, 413, 422]);

export function callerError(error: UpstreamError): AppError {
  if (error.reason === "timeout") return new AppError("UPSTREAM_TIMEOUT");
  if (error.reason === "http" && REFUSALS.has(error.status))
    return new AppError(
      "UPSTREAM_REJECTED",
      `The model provider refused the request: ${error.message}`,
    );
  // The provider's own words go to the log only: they may name the service's account, its
  // limits or part of its key.
  const what =
    error.reason === "http" ? `it answered HTTP ${error.status}` : FAILURES[error.reason];
  return new AppError("UPSTREAM_ERROR", `The model provider failed: ${what}`);
}

const FAILURES: Record<Exclude<UpstreamError["reason"], "timeout" | "http">, string> = {
  connection: "the connection to it was lost",
  malformed: "it sent a malformed stream",
  stream_error: "it reported an error mid-stream",
};
