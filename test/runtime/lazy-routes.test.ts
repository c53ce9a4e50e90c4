// Routes loaded on their first request (src/routes/lazy.ts) answer as if mounted with
// app.route(): with the request's own context, the app's error shape and log line, and a load
// that failed is tried again on the next request.
import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/app-env";
import { AppError, handleError } from "../../src/errors";
import { lazyApp, lazyRoutes, type Routes } from "../../src/routes/lazy";

/** A parent as app.ts builds it, reduced to the variables a handler reads. */
function parent(later: ReturnType<typeof lazyRoutes>) {
  const app = new OpenAPIHono<AppEnv>();
  const logged: Record<string, unknown>[] = [];
  app.use(async (c, next) => {
    c.set("requestId", "req-1");
    c.set("logFields", {});
    await next();
    logged.push({ ...c.var.logFields });
  });
  app.all("/api/later/*", later.handler);
  app.onError(handleError);
  return { app, logged };
}

function laterRoutes(): Routes {
  const app = lazyApp();
  app.get("/api/later/:id", (c) => {
    c.var.logFields.seen = c.req.param("id");
    return c.json({ requestId: c.var.requestId });
  });
  app.get("/api/later/fail/now", () => {
    throw new AppError("CONFLICT", "no");
  });
  return app;
}

describe("a route loaded on its first request", () => {
  it("sees the parent's variables, writes to its log fields and names its own route", async () => {
    const { app, logged } = parent(lazyRoutes(async () => laterRoutes()));
    const res = await app.request("/api/later/abc");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ requestId: "req-1" });
    expect(logged).toEqual([{ seen: "abc", route: "/api/later/:id" }]);
  });

  it("answers errors and unknown paths in the app's shape", async () => {
    const { app } = parent(lazyRoutes(async () => laterRoutes()));
    const failed = await app.request("/api/later/fail/now");
    expect(failed.status).toBe(409);
    expect(await failed.json()).toMatchObject({ error: { code: "conflict", message: "no" } });
    const unknown = await app.request("/api/later", { method: "DELETE" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("is loaded once, and again after a load that failed", async () => {
    let loads = 0;
    const { app } = parent(
      lazyRoutes(async () => {
        loads += 1;
        if (loads === 1) throw new Error("the module did not load");
        return laterRoutes();
      }),
    );
    expect((await app.request("/api/later/a")).status).toBe(500);
    expect((await app.request("/api/later/b")).status).toBe(200);
    expect((await app.request("/api/later/c")).status).toBe(200);
    expect(loads).toBe(2);
  });
});
