// Every admin action is written to admin_audit in the same transaction as the change itself.
import type { Database } from "../db/client";
import { adminAudit } from "../db/schema";
import type { AdminActor } from "./access";

type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];

export async function audit(
  tx: Tx,
  actor: AdminActor,
  entry: {
    action: string;
    targetAccountId: string | null;
    targetId: string;
    before: unknown;
    after: unknown;
  },
) {
  await tx.insert(adminAudit).values({
    actorUserId: actor.userId,
    actorEmail: actor.email,
    action: entry.action,
    targetAccountId: entry.targetAccountId,
    targetId: entry.targetId,
    before: entry.before,
    after: entry.after,
  });
}
