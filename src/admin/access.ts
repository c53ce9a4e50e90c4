// Who may use /api/admin: signed-in, non-anonymous people whose email is in ADMIN_EMAILS. With
// the list empty, any such person in development and nobody in production.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/principal";
import { AppError } from "../errors";

export interface AdminActor {
  userId: string;
  email: string;
}

const checkAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { userId, isAnonymous } = c.var.principal;
  if (isAnonymous || !userId)
    throw new AppError("FORBIDDEN", "Admin access needs a signed-in account");
  const email = c.var.principal.email?.toLowerCase() ?? "";
  const allowed = c.var.config.adminEmails;
  const permitted = allowed.length ? allowed.includes(email) : c.var.config.dev;
  if (!permitted) throw new AppError("FORBIDDEN", "Admin access is limited to the staff list");
  c.set("admin", { userId, email });
  await next();
};

export const requireAdmin: MiddlewareHandler<AppEnv>[] = [authenticate("session"), checkAdmin];
