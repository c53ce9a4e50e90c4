// What is in /data, as the Python worker last listed it.
import { signal } from "@preact/signals";
import type { FileEntry } from "../python/protocol";

export const files = signal<FileEntry[]>([]);
/** Not listed yet (Python still starting), or the listing failed and why. */
export const filesState = signal<
  { phase: "waiting" | "ready" } | { phase: "failed"; reason: string }
>({ phase: "waiting" });
