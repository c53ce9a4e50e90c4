// GET /api/config (public): what this deployment offers, so the client can decide how to sync,
// which sign-in buttons to show, whether to label the model a scripted demo, and where Python
// packages load from.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { TIERS } from "../db/schema";
import { packagesUrl } from "../lib/pyodide";
import { json } from "../schemas/common";

const ConfigSchema = z
  .object({
    sync: z.enum(["electric", "unavailable"]),
    sign_in: z.object({
      anonymous: z.literal(true),
      google: z.boolean(),
      github: z.boolean(),
      oidc: z.object({ name: z.string() }).nullable(),
    }),
    providers: z.array(z.string()),
    models: z.array(z.object({ id: z.string(), provider: z.string(), min_tier: z.enum(TIERS) })),
    demo_model: z.boolean(),
    python: z.object({
      packages_url: z.string().openapi({
        description:
          "Base URL (ending in /) Pyodide loads packages from: PYODIDE_PACKAGES_URL, else the official CDN for the pinned Pyodide version",
      }),
    }),
  })
  .openapi("PublicConfig");

const route = createRoute({
  method: "get",
  path: "/config",
  summary: "Public configuration: sync mode, sign-in options, models, demo flag, Python packages",
  responses: {
    200: json(ConfigSchema, "The configuration"),
  },
});

export const publicConfig = new OpenAPIHono<AppEnv>().openapi(route, (c) => {
  const config = c.var.config;
  const providers = Object.entries(config.providers)
    .filter(([, endpoint]) => endpoint !== undefined)
    .map(([name]) => name);
  return c.json(
    {
      sync: config.electric ? ("electric" as const) : ("unavailable" as const),
      sign_in: {
        anonymous: true as const,
        google: config.google !== undefined,
        github: config.github !== undefined,
        oidc: config.oidc ? { name: config.oidc.name } : null,
      },
      providers,
      models: config.models.map((m) => ({ id: m.id, provider: m.provider, min_tier: m.minTier })),
      // Only the scripted model answers when no real provider is configured.
      demo_model: providers.length > 0 && providers.every((p) => p === "scripted"),
      python: { packages_url: packagesUrl(config) },
    },
    200,
  );
});
