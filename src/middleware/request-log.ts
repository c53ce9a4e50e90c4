// One JSON line per request for `wrangler tail`: request id, method, route, status, duration,
// plus whatever fields the handlers added. Never bodies, headers or query strings.
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../app-env";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

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
        // Ids in a path (an account's, on admin routes) stay out of the log.
        path: new URL(c.req.url).pathname.replace(UUID, ":id"),
        status: c.res.status,
        duration_ms: Date.now() - started,
        ...c.get("logFields"),
      }),
    );
  };
}
