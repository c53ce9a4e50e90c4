// Who a virtual key belonged to when this isolate last looked, so a completion request can go
// straight to its account's Durable Object without a database round trip first. An entry is
// only a routing hint: the reservation statement checks the key (live, still this account's)
// and the tier again, and a refusal is re-checked against the database, so a revoked key, a
// merged account or a tier change takes effect on the next request, not when the entry expires.
import type { KeyOwner } from "./virtual-keys";

const TTL_MS = 10 * 60_000;
const MAX_ENTRIES = 10_000;

const owners = new Map<string, { owner: KeyOwner; expires: number }>();

export function cachedOwner(keyHash: string, now = Date.now()): KeyOwner | null {
  const entry = owners.get(keyHash);
  if (!entry) return null;
  if (entry.expires > now) return entry.owner;
  owners.delete(keyHash);
  return null;
}

export function rememberOwner(keyHash: string, owner: KeyOwner, now = Date.now()): void {
  owners.delete(keyHash);
  // Map keeps insertion order: the first key is the least recently remembered.
  if (owners.size >= MAX_ENTRIES) owners.delete(owners.keys().next().value as string);
  owners.set(keyHash, { owner, expires: now + TTL_MS });
}

export function forgetOwner(keyHash: string): void {
  owners.delete(keyHash);
}
