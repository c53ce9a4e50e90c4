// GET /api/live: a tab's WebSocket to its account's agent, which announces every stream of the
// account and streams the chunks of the session the tab follows (the messages:
// account-agent/live/protocol.ts and docs/gateway.md). Checked here, before the object sees it:
// the Origin (a foreign page must not read the account's streams), the session cookie, and that
// it is an upgrade at all.
import { OpenAPIHono } from "@hono/zod-openapi";
import { connectLive } from "../account-agent/calls";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/principal";
import { refuseCrossSiteUpgrade } from "../auth/same-origin";
import { AppError } from "../errors";
import { crossSiteDoc, errorDoc, unavailableDoc } from "../schemas/common";

export const live = new OpenAPIHono<AppEnv>();

live.openAPIRegistry.registerPath({
  method: "get",
  path: "/live",
  summary: "The tab's live connection to its account's agent (WebSocket)",
  description:
    "Announces each stream of the account (start, end with the stored message's id), sends the chunks of the session the tab follows (from the first, then live), and takes follow, stop and ping. The messages are described in docs/gateway.md.",
  responses: {
    101: { description: "Switching Protocols: the WebSocket, which first sends hello" },
    401: errorDoc("Not signed in"),
    ...crossSiteDoc,
    426: errorDoc("Not a WebSocket upgrade (upgrade_required)"),
    ...unavailableDoc,
  },
});

live.get(
  "/live",
  async (c, next) => {
    refuseCrossSiteUpgrade(c);
    await next();
  },
  authenticate("session"),
  async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
      throw new AppError("UPGRADE_REQUIRED");
    let answer: Response;
    try {
      // The account's own object, from the session: a tab cannot attach to another account's.
      answer = await connectLive(c.env, c.var.principal.accountId);
    } catch {
      throw new AppError("AGENT_UNAVAILABLE");
    }
    if (!answer.webSocket) return answer;
    return new Response(null, {
      status: 101,
      webSocket: answer.webSocket,
      headers: { "x-request-id": c.var.requestId },
    });
  },
);
