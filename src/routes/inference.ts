// The gateway's front door: POST /api/inference (session cookie) and POST /v1/chat/completions
// (virtual key) run the same engine; GET /v1/models lists what the caller's tier may use. The
// Worker validates and estimates; the account's AccountAgent reserves, streams and settles.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type InferenceJob, STALE_CALLER_HEADER } from "../account-agent/job";
import type { AppEnv } from "../app-env";
import {
  actAs,
  authenticate,
  freshPrincipal,
  type Principal,
  unauthenticated,
} from "../auth/principal";
import { loggableError } from "../db/errors";
import { AppError } from "../errors";
import { prepareJob } from "../gateway/prepare";
import { type ChatRequest, ChatRequestSchema } from "../gateway/request-schema";
import { tierAllows } from "../quota/tiers";
import { crossSiteDoc, ErrorSchema, unavailableDoc } from "../schemas/common";

const errorResponses = {
  400: { description: "Invalid request", content: { "application/json": { schema: ErrorSchema } } },
  401: {
    description: "Not authenticated",
    content: { "application/json": { schema: ErrorSchema } },
  },
  404: { description: "No such session", content: { "application/json": { schema: ErrorSchema } } },
  413: { description: "Body too large", content: { "application/json": { schema: ErrorSchema } } },
  429: {
    description: "Quota exhausted, rate or concurrency limit (see Retry-After)",
    content: { "application/json": { schema: ErrorSchema } },
  },
  502: {
    description: "The provider failed",
    content: { "application/json": { schema: ErrorSchema } },
  },
  503: {
    ...unavailableDoc[503],
    description:
      "The request could not be recorded (storage_unavailable), or the database did not answer (database_unavailable; retry after Retry-After); nothing was charged",
  },
  504: {
    description: "The provider timed out",
    content: { "application/json": { schema: ErrorSchema } },
  },
} as const;

const completionResponse = {
  200: {
    description:
      "stream:true → text/event-stream of chat.completion.chunk ending with [DONE]; otherwise one chat.completion. X-Session-Id names the session; X-Stream-Id (streams only) names the stream as GET /api/live's messages do.",
    content: {
      "text/event-stream": { schema: z.string() },
      "application/json": { schema: z.object({}).passthrough().openapi("ChatCompletion") },
    },
  },
  ...errorResponses,
} as const;

function completionRoute(path: string, via: "session" | "key", summary: string) {
  // Only the cookie route checks the Origin: a bearer key is no ambient credential.
  const responses =
    via === "session" ? { ...completionResponse, ...crossSiteDoc } : completionResponse;
  return createRoute({
    method: "post",
    path,
    summary,
    middleware: authenticate(via, { reserving: true }),
    request: {
      body: { required: true, content: { "application/json": { schema: ChatRequestSchema } } },
    },
    responses,
  });
}

/** Attempts for one request when the caller is found changed (cached key, then fresh looks). */
const MAX_ATTEMPTS = 3;

interface Dispatched {
  job: InferenceJob;
  answer: Response;
}

/** Validates and estimates for `principal`, then hands the job to the account's agent. */
async function dispatch(c: Context<AppEnv>, principal: Principal, body: ChatRequest) {
  const job = await prepareJob(c.var.db, c.var.config, principal, body, c.var.requestId);
  const namespace = c.env.ACCOUNT_AGENT;
  // The server picks the Durable Object from the authenticated account, never from input.
  const agent = namespace.get(namespace.idFromName(principal.accountId));
  try {
    const answer = await agent.fetch("https://account-agent/inference", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(job),
    });
    return { job, answer };
  } catch (error) {
    if (error instanceof AppError) throw error;
    // No answer came back at all: the object was reset (a deploy, its machine restarting, an
    // abort), overloaded, or broke. The agent settles what it had started (its alarm, or the
    // sweep), so a retry is safe: a 503, with the runtime's reason in the log.
    console.error(
      JSON.stringify({
        level: "error",
        msg: "agent unavailable",
        request_id: c.var.requestId,
        error: loggableError(error),
        ...agentFlags(error),
      }),
    );
    throw new AppError("AGENT_UNAVAILABLE");
  }
}

