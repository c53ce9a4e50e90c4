// The Python worker: Pyodide from the app's own static assets, one interpreter for the page's
// life, the account's files mounted at /data (IDBFS, restored on start and persisted after every
// change). Requests are handled one at a time, in order.
/// <reference lib="webworker" />
import type { PyodideInterface } from "pyodide";
import MPL_BACKEND from "./gradual_mpl.py?raw";
import {
  DATA_ROOT,
  type DisplayItem,
  type FileEntry,
  type FromWorker,
  type Replies,
  type Request,
  type RunEvent,
  type RunOutcome,
  type ToWorker,
} from "./protocol";
import RUNTIME from "./runtime.py?raw";

declare const self: DedicatedWorkerGlobalScope;

const BASE = `/pyodide/${__PYODIDE_VERSION__}/`;
const DATA = "/data";
const LIB = "/lib/gradual";

type FS = PyodideInterface["FS"];
type PyCallable = { (...args: unknown[]): unknown; destroy(): void };

let py: PyodideInterface | null = null;
let runCell: PyCallable | null = null;
/** The account's IDBFS mount point, which names its IndexedDB database (and its lock). */
let home = "";
/** The request whose output is being produced, so stdout lands in the right cell. */
let running: number | null = null;

const post = (message: FromWorker, transfer: Transferable[] = []) =>
  self.postMessage(message, transfer);
const emit = (event: RunEvent, transfer: Transferable[] = []) => {
  if (running !== null) post({ id: running, type: "event", event }, transfer);
};

/** Output is sent in batches: a loop printing a million lines must not flood the page. */
function outputStream(kind: "stdout" | "stderr") {
  const decoder = new TextDecoder();
  let pending = "";
  let flushed = 0;
  const flush = () => {
    pending += decoder.decode();
    if (pending) emit({ kind, text: pending });
    pending = "";
    flushed = performance.now();
  };
  // Timers cannot run while Python is busy, so the batch is sent from the write that finds the
  // last one 50 ms old: a line printed before a long computation shows at once.
  const write = (buffer: Uint8Array) => {
    pending += decoder.decode(buffer, { stream: true });
    if (pending.length > 8192 || performance.now() - flushed > 50) flush();
    return buffer.length;
  };
  return { write, flush };
}
const stdout = outputStream("stdout");
const stderr = outputStream("stderr");

const syncfs = (fs: FS, populate: boolean) =>
  new Promise<void>((resolve, reject) =>
    fs.syncfs(populate, (error: unknown) => (error ? reject(error) : resolve())),
  );

function walk(fs: FS, dir: string, prefix = ""): FileEntry[] {
  const entries: FileEntry[] = [];
  for (const name of fs.readdir(dir) as string[]) {
    if (name === "." || name === "..") continue;
    const full = `${dir}/${name}`;
    const stat = fs.stat(full);
    if (fs.isDir(stat.mode)) entries.push(...walk(fs, full, `${prefix}${name}/`));
    else
      entries.push({ path: `${prefix}${name}`, size: stat.size, modified: stat.mtime.getTime() });
  }
  return entries;
}

