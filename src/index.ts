// Worker entry: the Hono app for fetch, and the Durable Object class wrangler.toml binds.
import { buildApp } from "./app";
import type { Env } from "./env";

export { AccountAgent } from "./account-agent";

const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
