// The API's own description: OpenAPI 3.1 generated from the same zod schemas that validate
// requests, and a browsable page over it. Loaded on its first request (routes/lazy.ts), with
// the routes that are themselves loaded later, so that it describes them too.
import { swaggerUI } from "@hono/swagger-ui";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { lazyApp, type Routes } from "./lazy";

/** `api`: the app as built; `later`: the apps of the routes it loads on first use. */
export function docs(api: Routes, later: Routes[]): Routes {
  // Only for its registry: route() merges each app's route and schema definitions into it.
  const described = new OpenAPIHono<AppEnv>();
  for (const routes of [api, ...later]) described.route("/", routes);
  described.openAPIRegistry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: "gradual.session_token",
    description: "Better Auth session cookie (__Secure- prefixed outside local development)",
  });
  described.openAPIRegistry.registerComponent("securitySchemes", "virtualKey", {
    type: "http",
    scheme: "bearer",
    description: "A virtual key from POST /api/keys; used by /v1 (OpenAI-compatible)",
  });
  const app = lazyApp();
  app.get("/api/openapi.json", (c) =>
    c.json(
      described.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "Gradual API",
          version: "1.0.0",
          description:
            "Errors are `{ error: { type, code, message } }`. Sign-in lives under /api/auth/* (Better Auth's own endpoints).",
        },
        servers: [{ url: new URL(c.req.url).origin }],
      }),
    ),
  );
  app.get("/api/docs", swaggerUI({ url: "/api/openapi.json" }));
  return app;
}
