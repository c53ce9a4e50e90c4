// Turns a validated chat request into an InferenceJob: model and tier checks, max_tokens capped
// by the tier, the session (owned, or a new one), and the token estimate to reserve.
import { and, eq } from "drizzle-orm";
import type { InferenceJob } from "../account-agent/job";
import type { Principal } from "../auth/principal";
import type { AppConfig } from "../config";
import type { Database } from "../db/client";
import { agentSessions } from "../db/schema";
import { AppError } from "../errors";
import { tierAllows } from "../quota/tiers";
import { estimatePromptTokens } from "./estimate";
import { findModel } from "./models";
import { type ChatRequest, textOf } from "./request-schema";

const TITLE_LENGTH = 80;

function titleOf(request: ChatRequest): string {
  const first = request.messages.find((m) => m.role === "user");
  const line = textOf(first?.content).trim().split("\n")[0] ?? "";
  return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1)}…` : line;
}

/** `db` connects on first call: only continuing a session needs the database here. */
export async function prepareJob(
  db: () => Database,
  config: AppConfig,
  principal: Principal,
  request: ChatRequest,
  requestId: string,
): Promise<InferenceJob> {
  const model = findModel(config, request.model);
  if (!model) {
    throw new AppError("MODEL_NOT_FOUND", `The model '${request.model}' does not exist`, {
      details: { param: "model" },
    });
  }
  if (!tierAllows(principal.tier, model.minTier)) {
    throw new AppError(
      "MODEL_NOT_ALLOWED",
      `The model '${model.id}' needs the ${model.minTier} tier; this account is ${principal.tier}`,
      { details: { param: "model" } },
    );
  }
  for (const param of ["frequency_penalty", "presence_penalty"] as const) {
    if (model.provider === "anthropic" && request[param]) {
      throw new AppError("INVALID_REQUEST", `${param} is not available for ${model.id}`, {
        details: { param },
      });
    }
  }
  const cap = config.tiers[principal.tier].maxTokens;
  const asked = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  if (asked !== undefined && asked > cap) {
    throw new AppError(
      "INVALID_REQUEST",
      `max_tokens is at most ${cap} on the ${principal.tier} tier`,
      {
        details: { param: request.max_completion_tokens ? "max_completion_tokens" : "max_tokens" },
      },
    );
  }
  const maxTokens = asked ?? cap;

  let session: InferenceJob["session"];
  if (request.session_id) {
    const [owned] = await db()
      .select({ id: agentSessions.id })
      .from(agentSessions)
      .where(
        and(
          eq(agentSessions.id, request.session_id),
          eq(agentSessions.accountId, principal.accountId),
        ),
      );
    if (!owned)
      throw new AppError("NOT_FOUND", "No such session", { details: { param: "session_id" } });
    session = { id: owned.id, isNew: false, title: "" };
  } else {
    session = { id: crypto.randomUUID(), isNew: true, title: titleOf(request) };
  }

  const last = request.messages.at(-1);
  const promptEstimate = await estimatePromptTokens(
    request.messages,
    request.tools ?? undefined,
    model.provider,
  );
  return {
    requestId,
    accountId: principal.accountId,
    tier: principal.tier,
    keyHash: principal.keyHash,
    model,
    upstream: {
      model: model.id,
      messages: request.messages,
      tools: request.tools ?? undefined,
      toolChoice: request.tool_choice ?? undefined,
      // Both providers refuse it without tools; without tools it means nothing.
      parallelToolCalls: request.tools?.length
        ? (request.parallel_tool_calls ?? undefined)
        : undefined,
      maxTokens,
      temperature: request.temperature ?? undefined,
      topP: request.top_p ?? undefined,
      stop: typeof request.stop === "string" ? [request.stop] : (request.stop ?? undefined),
      seed: request.seed ?? undefined,
      reasoningEffort: request.reasoning_effort ?? undefined,
      frequencyPenalty: request.frequency_penalty ?? undefined,
      presencePenalty: request.presence_penalty ?? undefined,
    },
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
    promptEstimate,
    reserve: promptEstimate + maxTokens,
    session,
    userMessage: last?.role === "user" ? textOf(last.content) : null,
  };
}
