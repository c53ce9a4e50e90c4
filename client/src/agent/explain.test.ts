// Errors as the sentences the page shows: when the quota resets, how long to wait, whether
// signing in would help.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/http";
import { explain, fromNow } from "./explain";

const NOW = new Date("2030-03-04T09:00:00.000Z");
const inMinutes = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();
const clock = (iso: string) =>
  new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

describe("fromNow", () => {
  const now = NOW.getTime();
  it("rounds to whole minutes and hours", () => {
    expect(fromNow(inMinutes(200), now)).toBe("in 3 h 20 min");
    expect(fromNow(inMinutes(180), now)).toBe("in 3 h");
    expect(fromNow(inMinutes(60), now)).toBe("in 1 h");
    expect(fromNow(inMinutes(59), now)).toBe("in 59 min");
    expect(fromNow(inMinutes(12), now)).toBe("in 12 min");
    expect(fromNow(inMinutes(1.6), now)).toBe("in 2 min");
  });

  it("never says zero or a time in the past", () => {
    expect(fromNow(inMinutes(1), now)).toBe("in a minute");
    expect(fromNow(inMinutes(0.2), now)).toBe("in a minute");
    expect(fromNow(inMinutes(-30), now)).toBe("in a minute");
  });
});

describe("explain", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const quota = (resetAt: string | null) =>
    new ApiError(429, "quota_exceeded", "Daily token quota exceeded", null, resetAt);

  it("says when the quota resets, and offers sign-in only to an anonymous person", () => {
    const resetAt = inMinutes(200);
    const anonymous = explain(quota(resetAt), { anonymous: true });
    expect(anonymous.message).toBe(
      `You've used today's token quota. It resets at ${clock(resetAt)} (in 3 h 20 min). Sign in for a higher daily limit.`,
    );
    expect(anonymous).toMatchObject({ signInHelps: true, retryable: false });

    const signedIn = explain(quota(resetAt), { anonymous: false });
    expect(signedIn.message).toContain(clock(resetAt));
    expect(signedIn.message).toContain("(in 3 h 20 min)");
    expect(signedIn.message).not.toMatch(/sign in/i);
    expect(signedIn.signInHelps).toBe(false);
  });

  it("leaves the reset time out when the server did not say", () => {
    const explained = explain(quota(null), { anonymous: false });
    expect(explained.message).toBe("You've used today's token quota.");
  });

  it("asks to wait as long as the server said when rate limited", () => {
    const limited = new ApiError(429, "rate_limited", "Too many requests", 30);
    expect(explain(limited, { anonymous: true })).toEqual({
      message: "That's a lot of requests in a short time. Try again in 30 s.",
      retryable: true,
      retryAfter: 30,
      signInHelps: false,
    });
    const unsaid = explain(new ApiError(429, "rate_limited", "Too many"), { anonymous: true });
    expect(unsaid.retryAfter).toBe(5);
    expect(unsaid.message).toContain("Try again in 5 s.");
  });

  it("tells an offline person apart from a server that cannot be reached", () => {
    const error = new ApiError(0, "offline", "Failed to fetch");
    vi.stubGlobal("navigator", { onLine: false });
    const offline = explain(error, { anonymous: false });
    expect(offline.message).toMatch(/^You're offline\. Your message is kept/);
    expect(offline.retryable).toBe(true);
    vi.stubGlobal("navigator", { onLine: true });
    const unreachable = explain(error, { anonymous: false });
    expect(unreachable.message).toMatch(/server can't be reached/);
    expect(unreachable.retryable).toBe(true);
  });

  it("says a cut answer keeps what arrived and can be asked again", () => {
    const cut = new ApiError(200, "cut", "The answer stopped before its end");
    const explained = explain(cut, { anonymous: true });
    expect(explained.message).toBe(
      "The answer stopped before its end. What arrived is kept; you can ask again.",
    );
    expect(explained).toMatchObject({ retryable: true, signInHelps: false });
  });

  it("explains the gateway's mid-stream failure as retryable", () => {
    const failed = new ApiError(200, "upstream_error", "The model provider failed");
    expect(explain(failed, { anonymous: true })).toMatchObject({
      retryable: true,
      message: "The model provider failed to answer. Try again in a moment.",
    });
  });

  it("falls back to the server's words for unknown refusals, and retries server errors", () => {
    const refused = explain(new ApiError(400, "bad_thing", "No tools allowed"), {
      anonymous: true,
    });
    expect(refused).toMatchObject({
      retryable: false,
      message: "The request was refused: No tools allowed",
    });
    expect(explain(new ApiError(503, "weird", "x"), { anonymous: true }).retryable).toBe(true);
    expect(explain(new Error("boom"), { anonymous: true }).message).toBe(
      "Something went wrong in the page: boom.",
    );
  });
});
