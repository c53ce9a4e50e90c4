// What the AccountAgent knows of its account's free quota: the room its last reservation
// reported, less what reservations now in flight may take. While that covers a request, its
// reservation will all but certainly hold, so the upstream request need not wait for it.
import type { Reservation } from "../quota/reserve";
import { windowStart } from "../quota/window";

export class KnownRoom {
  private known: { window: number; tokens: number } | null = null;
  private pending = 0;

  /** Whether a reservation of `tokens` is expected to hold (false while nothing is known). */
  covers(tokens: number, now = new Date()): boolean {
    const known = this.known;
    if (!known || known.window !== windowStart(now).getTime()) return false;
    return known.tokens - this.pending >= tokens;
  }

  /** Counts `tokens` as pending while `reserving` runs, then learns from its answer. */
  async track(tokens: number, reserving: Promise<Reservation>): Promise<Reservation> {
    this.pending += tokens;
    try {
      const result = await reserving;
      this.known = result.ok
        ? { window: result.windowStart.getTime(), tokens: result.limitTokens - result.usedTokens }
        : null;
      return result;
    } finally {
      this.pending -= tokens;
    }
  }
}