function files(): FileEntry[] {
  const fs = ready().FS;
  return walk(fs, fs.readlink(DATA)).sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Every tab of an account keeps its own copy of /data and writes it back whole (IDBFS mirrors),
 * so one tab must never write back over files another tab added meanwhile: whatever reads or
 * changes /data holds the account's lock, starts from what is stored, and stores what changed.
 * `waiting` is told when another tab holds it (a long cell there).
 */
async function withData<T>(work: () => Promise<T> | T, waiting?: () => void): Promise<T> {
  const fs = ready().FS;
  const name = `gradual:data:${home}`;
  const locked = async () => {
    await syncfs(fs, true);
    const before = snapshot();
    try {
      return await work();
    } finally {
      if (snapshot() !== before) await syncfs(fs, false);
    }
  };
  const now = await navigator.locks.request(name, { ifAvailable: true }, async (lock) =>
    lock ? { value: await locked() } : null,
  );
  if (now) return now.value;
  waiting?.();
  return navigator.locks.request(name, locked);
}

function ready(): PyodideInterface {
  if (!py) throw new Error("Python has not started");
  return py;
}

/** A path inside /data, refusing anything that would step out of it. */
function dataPath(path: string): string {
  const parts = path.split("/").filter((p) => p && p !== ".");
  if (!parts.length || parts.includes("..")) throw new Error(`Not a file in /data: ${path}`);
  return `${ready().FS.readlink(DATA)}/${parts.join("/")}`;
}

async function start(
  accountId: string,
  packagesUrl: string,
  interrupt: Uint8Array | null,
): Promise<Replies["start"]> {
  if (py) throw new Error("Python is already running; restart the worker instead");
  const { loadPyodide } = (await import(/* @vite-ignore */ `${BASE}pyodide.mjs`)) as {
    loadPyodide: (options: object) => Promise<PyodideInterface>;
  };
  const instance = await loadPyodide({
    indexURL: BASE,
    packageBaseUrl: packagesUrl,
    env: { MPLBACKEND: "module://gradual_mpl" },
  });
  instance.setStdout({ write: stdout.write });
  instance.setStderr({ write: stderr.write });
  if (interrupt) instance.setInterruptBuffer(interrupt);
  const fs = instance.FS;
  home = `${DATA_ROOT}/${accountId}`;
  fs.mkdirTree(home);
  fs.mount(fs.filesystems.IDBFS, {}, home);
  await syncfs(fs, true);
  fs.symlink(home, DATA);
  fs.mkdirTree(LIB);
  fs.writeFile(`${LIB}/gradual_runtime.py`, RUNTIME);
  fs.writeFile(`${LIB}/gradual_mpl.py`, MPL_BACKEND);
  instance.registerJsModule("_gradual_bridge", {
    emit_image(mime: string, data: Uint8Array, width?: number, height?: number, name?: string) {
      display({
        kind: "image",
        mime,
        data,
        width: width ?? null,
        height: height ?? null,
        name: name ?? null,
      });
    },
    emit_table(json: string) {
      const table = JSON.parse(json) as Omit<Extract<DisplayItem, { kind: "table" }>, "kind">;
      display({ kind: "table", ...table });
    },
    emit_html(html: string, text: string) {
      display({ kind: "html", html, text });
    },
  });
  instance.runPython(`
import os, sys
sys.path.insert(0, ${JSON.stringify(LIB)})
os.chdir(${JSON.stringify(DATA)})
import gradual_runtime
`);
  runCell = instance.pyimport("gradual_runtime").run as PyCallable;
  py = instance;
  return { version: instance.version };
}

function display(item: DisplayItem) {
  // Output so far comes first, so text and pictures stay in the order the cell made them.
  stdout.flush();
  stderr.flush();
  emit({ kind: "display", item }, item.kind === "image" ? [item.data.buffer] : []);
}

async function run(code: string): Promise<RunOutcome> {
  const instance = ready();
  const failures: string[] = [];
  await instance.loadPackagesFromImports(code, {
    messageCallback: (text: string) => emit({ kind: "loading", text }),
    errorCallback: (text: string) => failures.push(text),
  });
  if (failures.length) {
    return { error: null, interrupted: false, packageError: failures.join("\n") };
  }
  return withData(
    async () => {
      emit({ kind: "started" });
      const result = (await (runCell as PyCallable)(code)) as
        | { toJs(): [string, boolean]; destroy(): void }
        | undefined;
      stdout.flush();
      stderr.flush();
      if (!result) return { error: null, interrupted: false, packageError: null };
      const [error, interrupted] = result.toJs();
      result.destroy();
      return { error, interrupted, packageError: null };
    },
    () => emit({ kind: "loading", text: "Waiting for a cell in another tab to finish…" }),
  );
}

/** A cheap fingerprint of /data, so a cell that wrote nothing does not touch IndexedDB. */
function snapshot(): string {
  return JSON.stringify(files());
}

/** Puts `data` at `path` in /data (a file the person added, a dataset they mounted). */
function write(path: string, data: Uint8Array): Promise<FileEntry[]> {
  return withData(() => {
    const fs = ready().FS;
    const target = dataPath(path);
    fs.mkdirTree(target.slice(0, target.lastIndexOf("/")));
    fs.writeFile(target, data);
    return files();
  });
}

/** Everything under /data gone (the person asked for it); the empty state is what is stored. */
function erase(): Promise<FileEntry[]> {
  return withData(() => {
    const fs = ready().FS;
    const clear = (dir: string) => {
      for (const name of fs.readdir(dir) as string[]) {
        if (name === "." || name === "..") continue;
        const full = `${dir}/${name}`;
        if (fs.isDir(fs.stat(full).mode)) {
          clear(full);
          fs.rmdir(full);
        } else {
          fs.unlink(full);
        }
      }
    };
    clear(home);
    return files();
  });
}

function remove(path: string): Promise<FileEntry[]> {
  return withData(() => {
    ready().FS.unlink(dataPath(path));
    return files();
  });
}

/** Brings another account's files (an anonymous one merged into this) into /data. */
async function adopt(fromAccountId: string): Promise<Replies["adopt"]> {
  const fs = ready().FS;
  const source = `${DATA_ROOT}/${fromAccountId}`;
  if (source === home) return { moved: 0 };
  const moved = await withData(async () => {
    fs.mkdirTree(source);
    fs.mount(fs.filesystems.IDBFS, {}, source);
    try {
      await syncfs(fs, true);
      const entries = walk(fs, source);
      for (const entry of entries) {
        const to = freeName(fs, `${home}/${entry.path}`);
        fs.mkdirTree(to.slice(0, to.lastIndexOf("/")));
        fs.writeFile(to, fs.readFile(`${source}/${entry.path}`));
      }
      return entries.length;
    } finally {
      // Unmounted before withData stores /data, so only this account's copy is written.
      fs.unmount(source);
    }
  });
  await new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(source);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
  return { moved };
}

/** `path`, or `name (2).ext`, `name (3).ext`… if a file already has that name. */
function freeName(fs: FS, path: string): string {
  const exists = (p: string) => fs.analyzePath(p).exists;
  if (!exists(path)) return path;
  const dot = path.lastIndexOf(".");
  const slash = path.lastIndexOf("/");
  const [stem, ext] = dot > slash + 1 ? [path.slice(0, dot), path.slice(dot)] : [path, ""];
  for (let n = 2; ; n++) {
    const candidate = `${stem} (${n})${ext}`;
    if (!exists(candidate)) return candidate;
  }
}

async function handle(request: Request): Promise<{ value: unknown; transfer?: Transferable[] }> {
  switch (request.type) {
    case "start":
      return { value: await start(request.accountId, request.packagesUrl, request.interrupt) };
    case "run":
      return { value: await run(request.code) };
    case "files":
      return { value: await withData(files) };
    case "read": {
      const data = await withData(() => ready().FS.readFile(dataPath(request.path)) as Uint8Array);
      return { value: data, transfer: [data.buffer] };
    }
    case "delete":
      return { value: await remove(request.path) };
    case "write":
      return { value: await write(request.path, request.data) };
    case "erase":
      return { value: await erase() };
    case "adopt":
      return { value: await adopt(request.fromAccountId) };
  }
}

let queue: Promise<void> = Promise.resolve();
self.onmessage = ({ data }: MessageEvent<ToWorker>) => {
  queue = queue.then(async () => {
    running = data.id;
    try {
      const { value, transfer = [] } = await handle(data);
      post(
        { id: data.id, type: "reply", ok: true, value: value as Replies[keyof Replies] },
        transfer,
      );
    } catch (error) {
      post({
        id: data.id,
        type: "reply",
        ok: false,
        error: (error as Error)?.message ?? String(error),
      });
    } finally {
      running = null;
    }
  });
};
