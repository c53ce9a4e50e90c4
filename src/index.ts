// Worker entry: the Hono app for fetch, the Cron Trigger's jobs, and the Durable Object class
// wrangler.toml binds.
import { buildApp } from "./app";
import type { Env } from "./env";
import { runScheduledJobs } from "./maintenance/scheduled";

export { AccountAgent } from "./account-agent";

const app = buildApp();

export default {
  fetch: app.fetch,
  // Returned, not left to waitUntil: a failed run is then the invocation's own outcome.
  scheduled: (controller, env) => runScheduledJobs(env, controller.cron),
} satisfies ExportedHandler<Env>;
