// What the Worker hands the AccountAgent for one inference: the validated request, who asked,
// and what to reserve. The Worker has already authenticated, validated and estimated.
import type { Tier } from "../db/schema";
import type { ModelEntry } from "../gateway/models";
import type { UpstreamRequest } from "../gateway/providers/types";

export interface InferenceJob {
  requestId: string;
  accountId: string;
  /** The tier the Worker validated against; the reservation refuses if it has changed. */
  tier: Tier;
  /** The virtual key's hash, checked (live, this account's) by the reservation; null for sessions. */
  keyHash: string | null;
  model: ModelEntry;
  upstream: UpstreamRequest;
  stream: boolean;
  includeUsage: boolean;
  promptEstimate: number;
  /** promptEstimate + the tier-capped max_tokens. */
  reserve: number;
  session: { id: string; isNew: boolean; title: string };
  /** The trailing user message, recorded with the reply; null on tool-result turns. */
  userMessage: string | null;
}

/**
 * Marks the agent's answer when the reservation found the caller changed since the Worker
 * looked (tier, or a revoked or moved key). Nothing was reserved; the Worker looks again.
 */
export const STALE_CALLER_HEADER = "x-gradual-stale-caller";
