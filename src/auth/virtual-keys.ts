// Virtual keys for programmatic clients: shown once at creation, stored only as SHA-256.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { accounts, type Tier, virtualKeys } from "../db/schema";
import { sha256Hex } from "../lib/sha256";

type Queryable = Pick<Database, "insert" | "select" | "update">;

const KEY_PREFIX = "gr_";

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** Only this is stored: a key is looked up by its SHA-256. */
export const hashKey = sha256Hex;

export function looksLikeKey(value: string): boolean {
  return value.startsWith(KEY_PREFIX) && value.length === KEY_PREFIX.length + 43;
}

export async function createKey(db: Queryable, accountId: string, label: string) {
  const key = `${KEY_PREFIX}${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const [row] = await db
    .insert(virtualKeys)
    .values({ accountId, label, keyHash: await hashKey(key), prefix: key.slice(0, 10) })
    .returning({
      id: virtualKeys.id,
      label: virtualKeys.label,
      prefix: virtualKeys.prefix,
      createdAt: virtualKeys.createdAt,
    });
  if (!row) throw new Error("virtual key insert returned nothing");
  return { ...row, key };
}

export interface KeyOwner {
  keyId: string;
  accountId: string;
  tier: Tier;
}

/** The account a live (not revoked) key, given by its hash, belongs to, or null. */
export async function findKeyOwner(db: Queryable, keyHash: string): Promise<KeyOwner | null> {
  const [row] = await db
    .select({ keyId: virtualKeys.id, accountId: virtualKeys.accountId, tier: accounts.tier })
    .from(virtualKeys)
    .innerJoin(accounts, eq(accounts.id, virtualKeys.accountId))
    .where(and(eq(virtualKeys.keyHash, keyHash), isNull(virtualKeys.revokedAt)));
  return row ?? null;
}

/** Records use at most once a minute per key, so hot keys do not write on every request. */
export async function touchKey(db: Queryable, keyId: string): Promise<void> {
  await db
    .update(virtualKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(virtualKeys.id, keyId),
        sql`(${virtualKeys.lastUsedAt} is null or ${virtualKeys.lastUsedAt} < now() - interval '1 minute')`,
      ),
    );
}
