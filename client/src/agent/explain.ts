// Errors as sentences a person can act on: what happened, and what to do next.
import { ApiError } from "../api/http";

export interface Explained {
  message: string;
  /** Worth trying again as is (after `retryAfter` seconds, if set). */
  retryable: boolean;
  retryAfter: number | null;
  /** Signing in would help (more quota, better models). */
  signInHelps: boolean;
}

const time = (iso: string) =>
  new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** "in 3 h 20 min", "in 12 min", "in a minute". */
export function fromNow(iso: string, now = Date.now()): string {
  const minutes = Math.max(1, Math.round((new Date(iso).getTime() - now) / 60_000));
  if (minutes < 2) return "in a minute";
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `in ${hours} h${rest ? ` ${rest} min` : ""}`;
}

export function explain(error: unknown, { anonymous }: { anonymous: boolean }): Explained {
  const base = { retryable: false, retryAfter: null, signInHelps: false };
  if (!(error instanceof ApiError)) {
    return {
      ...base,
      retryable: true,
      message: `Something went wrong in the page: ${(error as Error)?.message ?? error}.`,
    };
  }
  switch (error.code) {
    case "offline":
      return {
        ...base,
        retryable: true,
        message: navigator.onLine
          ? "Gradual's server can't be reached right now. Check your connection and try again."
          : "You're offline. Your message is kept; try again once you're back online.",
      };
    case "quota_exceeded": {
      const reset = error.resetAt
        ? ` It resets at ${time(error.resetAt)} (${fromNow(error.resetAt)}).`
        : "";
      return {
        ...base,
        signInHelps: anonymous,
        message: `You've used today's token quota.${reset}${anonymous ? " Sign in for a higher daily limit." : ""}`,
      };
    }
    case "request_exceeds_quota":
      return {
        ...base,
        signInHelps: anonymous,
        message:
          "This conversation has grown longer than a whole day's quota allows. Start a new chat" +
          (anonymous ? ", or sign in for a higher limit." : "."),
      };
    case "rate_limited":
    case "concurrency_limit": {
      const wait = error.retryAfter ?? 5;
      return {
        ...base,
        retryable: true,
        retryAfter: wait,
        message:
          error.code === "concurrency_limit"
            ? `Another answer is still streaming for this account. Try again in ${wait} s.`
            : `That's a lot of requests in a short time. Try again in ${wait} s.`,
      };
    }
    case "model_not_found":
    case "model_not_allowed":
      return {
        ...base,
        signInHelps: anonymous && error.code === "model_not_allowed",
        message:
          error.code === "model_not_allowed"
            ? `That model isn't available on your plan. Pick another model${anonymous ? ", or sign in for more" : ""}.`
            : "That model isn't offered any more. Pick another model from the list.",
      };
    case "unauthorized":
      return { ...base, message: "Your session has ended. Reload the page to start a new one." };
    case "upstream_timeout":
      return { ...base, retryable: true, message: "The model took too long to answer. Try again." };
    case "upstream_error":
      return {
        ...base,
        retryable: true,
        message: "The model provider failed to answer. Try again in a moment.",
      };
    case "upstream_rejected":
      return { ...base, message: `The model provider refused this request: ${error.message}` };
    case "database_unavailable":
    case "storage_unavailable":
      return {
        ...base,
        retryable: true,
        retryAfter: error.retryAfter,
        message:
          "Gradual couldn't record this request, so nothing was charged. Try again in a moment.",
      };
    case "cut":
      return {
        ...base,
        retryable: true,
        message: "The answer stopped before its end. What arrived is kept; you can ask again.",
      };
    case "not_found":
      return { ...base, message: "That conversation doesn't exist any more. Start a new chat." };
    default:
      return {
        ...base,
        retryable: error.status >= 500 || error.status === 0,
        message:
          error.status >= 500
            ? "Gradual's server had a problem. Try again in a moment."
            : `The request was refused: ${error.message}`,
      };
  }
}
