// GET /api/datasets (public): the catalog of small public datasets a person can add to /data;
// GET /api/datasets/:id/download (signed in): one of them, through the Worker and its edge
// cache (see datasets/ and docs/datasets.md). No quota is charged; downloads are rate limited.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/principal";
import {
  CATALOG_VERSION,
  COLUMN_TYPES,
  DATASET_FORMATS,
  DATASETS,
  type Dataset,
  findDataset,
  publicDataset,
} from "../datasets/catalog";
import { downloadDataset } from "../datasets/download";
import { AppError } from "../errors";
import { errorDoc, json, unavailableDoc } from "../schemas/common";

/** Must match wrangler.toml's DATASET_DOWNLOADS period. */
const RATE_LIMIT_PERIOD_SECONDS = 60;

const DatasetSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    format: z.enum(DATASET_FORMATS),
    file_name: z.string().openapi({ description: "The name to save it under in /data" }),
    size_bytes: z.number().int().openapi({ description: "Exact size of the file" }),
    rows: z.number().int().openapi({ description: "Data rows, the header excluded" }),
    columns: z.array(z.object({ name: z.string(), type: z.enum(COLUMN_TYPES) })),
    license: z.string(),
    source: z.string().openapi({ description: "The page that describes the data" }),
  })
  .openapi("Dataset");

const CatalogSchema = z
  .object({
    version: z.string().openapi({ description: "Changes whenever any entry changes" }),
    data: z.array(DatasetSchema),
  })
  .openapi("DatasetCatalog");

const catalogRoute = createRoute({
  method: "get",
  path: "/datasets",
  summary: "The datasets offered for /data (public)",
  responses: {
    200: json(CatalogSchema, "The catalog"),
  },
});

const file = (description: string) => ({
  schema: z.string().openapi({ format: "binary", description }),
});

const downloadRoute = createRoute({
  method: "get",
  path: "/datasets/{id}/download",
  summary:
    "A dataset's file, fetched from the catalog's source and cached at the edge (no quota charged)",
  description:
    "Streams exactly size_bytes bytes; a source that sends more, fewer, or stalls mid-body breaks the download off (the response errors rather than ending early).",
  middleware: authenticate("session"),
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: {
      description: "The file, as an attachment named file_name",
      headers: {
        "Content-Length": { description: "The catalog's size_bytes", schema: { type: "integer" } },
        "Content-Disposition": {
          description: 'attachment; filename="<file_name>"',
          schema: { type: "string" },
        },
      },
      content: {
        "text/csv": file("A CSV file (charset=utf-8)"),
        "application/vnd.apache.parquet": file("A Parquet file"),
      },
    },
    401: errorDoc("Not signed in"),
    404: errorDoc("No such dataset"),
    429: {
      ...errorDoc("Too many downloads this minute (rate_limited); retry after Retry-After"),
      headers: {
        "Retry-After": {
          description: "Seconds to wait before retrying",
          schema: { type: "integer" },
        },
      },
    },
    502: errorDoc("The dataset's source failed or sent something else (dataset_upstream)"),
    ...unavailableDoc,
    504: errorDoc("The dataset's source did not answer in time (dataset_timeout)"),
  },
});

/** The entries this deployment offers: those within DATASETS_MAX_BYTES. */
function offered(maxBytes: number): Dataset[] {
  return DATASETS.filter((d) => d.size_bytes <= maxBytes);
}

export const datasets = new OpenAPIHono<AppEnv>()
  .openapi(catalogRoute, (c) => {
    const data = offered(c.var.config.datasets.maxBytes).map(publicDataset);
    // The same for everyone, and it changes only with a deploy.
    c.header("cache-control", "public, max-age=300");
    return c.json({ version: CATALOG_VERSION, data }, 200);
  })
  .openapi(downloadRoute, async (c) => {
    const config = c.var.config.datasets;
    // Only the catalog names what is fetched: the id is looked up, never joined into a URL.
    const dataset = findDataset(c.req.valid("param").id);
    if (!dataset || dataset.size_bytes > config.maxBytes) {
      throw new AppError("NOT_FOUND", "No such dataset");
    }
    const allowed = await Promise.resolve()
      .then(() => c.env.DATASET_DOWNLOADS.limit({ key: c.var.principal.accountId }))
      .then(
        (outcome) => outcome.success,
        // The limiter unavailable is no reason to refuse a download.
        () => true,
      );
    if (!allowed) {
      throw new AppError("RATE_LIMITED", "Too many dataset downloads; try in a minute", {
        headers: { "retry-after": String(RATE_LIMIT_PERIOD_SECONDS) },
      });
    }
    c.var.logFields.dataset = dataset.id;
    return downloadDataset({
      config,
      dataset,
      origin: new URL(c.req.url).origin,
      ctx: c.executionCtx,
      requestId: c.get("requestId"),
    });
  });
