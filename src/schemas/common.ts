// Schemas shared by many routes; they validate requests and describe responses in OpenAPI.
import { z } from "@hono/zod-openapi";

export const ErrorSchema = z
  .object({
    error: z.object({
      type: z.string(),
      code: z.string(),
      message: z.string(),
    }),
  })
  .openapi("Error");

export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

// Every AppError is answered with ErrorSchema, so a documented failure needs only its reason.
export const errorDoc = (description: string) => json(ErrorSchema, description);

/** Any route that reads the database answers this while it cannot be reached. */
export const unavailableDoc = {
  503: {
    ...errorDoc("The database did not answer (database_unavailable); retry after Retry-After"),
    headers: {
      "Retry-After": {
        description: "Seconds to wait before retrying",
        schema: { type: "integer" },
      },
    },
  },
} as const;

/** Writes that take the session cookie refuse other origins' pages (see auth/same-origin.ts). */
export const crossSiteDoc = {
  403: errorDoc("Cross-site request refused (cross_site): the Origin is not this app's"),
} as const;

// Lists page by a timestamp cursor (the last row's, as `before`) rather than an offset, so rows
// added while a client pages do not shift what it has not seen yet.
export const paging = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().datetime().optional(),
};
