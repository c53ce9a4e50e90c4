// The one typed protocol between the page and the Python worker: every request carries an id,
// every request gets exactly one reply with an outcome; runs also send events while they go.

/** Where an account's files live: IDBFS names its IndexedDB database after the mount point,
 * so this path is part of the stored data's format. Never rename it without migrating. */
export const DATA_ROOT = "/gradual/v1";

export interface FileEntry {
  /** Relative to /data. */
  path: string;
  size: number;
  modified: number;
}

export type DisplayItem =
  | {
      kind: "image";
      mime: string;
      data: Uint8Array;
      width: number | null;
      height: number | null;
      name: string | null;
    }
  | { kind: "table"; columns: string[]; rows: string[][]; totalRows: number; name: string | null }
  | { kind: "html"; html: string; text: string };

export interface RunOutcome {
  /** The traceback (or the error line, for a syntax error) when the cell raised. */
  error: string | null;
  /** The cell was stopped by a KeyboardInterrupt (time limit or Stop). */
  interrupted: boolean;
  /** A package the code imports could not be fetched. */
  packageError: string | null;
}

export type Request =
  | { type: "start"; accountId: string; packagesUrl: string; interrupt: Uint8Array | null }
  | { type: "run"; code: string }
  | { type: "files" }
  | { type: "read"; path: string }
  | { type: "delete"; path: string }
  | { type: "write"; path: string; data: Uint8Array }
  | { type: "erase" }
  | { type: "adopt"; fromAccountId: string };

export interface Replies {
  start: { version: string };
  run: RunOutcome;
  files: FileEntry[];
  read: Uint8Array;
  delete: FileEntry[];
  write: FileEntry[];
  erase: FileEntry[];
  adopt: { moved: number };
}

export type RunEvent =
  | { kind: "stdout" | "stderr"; text: string }
  | { kind: "display"; item: DisplayItem }
  /** Packages are loading (the time limit has not started yet). */
  | { kind: "loading"; text: string }
  /** The code itself has started: the time limit counts from here. */
  | { kind: "started" }
  /** The page asked the cell to stop (time limit or Stop); it is unwinding. */
  | { kind: "stopping"; why: "timeout" | "stop" };

export type FromWorker =
  | { id: number; type: "reply"; ok: true; value: Replies[keyof Replies] }
  | { id: number; type: "reply"; ok: false; error: string }
  | { id: number; type: "event"; event: RunEvent };

export type ToWorker = { id: number } & Request;
