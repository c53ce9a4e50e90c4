// The sidebar's conversations and which one is open.
import { signal } from "@preact/signals";
import type { SessionSummary } from "../api/types";

export const sessions = signal<SessionSummary[]>([]);
export const sessionsLoaded = signal(false);
export const currentSessionId = signal<string | null>(null);
