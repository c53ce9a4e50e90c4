// A catalog file for the caller: fetched from DATASETS_BASE_URL + the entry's path (never a URL
// from the request), streamed with exactly the catalog's size or broken off, and kept at the
// edge (the Cache API) under the dataset, the catalog version and the source, so the next
// download of it does not leave the data centre.
import type { AppConfig } from "../config";
import { AppError } from "../errors";
import { TimeoutError, withTimeout } from "../lib/timeout";
import { CATALOG_VERSION, type Dataset } from "./catalog";

type DatasetsConfig = AppConfig["datasets"];

const CONTENT_TYPES: Record<Dataset["format"], string> = {
  csv: "text/csv; charset=utf-8",
  parquet: "application/vnd.apache.parquet",
};

/** The edge copy may live long: its key changes with the catalog, and the files are pinned. */
const EDGE_COPY_CACHE_CONTROL = "public, max-age=2592000, immutable";

/** Why a body was broken off, for the log. */
type Cut = "too_long" | "too_short" | "stalled" | "broken";

/** The entry's file at the configured source; its relative path must stay under the base. */
export function sourceUrl(config: DatasetsConfig, dataset: Dataset): URL {
  const url = new URL(dataset.path, config.baseUrl);
  if (!url.href.startsWith(config.baseUrl)) {
    throw new AppError("MISCONFIGURED", "A dataset's path leaves DATASETS_BASE_URL");
  }
  return url;
}

/**
 * Where the edge copy is kept: a URL of this Worker's own origin (Cloudflare keys its cache by
 * the zone's hostnames) under /api, which only the Worker answers. The catalog version makes a
 * changed catalog miss every old copy; the source keeps a mirror's bytes apart from another's.
 */
export function cacheKey(
  origin: string,
  baseUrl: string,
  datasetId: string,
  version: string = CATALOG_VERSION,
): string {
  const key = new URL(`/api/datasets/${encodeURIComponent(datasetId)}/download`, origin);
  key.searchParams.set("catalog", version);
  key.searchParams.set("source", baseUrl);
  return key.href;
}

function fileHeaders(dataset: Dataset, cacheControl: string): Headers {
  return new Headers({
    "content-type": CONTENT_TYPES[dataset.format],
    "content-length": String(dataset.size_bytes),
    // The catalog's file names are plain (letters, digits, "._-"; the catalog test checks).
    "content-disposition": `attachment; filename="${dataset.file_name}"`,
    "cache-control": cacheControl,
  });
}

interface Guard {
  /** Bytes the body must have: more, or an end before them, breaks it off. */
  expected: number;
  /** Longest wait for the next piece while a reader waits. */
  idleMs: number;
  onCut: (cut: Cut, received: number) => void;
  /** Given every piece once the body has ended whole (they are kept only when it is set). */
  onWhole?: (pieces: Uint8Array[]) => void;
}

/**
 * A body passed on piece by piece as it is read: broken off with an error when it would go past
 * `expected` bytes, ends short of them, or is silent for `idleMs`. Silence is timed only while
 * a reader waits, so a slow caller is not taken for a stalled source.
 */
function guarded(body: ReadableStream<Uint8Array>, guard: Guard): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let received = 0;
  let pieces: Uint8Array[] | null = guard.onWhole ? [] : null;
  const cut = (controller: ReadableStreamDefaultController<Uint8Array>, why: Cut) => {
    pieces = null;
    guard.onCut(why, received);
    controller.error(new Error(`dataset download broken off: ${why}`));
    reader.cancel().catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await withTimeout(reader.read(), guard.idleMs);
        } catch (error) {
          cut(controller, error instanceof TimeoutError ? "stalled" : "broken");
          return;
        }
        if (chunk.done) {
          if (received !== guard.expected) return cut(controller, "too_short");
          controller.close();
          if (pieces) guard.onWhole?.(pieces);
          return;
        }
        received += chunk.value.byteLength;
        // Nothing past the catalog's size is passed on, not even the piece that crossed it.
        if (received > guard.expected) return cut(controller, "too_long");
        pieces?.push(chunk.value);
        controller.enqueue(chunk.value);
      },
      cancel(reason) {
        pieces = null;
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Pieces already in memory as a body, without copying them. */
function replay(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = pieces[next++];
      if (piece) controller.enqueue(piece);
      else controller.close();
    },
  });
}

/** A body workerd sends with its Content-Length, and fails if it ends at any other length. */
function fixedLength(body: ReadableStream<Uint8Array>, size: number): ReadableStream<Uint8Array> {
  const { readable, writable } = new FixedLengthStream(size);
  body.pipeTo(writable).catch(() => {});
  return readable;
}

