// Headers for the Worker's own responses (the static assets get theirs from
// client/public/_headers): Hono's secureHeaders (nosniff, no framing, same-origin resource
// policy, HSTS outside local development), and no caching when a route said nothing, since most
// answers carry a person's data.
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../app-env";

const HSTS = "max-age=31536000; includeSubDomains";
// Hono's defaults, with the referrer policy the page uses; HSTS over plain http (development)
// is ignored by browsers anyway, but it is not sent there.
const production = secureHeaders({
  strictTransportSecurity: HSTS,
  referrerPolicy: "strict-origin-when-cross-origin",
});
const development = secureHeaders({
  strictTransportSecurity: false,
  referrerPolicy: "strict-origin-when-cross-origin",
});

export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const apply = c.var.config?.dev ? development : production;
    // Routes hand back responses whose headers can change (one passed on from a fetch is
    // copied first: see the /admin route and routes/python-worker.ts).
    await apply(c, async () => {
      await next();
      if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
    });
  };
}
