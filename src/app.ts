// Builds the Hono app: request id and log line, body cap, per-request Postgres, the routes,
// and JSON errors for everything (unknown routes, bad bodies, failures).
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./app-env";
import { AppError, errorResponse, handleError } from "./errors";
import { configure } from "./middleware/config";
import { database } from "./middleware/database";
import { requestLog } from "./middleware/request-log";
import { securityHeaders } from "./middleware/security-headers";
import { validationHook } from "./middleware/validation";
import { authRoutes } from "./routes/auth";
import { datasets } from "./routes/datasets";
import { health } from "./routes/health";
import { apiInference, v1 } from "./routes/inference";
import { lazyRoutes } from "./routes/lazy";
import { live } from "./routes/live";
import { me } from "./routes/me";
import { publicConfig } from "./routes/public-config";
import { pythonWorker } from "./routes/python-worker";
import { sessions } from "./routes/sessions";
import { sync } from "./routes/sync";
import { toolCalls } from "./routes/tool-calls";

/** Largest request body accepted anywhere (inference requests carry whole conversations). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Routes loaded on their first request (routes/lazy.ts): most isolates never serve them. */
export const LOADED_LATER = {
  admin: lazyRoutes(async () => (await import("./routes/admin")).admin),
  keys: lazyRoutes(async () => (await import("./routes/keys")).keysLoaded),
};

export function buildApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(requestId({ headerName: "X-Request-Id", limitLength: 64 }));
  app.use(requestLog());
  app.use(bodyLimit({ maxSize: MAX_BODY_BYTES }));
  app.use(configure());
  app.use(securityHeaders());
  app.use(database());

  app.route("/api", health);
  app.route("/api", authRoutes);
  app.route("/api", me);
  app.all("/api/keys/*", LOADED_LATER.keys.handler);
  app.route("/api", apiInference);
  app.route("/api", toolCalls);
  app.route("/api", live);
  app.route("/api", sessions);
  app.route("/api", sync);
  app.route("/api", publicConfig);
  app.route("/api", datasets);
  app.all("/api/admin/*", LOADED_LATER.admin.handler);
  // The description covers the routes loaded later too, so it loads them with itself.
  const description = lazyRoutes(async () =>
    (await import("./routes/docs")).docs(
      app,
      await Promise.all(Object.values(LOADED_LATER).map((later) => later.routes())),
    ),
  );
  app.get("/api/openapi.json", description.handler);
  app.get("/api/docs", description.handler);
  // The admin UI is part of the client build; the Worker answers /admin* first (wrangler.toml).
  // A copy of the page, so headers can be added to it.
  app.get("/admin/*", async (c) => {
    const page = await c.env.ASSETS.fetch(new URL("/", c.req.url));
    return new Response(page.body, page);
  });
  app.route("/", pythonWorker);
  app.route("/v1", v1);

  app.notFound((c) =>
    errorResponse(c, new AppError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError(handleError);
  return app;
}
