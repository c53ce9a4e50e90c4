// The libraries evaluated when the app's Worker starts, because nearly every request needs
// them: Better Auth (the session), its Drizzle adapter and the app's two plugins, Hono with
// zod-openapi (routing and validation), drizzle and postgres.js (the database). Each is referenced,
// so the bundler keeps and evaluates it, as in the app; nothing is built or called.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { betterAuth } from "better-auth/minimal";
import { anonymous } from "better-auth/plugins/anonymous";
import { genericOAuth } from "better-auth/plugins/generic-oauth";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";

const libraries = [betterAuth, drizzleAdapter, anonymous, genericOAuth, drizzle, postgres, z];
const app = new OpenAPIHono();
app.get("/", (c) => c.text(`${libraries.length} libraries`));

export default app;
