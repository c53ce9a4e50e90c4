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
