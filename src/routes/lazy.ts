// Routes whose code is evaluated on their first request in an isolate, not when it starts: what
// most isolates never serve (the admin API, the API's description, virtual keys), so that a
// cold start pays only for what every request needs. The loaded module's app answers with the
// request's own context — request id, log fields, configuration, database — handed over here,
// so its middleware and handlers work as they would mounted with app.route().
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Handler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../app-env";
import { AppError, errorResponse, handleError } from "../errors";
import { validationHook } from "../middleware/validation";

export type Routes = OpenAPIHono<AppEnv>;
type Variables = AppEnv["Variables"];

/** The context of a request handed to a lazily loaded app, for that app to take over. */
const handedOver = new WeakMap<Request, Context<AppEnv>>();

/**
 * The app a lazily loaded module puts its routes on, under their full paths. It takes over the
 * parent's context variables, answers errors and unknown paths as the parent does, and has the
 * request's log line (written by the parent, which saw only the lazy mount's `/…/*`) name the
 * route that answered.
 */
export function lazyApp(): Routes {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(async (c, next) => {
    const parent = handedOver.get(c.req.raw);
    if (parent) {
      const take = <K extends keyof Variables>(name: K) => c.set(name, parent.get(name));
      for (const name of Object.keys(parent.var)) take(name as keyof Variables);
    }
    await next();
    if (c.var.logFields) c.var.logFields.route = routePath(c, -1);
  });
  app.notFound((c) =>
    errorResponse(c, new AppError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError(handleError);
  return app;
}

export interface LazyRoutes {
  /** The module's app, loaded once per isolate (a failed load is tried again next time). */
  routes(): Promise<Routes>;
  /** Mount it in the parent: `app.all("/api/admin/*", admin.handler)`. */
  handler: Handler<AppEnv>;
}

export function lazyRoutes(load: () => Promise<Routes>): LazyRoutes {
  let loading: Promise<Routes> | undefined;
  const routes = () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
  return {
    routes,
    handler: async (c) => {
      const app = await routes();
      handedOver.set(c.req.raw, c);
      return app.fetch(c.req.raw, c.env, executionContext(c));
    },
  };
}

function executionContext(c: Context<AppEnv>) {
  try {
    return c.executionCtx;
  } catch {
    // None under app.request() in unit tests.
    return undefined;
  }
}
