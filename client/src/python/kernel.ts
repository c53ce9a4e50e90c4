// The page's handle on the Python worker: starts it for an account, runs cells under a time
// limit, and treats a dead or stuck worker as a state to show and recover from, never a hang.
import { signal } from "@preact/signals";
import type { FileEntry, FromWorker, Replies, Request, RunEvent, RunOutcome } from "./protocol";

export type KernelState =
  | { phase: "off" }
  | { phase: "starting" }
  | { phase: "ready" }
  | { phase: "busy" }
  | { phase: "failed"; reason: string };

export interface RunResult extends RunOutcome {
  /** Stopped by the time limit (or Stop) and the interpreter had to be thrown away. */
  restarted: boolean;
  timedOut: boolean;
}

export interface RunHandle {
  done: Promise<RunResult>;
  /** Stops the cell, whether it is running or still waiting its turn. */
  stop(): void;
}

const STOPPED_BEFORE_START: RunResult = {
  error: null,
  interrupted: true,
  packageError: null,
  restarted: false,
  timedOut: false,
};

interface Pending {
  resolve: (value: never) => void;
  reject: (error: Error) => void;
  onEvent?: (event: RunEvent) => void;
}

/** How long an interrupted cell gets to unwind before the worker is replaced. */
const INTERRUPT_GRACE_MS = 5_000;
/** Packages that have not arrived by then are given up on (the worker cannot cancel a fetch). */
const PACKAGES_TIMEOUT_MS = 90_000;
/** A KeyboardInterrupt can land where code catches it; until the cell ends, it is sent again. */
const INTERRUPT_REPEAT_MS = 250;

export class KernelStopped extends Error {}

export class Kernel {
  readonly state = signal<KernelState>({ phase: "off" });
  /** crossOriginIsolated pages can interrupt Python in place (SIGINT into a shared buffer). */
  readonly canInterrupt =
    typeof SharedArrayBuffer !== "undefined" && globalThis.crossOriginIsolated;
  private worker: Worker | null = null;
  private started: Promise<void> | null = null;
  private account: { id: string; packagesUrl: string } | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly interrupt = this.canInterrupt ? new Uint8Array(new SharedArrayBuffer(1)) : null;
  /** The cells' queue: each run starts when the one before it has ended. */
  private runs: Promise<void> = Promise.resolve();
  private queued = 0;

  /** Whose /data the interpreter mounts; it starts on first use (or when prefetched). */
  use(accountId: string, packagesUrl: string) {
    if (this.account?.id === accountId) return;
    this.account = { id: accountId, packagesUrl };
    if (this.worker) this.shutdown(new KernelStopped("Python was restarted for another account"));
  }

  /** Resolves once Python is ready (starting it if needed). */
  ready(): Promise<void> {
    if (!this.account) return Promise.reject(new Error("Not signed in yet"));
    return this.started ?? this.boot();
  }

  restart(): Promise<void> {
    this.shutdown(new KernelStopped("Python was restarted"));
    return this.boot();
  }

  private boot(): Promise<void> {
    const account = this.account;
    if (!account) throw new Error("No account");
    this.state.value = { phase: "starting" };
    // Marks for real-user timing (and the bench): the interpreter's start, and when it is ready.
    performance.mark("gradual:python-start");
    const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    this.worker = worker;
    worker.onmessage = ({ data }: MessageEvent<FromWorker>) => this.receive(data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.fail(event.message || "The Python worker stopped unexpectedly");
    };
    const started = this.call({
      type: "start",
      accountId: account.id,
      packagesUrl: account.packagesUrl,
      interrupt: this.interrupt,
    }).then(
      () => {
        if (this.worker !== worker) return;
        performance.mark("gradual:python-ready");
        this.state.value = { phase: "ready" };
      },
      (error: Error) => {
        if (this.worker === worker) this.fail(error.message);
        throw error;
      },
    );
    this.started = started;
    return started;
  }

  private fail(reason: string) {
    this.shutdown(new KernelStopped(reason));
    this.state.value = { phase: "failed", reason };
  }

  private shutdown(reason: Error) {
    this.worker?.terminate();
    this.worker = null;
    this.started = null;
    for (const pending of this.pending.values()) pending.reject(reason);
    this.pending.clear();
    this.state.value = { phase: "off" };
  }

