// The curated datasets (GET /api/datasets) and their download through the Worker, read with
// progress so the page can show it.
import { api, errorFrom, send } from "./http";

export interface DatasetColumn {
  name: string;
  type: string;
}

export interface Dataset {
  id: string;
  title: string;
  description: string;
  format: "csv" | "parquet";
  file_name: string;
  size_bytes: number;
  rows: number;
  columns: DatasetColumn[];
  license: string;
  source: string;
}

export const listDatasets = () =>
  api<{ version: string; data: Dataset[] }>("/api/datasets").then((r) => r.data);

/** The dataset's bytes; `progress` gets the share received so far (0..1). */
export async function downloadDataset(
  dataset: Dataset,
  progress: (share: number) => void,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const res = await send(`/api/datasets/${encodeURIComponent(dataset.id)}/download`, { signal });
  if (!res.ok || !res.body) throw await errorFrom(res);
  const total = Number(res.headers.get("content-length")) || dataset.size_bytes;
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.length;
    progress(Math.min(1, received / total));
  }
  if (received !== total) throw new Error(`the download ended after ${received} of ${total} bytes`);
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
