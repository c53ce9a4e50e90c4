// Turns a failed request-schema check into a 400 in the shared error shape, naming the field.
import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { AppError, errorResponse } from "../errors";

export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
  return errorResponse(
    c,
    new AppError("INVALID_REQUEST", `${where}${issue?.message ?? "invalid request"}`, {
      details: { param: issue?.path.join(".") || null },
    }),
  );
};
