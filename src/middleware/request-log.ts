// One JSON line per request for `wrangler tail`: request id, method, route, status, duration,
// plus whatever fields the handlers added. Never bodies, headers or query strings.
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../app-env";

export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    c.set("logFields", {});
    await next();
    console.log(
      JSON.stringify({
        msg: "request",
        request_id: c.get("requestId"),
        method: c.req.method,
        route: routePath(c, -1),
        path: new URL(c.req.url).pathname,
        status: c.res.status,
        duration_ms: Date.now() - started,
        ...c.get("logFields"),
      }),
    );
  };
}
