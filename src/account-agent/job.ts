// What the Worker hands the AccountAgent for one inference: the validated request, who asked,
// and what to reserve. The Worker has already authenticated, validated and estimated.
import type { Tier } from "../db/schema";
import type { ModelEntry } from "../gateway/models";
import type { UpstreamRequest } from "../gateway/providers/types";

export interface InferenceJob {
  requestId: string;
  accountId: string;
  tier: Tier;
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
