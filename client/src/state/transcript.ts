// The open conversation: its turns, what the agent loop is doing, and the problem to show.
import { computed, signal } from "@preact/signals";
import type { AssistantTurn, Cell, Turn } from "../agent/types";

export const turns = signal<Turn[]>([]);

/** loading: fetching a stored conversation; streaming: an answer is arriving; sending: a turn
 * is on its way but nothing has come back yet; idle: waiting for the person. */
export const loopPhase = signal<"idle" | "loading" | "sending" | "streaming">("idle");

export interface Problem {
  message: string;
  /** What the person can do about it, shown as a button. */
  action?: { label: string; run: () => void };
  /** The action waits until then (epoch ms): the server asked for a pause (Retry-After). */
  notBefore?: number;
  /** Offer the sign-in buttons (an anonymous visitor out of quota). */
  offerSignIn?: boolean;
}
export const problem = signal<Problem | null>(null);

/** Text for the composer to take back (a message the server refused, kept for the person). */
export const composerRestore = signal<string | null>(null);

export const lastAnswer = computed(() =>
  turns.value.findLast((t): t is AssistantTurn => t.kind === "assistant"),
);

/** Cells waiting for Run or Skip: the loop is paused on them. */
export const waitingCells = computed<Cell[]>(() =>
  (lastAnswer.value?.cells ?? []).filter((c) => c.status === "proposed" || c.status === "running"),
);
