// /api/keys: the account's virtual keys for programmatic clients. The plain key appears once,
// in the creation response; afterwards only its prefix.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, count, desc, eq, isNull, sql } from "drizzle-orm";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/principal";
import { createKey } from "../auth/virtual-keys";
import { virtualKeys } from "../db/schema";
import { AppError } from "../errors";
import { iso, isUuid } from "../lib/format";
import { crossSiteDoc, errorDoc, json, unavailableDoc } from "../schemas/common";
import { lazyApp } from "./lazy";

const MAX_ACTIVE_KEYS = 25;

export const KeySchema = z
  .object({
    id: z.string().uuid(),
    label: z.string(),
    prefix: z.string(),
    created_at: z.string().datetime(),
    last_used_at: z.string().datetime().nullable(),
    revoked_at: z.string().datetime().nullable(),
  })
  .openapi("VirtualKey");

const errors = { 401: errorDoc("Not signed in"), ...unavailableDoc } as const;
const session = authenticate("session");

const listRoute = createRoute({
  method: "get",
  path: "/keys",
  summary: "List the account's virtual keys",
  middleware: session,
  responses: {
    200: json(z.object({ data: z.array(KeySchema) }), "Keys, newest first"),
    ...errors,
  },
});

const createKeyRoute = createRoute({
  method: "post",
  path: "/keys",
  summary: "Create a virtual key (the key itself is returned only here)",
  middleware: session,
  request: {
    body: {
      required: false,
      content: {
        "application/json": {
          schema: z.object({ label: z.string().trim().max(100).default("") }).strict(),
        },
      },
    },
  },
  responses: {
    201: json(KeySchema.extend({ key: z.string() }).openapi("NewKey"), "The new key"),
    400: errorDoc("Invalid body"),
    409: errorDoc("Too many active keys"),
    ...crossSiteDoc,
    ...errors,
  },
});

const revokeRoute = createRoute({
  method: "delete",
  path: "/keys/{id}",
  summary: "Revoke a virtual key (idempotent)",
  middleware: session,
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: json(KeySchema, "The revoked key"),
    404: errorDoc("No such key"),
    ...crossSiteDoc,
    ...errors,
  },
});

type KeyRow = typeof virtualKeys.$inferSelect;
export const keyJson = (
  k: Pick<KeyRow, "id" | "label" | "prefix" | "createdAt"> & Partial<KeyRow>,
) => ({
  id: k.id,
  label: k.label,
  prefix: k.prefix,
  created_at: k.createdAt.toISOString(),
  last_used_at: iso(k.lastUsedAt ?? null),
  revoked_at: iso(k.revokedAt ?? null),
});

export const keys = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    const rows = await c.var
      .db()
      .select()
      .from(virtualKeys)
      .where(eq(virtualKeys.accountId, c.var.principal.accountId))
      .orderBy(desc(virtualKeys.createdAt));
    return c.json({ data: rows.map(keyJson) }, 200);
  })
  .openapi(createKeyRoute, async (c) => {
    const { accountId } = c.var.principal;
    const label = c.req.valid("json")?.label ?? "";
    const created = await c.var.db().transaction(async (tx) => {
      // Serialise key creation per account so the cap holds under parallel requests.
      await tx.execute(sql`select 1 from accounts where id = ${accountId} for update`);
      const [active] = await tx
        .select({ n: count() })
        .from(virtualKeys)
        .where(and(eq(virtualKeys.accountId, accountId), isNull(virtualKeys.revokedAt)));
      if ((active?.n ?? 0) >= MAX_ACTIVE_KEYS) {
        throw new AppError("CONFLICT", `At most ${MAX_ACTIVE_KEYS} active keys; revoke one first`);
      }
      return createKey(tx, accountId, label);
    });
    return c.json({ ...keyJson(created), key: created.key }, 201);
  })
  .openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid("param");
    if (!isUuid(id)) throw new AppError("NOT_FOUND", "No such key");
    const [row] = await c.var
      .db()
      .update(virtualKeys)
      .set({ revokedAt: sql`coalesce(${virtualKeys.revokedAt}, now())` })
      .where(and(eq(virtualKeys.id, id), eq(virtualKeys.accountId, c.var.principal.accountId)))
      .returning();
    if (!row) throw new AppError("NOT_FOUND", "No such key");
    return c.json(keyJson(row), 200);
  });

/** Loaded on its first request (routes/lazy.ts): the page never asks, programmatic set-ups do. */
export const keysLoaded = lazyApp().route("/api", keys);