function logFailure(requestId: string, dataset: Dataset, fields: Record<string, unknown>) {
  // The source's address stays out of the log as it stays out of the answer: the id names it.
  console.warn(
    JSON.stringify({
      level: "warn",
      msg: "dataset download failed",
      request_id: requestId,
      dataset: dataset.id,
      ...fields,
    }),
  );
}

async function fetchSource(
  config: DatasetsConfig,
  dataset: Dataset,
  requestId: string,
): Promise<{ body: ReadableStream<Uint8Array>; abort: () => void }> {
  const controller = new AbortController();
  // The deadline is for the source's answer; the body is timed piece by piece (guarded).
  const timer = setTimeout(() => controller.abort(), config.timeoutMs);
  let res: Response;
  try {
    res = await fetch(sourceUrl(config, dataset), { signal: controller.signal });
  } catch (error) {
    if (error instanceof AppError) throw error;
    const timedOut = controller.signal.aborted;
    logFailure(requestId, dataset, { outcome: timedOut ? "timeout" : "unreachable" });
    throw new AppError(timedOut ? "DATASET_TIMEOUT" : "DATASET_UPSTREAM");
  } finally {
    clearTimeout(timer);
  }
  const length = res.headers.get("content-length");
  const encoding = res.headers.get("content-encoding");
  // A compressed answer's length is the compressed one; otherwise it must be the catalog's.
  const wrongLength =
    length !== null &&
    (!encoding || encoding === "identity") &&
    Number(length) !== dataset.size_bytes;
  if (!res.ok || !res.body || wrongLength) {
    await res.body?.cancel().catch(() => {});
    logFailure(requestId, dataset, {
      outcome: res.ok ? "wrong_length" : "upstream_status",
      upstream_status: res.status,
      ...(wrongLength && { upstream_length: Number(length) }),
    });
    throw new AppError("DATASET_UPSTREAM");
  }
  return { body: res.body, abort: () => controller.abort() };
}

/**
 * The dataset's bytes for the caller: the edge copy when there is one, else the source's, passed
 * on as they come. A body broken off (too long, short, stalled) errors the caller's download
 * rather than ending it early as a success. The edge copy is stored only once the whole body
 * has been read and checked: a store fed a body that then fails may keep part of it (Miniflare's
 * cache does), so none is ever started before the bytes are known good. The pieces kept for it
 * are the ones passed on, so this holds one copy of the file, at most DATASETS_MAX_BYTES. A copy
 * is read through the same guard; one that is not the catalog's size is deleted, never served
 * whole.
 */
export async function downloadDataset(options: {
  config: DatasetsConfig;
  dataset: Dataset;
  origin: string;
  ctx: { waitUntil(promise: Promise<unknown>): void };
  requestId: string;
}): Promise<Response> {
  const { config, dataset, ctx, requestId } = options;
  const size = dataset.size_bytes;
  const cache = caches.default;
  const key = cacheKey(options.origin, config.baseUrl, dataset.id);
  const toCaller = (body: ReadableStream<Uint8Array>) =>
    // Not kept by the browser: the file goes to /data, and the edge keeps its copy.
    new Response(fixedLength(body, size), { headers: fileHeaders(dataset, "private, no-store") });

  const copy = await cache.match(key).catch(() => undefined);
  if (copy?.body) {
    return toCaller(
      guarded(copy.body, {
        expected: size,
        idleMs: config.timeoutMs,
        onCut: (cut, received) => {
          ctx.waitUntil(cache.delete(key).catch(() => false));
          logFailure(requestId, dataset, { outcome: `edge_copy_${cut}`, bytes_received: received });
        },
      }),
    );
  }

  const source = await fetchSource(config, dataset, requestId);
  return toCaller(
    guarded(source.body, {
      expected: Math.min(size, config.maxBytes),
      idleMs: config.timeoutMs,
      onCut: (cut, received) => {
        source.abort();
        logFailure(requestId, dataset, { outcome: cut, bytes_received: received });
      },
      onWhole: (pieces) => {
        const stored = new Response(fixedLength(replay(pieces), size), {
          headers: fileHeaders(dataset, EDGE_COPY_CACHE_CONTROL),
        });
        ctx.waitUntil(
          cache.put(key, stored).catch((error: unknown) => {
            logFailure(requestId, dataset, {
              outcome: "edge_copy_not_stored",
              error: String(error),
            });
          }),
        );
      },
    }),
  );
}
