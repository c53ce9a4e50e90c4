// The API's own description: OpenAPI 3.1 generated from the same zod schemas that validate
// requests, and a browsable page over it.

import { swaggerUI } from "@hono/swagger-ui";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";

export function documentApi(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: "gradual.session_token",
    description: "Better Auth session cookie (__Secure- prefixed outside local development)",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "virtualKey", {
    type: "http",
    scheme: "bearer",
    description: "A virtual key from POST /api/keys; used by /v1 (OpenAI-compatible)",
  });
  app.doc31("/api/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "Gradual API",
      version: "1.0.0",
      description:
        "Errors are `{ error: { type, code, message } }`. Sign-in lives under /api/auth/* (Better Auth's own endpoints).",
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  app.get("/api/docs", swaggerUI({ url: "/api/openapi.json" }));
}
