// Per-account admission: concurrent streams and requests per minute. Checked and counted
// synchronously, before any await, because the Durable Object interleaves requests at awaits.
import type { TierLimits } from "../quota/tiers";

const MINUTE_MS = 60_000;

export type Denial = { code: "CONCURRENCY_LIMIT" | "RATE_LIMITED"; retryAfterSeconds: number };

export class Admission {
  private open = 0;
  private readonly starts: number[] = [];

  /** Admits the request (taking a stream slot) or says why not. */
  admit(limits: TierLimits, now = Date.now()): Denial | null {
    while (this.starts.length && (this.starts[0] ?? 0) <= now - MINUTE_MS) this.starts.shift();
    if (this.starts.length >= limits.requestsPerMinute) {
      const oldest = this.starts[0] ?? now;
      return {
        code: "RATE_LIMITED",
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + MINUTE_MS - now) / 1000)),
      };
    }
    if (this.open >= limits.concurrentStreams) {
      return { code: "CONCURRENCY_LIMIT", retryAfterSeconds: 1 };
    }
    this.starts.push(now);
    this.open += 1;
    return null;
  }

  release(): void {
    this.open = Math.max(0, this.open - 1);
  }
}
