// An upstream request under way: started apart from the code that will read it, so the
// AccountAgent can send it while its reservation is still in flight and cancel it if the
// reservation is refused.
import type { AppConfig } from "../config";
import { withTimeout } from "../lib/timeout";
import type { UpstreamEvent } from "./events";
import type { ModelEntry } from "./models";
import { providerFor } from "./providers";
import type { UpstreamRequest } from "./providers/types";
import { StallWatch } from "./stall-watch";

export interface UpstreamCall {
  /** The provider's events once it has answered (bounded by the upstream timeout). */
  opened: Promise<AsyncIterable<UpstreamEvent>>;
  /** Cancels the request, or the stream it became. */
  abort: AbortController;
  /**
   * Notices the stream going quiet (started by its reader). Any bytes from the provider count,
   * keep-alives too: a model may work on something it does not stream piece by piece.
   */
  stall: StallWatch;
}

export function callUpstream(
  config: AppConfig,
  model: ModelEntry,
  request: UpstreamRequest,
): UpstreamCall {
  const abort = new AbortController();
  // Aborting the upstream fetch ends the pending read, which the reader reports as a timeout.
  const stall = new StallWatch(config.upstreamTimeoutMs, () => abort.abort());
  const heard = () => stall.beat();
  const opening = (async () =>
    (await providerFor(config, model)).open(request, abort.signal, heard))();
  const opened = withTimeout(opening, config.upstreamTimeoutMs);
  // A call dropped because its reservation was refused is never awaited.
  opened.catch(() => {});
  return { opened, abort, stall };
}