  private receive(message: FromWorker) {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === "event") {
      pending.onEvent?.(message.event);
      return;
    }
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.value as never);
    else pending.reject(new Error(message.error));
  }

  private call<R extends Request>(
    request: R,
    onEvent?: (event: RunEvent) => void,
    transfer: Transferable[] = [],
  ): Promise<Replies[R["type"]]> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new KernelStopped("Python is not running"));
    const id = this.nextId++;
    return new Promise<Replies[R["type"]]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject, onEvent });
      worker.postMessage({ id, ...request }, transfer);
    });
  }

  /**
   * Queues a cell: cells run one at a time, in the order Run was pressed. The time limit counts
   * from when the code starts (not while it waits its turn or packages load); at the limit, or on
   * the handle's stop(), the cell gets a KeyboardInterrupt, and if it does not stop (or the page
   * cannot interrupt) the interpreter is replaced: /data is kept, variables are not.
   */
  run(code: string, timeLimitMs: number, onEvent: (event: RunEvent) => void): RunHandle {
    let stopRequested = false;
    let stopRunning: (() => void) | null = null;
    if (this.queued > 0) onEvent({ kind: "loading", text: "Waiting for the cell before it…" });
    this.queued += 1;
    const done = this.runs.then(() =>
      stopRequested
        ? STOPPED_BEFORE_START
        : this.execute(code, timeLimitMs, onEvent, (stop) => {
            stopRunning = stop;
          }),
    );
    const settled = done.finally(() => {
      this.queued -= 1;
    });
    this.runs = settled.then(
      () => undefined,
      () => undefined,
    );
    return {
      done: settled,
      stop: () => {
        stopRequested = true;
        stopRunning?.();
      },
    };
  }

  private async execute(
    code: string,
    timeLimitMs: number,
    onEvent: (event: RunEvent) => void,
    onStoppable: (stop: () => void) => void,
  ): Promise<RunResult> {
    await this.ready();
    this.state.value = { phase: "busy" };
    if (this.interrupt) this.interrupt[0] = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let repeat: ReturnType<typeof setInterval> | undefined;
    let stopped: "timeout" | "stop" | null = null;
    let hardStop: (() => void) | null = null;
    const killed = new Promise<"killed">((resolve) => {
      hardStop = () => resolve("killed");
    });
    const stop = (why: "timeout" | "stop") => {
      if (stopped) return;
      stopped = why;
      clearTimeout(timer);
      onEvent({ kind: "stopping", why });
      const signal = this.interrupt;
      if (signal) {
        signal[0] = 2; // SIGINT; Pyodide clears it when it raises KeyboardInterrupt
        repeat = setInterval(() => {
          if (signal[0] === 0) signal[0] = 2;
        }, INTERRUPT_REPEAT_MS);
        timer = setTimeout(() => hardStop?.(), INTERRUPT_GRACE_MS);
      } else {
        hardStop?.();
      }
    };
    onStoppable(() => stop("stop"));
    // A package download that never ends (a network that drops packets) must not hang the cell.
    let packagesLate = false;
    timer = setTimeout(() => {
      packagesLate = true;
      hardStop?.();
    }, PACKAGES_TIMEOUT_MS);
    const outcome = this.call({ type: "run", code }, (event) => {
      if (event.kind === "started") {
        clearTimeout(timer);
        timer = setTimeout(() => stop("timeout"), timeLimitMs);
      }
      onEvent(event);
    });
    try {
      const first = await Promise.race([outcome, killed]);
      if (first === "killed") {
        outcome.catch(() => {});
        await this.restart();
        return {
          error: null,
          interrupted: !packagesLate,
          packageError: packagesLate
            ? `The packages it imports did not arrive within ${PACKAGES_TIMEOUT_MS / 1000} s.`
            : null,
          restarted: true,
          timedOut: stopped === "timeout",
        };
      }
      return { ...first, restarted: false, timedOut: stopped === "timeout" && first.interrupted };
    } finally {
      clearTimeout(timer);
      clearInterval(repeat);
      if (this.interrupt) this.interrupt[0] = 0;
      if (this.state.value.phase === "busy") this.state.value = { phase: "ready" };
    }
  }

  files(): Promise<FileEntry[]> {
    return this.ready().then(() => this.call({ type: "files" }));
  }

  read(path: string): Promise<Uint8Array> {
    return this.ready().then(() => this.call({ type: "read", path }));
  }

  remove(path: string): Promise<FileEntry[]> {
    return this.ready().then(() => this.call({ type: "delete", path }));
  }

  /** Writes a file into /data; the bytes are handed to the worker, not copied. */
  write(path: string, data: Uint8Array): Promise<FileEntry[]> {
    return this.ready().then(() =>
      this.call({ type: "write", path, data }, undefined, [data.buffer]),
    );
  }

  erase(): Promise<FileEntry[]> {
    return this.ready().then(() => this.call({ type: "erase" }));
  }

  adopt(fromAccountId: string): Promise<Replies["adopt"]> {
    return this.ready().then(() => this.call({ type: "adopt", fromAccountId }));
  }
}

export const kernel = new Kernel();
