// What the person put in /data for the model to know about: datasets they mounted and files
// they added. Mirrored in localStorage (per account), so the chips show at once on a reload,
// before Python has started; reconciled with the real /data once it has.
import { signal } from "@preact/signals";
import type { Dataset } from "../api/datasets";

export interface Attachment {
  kind: "dataset" | "file";
  /** Relative to /data. */
  path: string;
  size: number;
  /** A dataset's id, to unmount it from the catalog. */
  datasetId?: string;
  format?: string;
  rows?: number;
  /** "name (type)" for a dataset; a CSV file's header row. */
  columns?: string[];
}

export const attachments = signal<Attachment[]>([]);
/** The curated datasets, once listed (null: not yet; a string: why listing failed). */
export const catalog = signal<Dataset[] | null | string>(null);
/** A dataset downloading: its id and the share received so far. */
export const downloads = signal<Record<string, number>>({});

const key = (accountId: string) => `gradual.attachments.${accountId}`;

export function loadAttachments(accountId: string) {
  try {
    attachments.value = JSON.parse(localStorage.getItem(key(accountId)) ?? "[]") as Attachment[];
  } catch {
    attachments.value = [];
  }
}

export function saveAttachments(accountId: string, next: Attachment[]) {
  attachments.value = next;
  localStorage.setItem(key(accountId), JSON.stringify(next));
}
