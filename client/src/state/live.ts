// The live connection to the account's agent (one per tab), and the streams this tab follows:
// answers another tab asked for, or that were in flight when this page loaded.
import { signal } from "@preact/signals";

/** Connected: streams of this account are announced to this tab as they happen. */
export const liveConnected = signal(false);

/** The stream this tab shows as it comes (asked for elsewhere), if any: Stop stops it. */
export const followedStream = signal<string | null>(null);
