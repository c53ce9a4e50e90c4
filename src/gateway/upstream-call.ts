// An upstream request under way: started apart from the code that will read it, so the
// AccountAgent can send it while its reservation is still in flight and cancel it if the
// reservation is refused.
import type { AppConfig } from "../config";
import { withTimeout } from "../lib/timeout";
import type { UpstreamEvent } from "./events";
import type { ModelEntry } from "./models";
import { providerFor } from "./providers";
import type { UpstreamRequest } from "./providers/types";

export interface UpstreamCall {
  /** The provider's events once it has answered (bounded by the upstream timeout). */
  opened: Promise<AsyncIterable<UpstreamEvent>>;
  /** Cancels the request, or the stream it became. */
  abort: AbortController;
}

export function callUpstream(
  config: AppConfig,
  model: ModelEntry,
  request: UpstreamRequest,
): UpstreamCall {
  const abort = new AbortController();
  const opening = (async () => providerFor(config, model).open(request, abort.signal))();
  const opened = withTimeout(opening, config.upstreamTimeoutMs);
  // A call dropped because its reservation was refused is never awaited.
  opened.catch(() => {});
  return { opened, abort };
}
