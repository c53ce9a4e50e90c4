// The scheduled handler: runs each job, logs one line per job (count, duration, or the error),
// lets one failing job not stop the others, and fails the run if any did, so the invocation
// shows as an error (`wrangler tail --status error`).
import { loadConfig } from "../config";
import { connect, disconnect } from "../db/client";
import { loggableError } from "../db/errors";
import type { Env } from "../env";
import {
  pruneUsageLog,
  removeIdleAnonymousAccounts,
  removeOrphanedAccounts,
  sweepStaleReservations,
} from "./jobs";

export async function runScheduledJobs(env: Env, cron: string): Promise<void> {
  const config = loadConfig(env);
  const db = connect(env.HYPERDRIVE);
  const jobs = {
    settle_stale_reservations: () => sweepStaleReservations(db, env, config),
    remove_idle_anonymous_accounts: () => removeIdleAnonymousAccounts(db, config),
    remove_orphaned_accounts: () => removeOrphanedAccounts(db),
    prune_usage_log: () => pruneUsageLog(db, config),
  };
  const failed: string[] = [];
  try {
    for (const [job, run] of Object.entries(jobs)) {
      const started = Date.now();
      try {
        const count = await run();
        console.log(
          JSON.stringify({ msg: "scheduled", cron, job, count, duration_ms: Date.now() - started }),
        );
      } catch (error) {
        failed.push(job);
        console.error(
          JSON.stringify({
            msg: "scheduled",
            cron,
            job,
            error: loggableError(error),
            duration_ms: Date.now() - started,
          }),
        );
      }
    }
  } finally {
    await disconnect(db);
  }
  if (failed.length) throw new Error(`scheduled jobs failed: ${failed.join(", ")}`);
}
