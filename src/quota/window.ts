// Quota windows are UTC days: a bucket meters [windowStart, windowStart + 1 day).
const DAY_MS = 24 * 60 * 60 * 1000;

export function windowStart(now: Date = new Date()): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
}

export function windowReset(start: Date): Date {
  return new Date(start.getTime() + DAY_MS);
}
