// Putting data in /data for the agent: mounting a dataset (downloaded through the Worker) or
// adding one of the person's own files (which never leaves the browser), taking them out, and
// erasing everything. Each is announced to the model in the system prompt (prompt.ts).
import { type Dataset, downloadDataset, listDatasets } from "../api/datasets";
import { kernel } from "../python/kernel";
import { me, toast } from "../state/account";
import {
  type Attachment,
  attachments,
  catalog,
  downloads,
  loadAttachments,
  saveAttachments,
} from "../state/attachments";
import { files } from "../state/files";
import { problem } from "../state/transcript";
import { explain } from "./explain";

/** The largest file a person may add (it is kept in the browser's IndexedDB). */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

const account = () => me.value?.account_id ?? "";
const anonymous = () => me.value?.is_anonymous ?? true;
const put = (next: Attachment[]) => saveAttachments(account(), next);
const without = (path: string) => attachments.value.filter((a) => a.path !== path);

/** The chips of this account, from this browser, before Python has started. */
export const restoreAttachments = (accountId: string) => loadAttachments(accountId);

/** Drops chips whose file is gone from /data (erased in another tab, deleted by code). */
export function reconcileAttachments() {
  const present = new Set(files.value.map((f) => f.path));
  const kept = attachments.value.filter((a) => present.has(a.path));
  if (kept.length !== attachments.value.length) put(kept);
}

/** Lists the catalog once (the workspace asks when it opens). */
export async function loadCatalog() {
  if (Array.isArray(catalog.value)) return;
  try {
    catalog.value = await listDatasets();
  } catch (error) {
    catalog.value = explain(error, { anonymous: anonymous() }).message;
  }
}

function setProgress(id: string, share: number | null) {
  const next = { ...downloads.value };
  if (share === null) delete next[id];
  else next[id] = share;
  downloads.value = next;
}

export async function mountDataset(dataset: Dataset) {
  if (downloads.value[dataset.id] !== undefined) return;
  setProgress(dataset.id, 0);
  try {
    const bytes = await downloadDataset(dataset, (share) => setProgress(dataset.id, share));
    files.value = await kernel.write(dataset.file_name, bytes);
    put([
      ...without(dataset.file_name),
      {
        kind: "dataset",
        path: dataset.file_name,
        size: dataset.size_bytes,
        datasetId: dataset.id,
        format: dataset.format,
        rows: dataset.rows,
        columns: dataset.columns.map((c) => `${c.name} (${c.type})`),
      },
    ]);
  } catch (error) {
    problem.value = {
      message: `${dataset.title} could not be mounted. ${explain(error, { anonymous: anonymous() }).message}`,
      action: { label: "Try again", run: () => void mountDataset(dataset) },
    };
  } finally {
    setProgress(dataset.id, null);
  }
}

/** Takes an attachment out: its file leaves /data and its chip goes. */
export async function detach(path: string) {
  try {
    files.value = await kernel.remove(path);
  } catch {
    // Already gone: the chip goes anyway.
  }
  put(without(path));
}

/** The header row of a CSV file, for the model (from its first 64 KB). */
function csvHeader(bytes: Uint8Array): string[] | undefined {
  const head = new TextDecoder().decode(bytes.subarray(0, 64 * 1024));
  const line = head.split(/\r?\n/, 1)[0]?.trim();
  return line ? [line] : undefined;
}

/** A file the person dropped or picked, into /data: it never leaves the browser. */
export async function addFile(file: File) {
  if (file.size > MAX_FILE_BYTES) {
    problem.value = {
      message: `${file.name} is ${(file.size / 1024 ** 2).toFixed(1)} MB; files up to ${MAX_FILE_BYTES / 1024 ** 2} MB can go in /data. Try a smaller file, or a sample of this one.`,
    };
    return;
  }
  const name = file.name.replace(/[/\\]/g, "_") || "file";
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const isCsv = /\.csv$/i.test(name) || file.type === "text/csv";
    const header = isCsv ? csvHeader(bytes) : undefined;
    const replaced = files.value.some((f) => f.path === name);
    files.value = await kernel.write(name, bytes);
    put([
      ...without(name),
      {
        kind: "file",
        path: name,
        size: file.size,
        format: isCsv ? "csv" : undefined,
        columns: header,
      },
    ]);
    toast.value = `${replaced ? "Replaced" : "Added"} /data/${name}. It stays in this browser.`;
  } catch (error) {
    problem.value = { message: `${name} could not be added to /data: ${(error as Error).message}` };
  }
}

/** Everything under /data removed, and every chip, after the person confirmed. */
export async function eraseFiles() {
  try {
    files.value = await kernel.erase();
    put([]);
    toast.value = "Your files in /data were erased.";
  } catch (error) {
    problem.value = { message: `Your files could not be erased: ${(error as Error).message}` };
  }
}