/** What the runtime says of a failed Durable Object call: reset, retryable, overloaded. */
function agentFlags(error: unknown) {
  const { durableObjectReset, retryable, overloaded } = (error ?? {}) as Record<string, unknown>;
  return { durable_object_reset: durableObjectReset, retryable, overloaded };
}

async function outcomeOf(work: Promise<Dispatched>): Promise<Dispatched | AppError> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

/**
 * A key resolved from the isolate's cache is trusted only on the way to success: when the
 * agent finds the caller changed, or the request is refused before anything was reserved
 * (validation, limits, quota), the caller is looked up again and the request retried if it
 * has in fact changed.
 */
async function run(c: Context<AppEnv>, body: ChatRequest) {
  let principal = c.var.principal;
  for (let attempt = 1; ; attempt++) {
    const outcome = await outcomeOf(dispatch(c, principal, body));
    const stale = !(outcome instanceof AppError) && outcome.answer.headers.has(STALE_CALLER_HEADER);
    const refused = outcome instanceof AppError || outcome.answer.status === 429;
    if (stale || (refused && principal.cached)) {
      const fresh = (await freshPrincipal(c, principal)) ?? unauthenticated(principal.via);
      const changed = fresh.accountId !== principal.accountId || fresh.tier !== principal.tier;
      if (stale || changed) {
        if (attempt === MAX_ATTEMPTS)
          throw new AppError("CONFLICT", "The account changed during the request; try again");
        if (!(outcome instanceof AppError)) await outcome.answer.body?.cancel();
        principal = fresh;
        await actAs(c, fresh);
        continue;
      }
    }
    if (outcome instanceof AppError) throw outcome;
    return respond(c, outcome);
  }
}

function respond(c: Context<AppEnv>, { job, answer }: Dispatched) {
  Object.assign(c.var.logFields, {
    model: job.model.id,
    provider: job.model.provider,
    tokens_estimated: job.reserve,
    stream: job.stream,
  });
  const headers = new Headers(answer.headers);
  // Only a turn that was answered is recorded; an error names no session.
  if (answer.status === 200) headers.set("x-session-id", job.session.id);
  return new Response(answer.body, { status: answer.status, headers });
}

const modelsRoute = createRoute({
  method: "get",
  path: "/models",
  summary: "Models this key's tier may use (OpenAI list shape)",
  middleware: authenticate("key"),
  responses: {
    200: {
      description: "The models",
      content: {
        "application/json": {
          schema: z
            .object({
              object: z.literal("list"),
              data: z.array(
                z.object({
                  id: z.string(),
                  object: z.literal("model"),
                  created: z.number(),
                  owned_by: z.string(),
                }),
              ),
            })
            .openapi("ModelList"),
        },
      },
    },
    401: errorResponses[401],
    ...unavailableDoc,
  },
});

export const apiInference = new OpenAPIHono<AppEnv>().openapi(
  completionRoute("/inference", "session", "Chat completion for the signed-in browser"),
  (c) => run(c, c.req.valid("json")),
);

export const v1 = new OpenAPIHono<AppEnv>()
  .openapi(
    completionRoute("/chat/completions", "key", "OpenAI-compatible chat completion (virtual key)"),
    (c) => run(c, c.req.valid("json")),
  )
  .openapi(modelsRoute, (c) => {
    const tier = c.var.principal.tier;
    const data = c.var.config.models
      .filter((m) => tierAllows(tier, m.minTier))
      .map((m) => ({ id: m.id, object: "model" as const, created: 0, owned_by: m.provider }));
    return c.json({ object: "list" as const, data }, 200);
  });
