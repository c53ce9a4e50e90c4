// Postgres errors by SQLSTATE, seen through drizzle's wrapping (its error's `cause`).

/** The SQLSTATE of a Postgres error, or undefined for anything else. */
export function sqlState(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export const FOREIGN_KEY_VIOLATION = "23503";
export const DEADLOCK_DETECTED = "40P01";
/** Text Postgres cannot hold: U+0000, or bytes that are not valid UTF-8. */
export const UNSTORABLE_TEXT = new Set(["22021", "22P05"]);
