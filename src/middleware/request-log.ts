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
    // Hono's requestId() only reaches responses Hono builds; handlers that pass a Response
    // through (the gateway, the sync proxy) get the header here.
    if (!c.res.headers.has("x-request-id")) {
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set("x-request-id", c.get("requestId"));
    }
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
