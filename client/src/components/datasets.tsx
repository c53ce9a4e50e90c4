// The curated datasets in the workspace: what each holds, and Mount (downloaded through the app
// into /data, with its progress) or Unmount.
import { useEffect } from "preact/hooks";
import { detach, loadCatalog, mountDataset } from "../agent/attachments";
import type { Dataset } from "../api/datasets";
import { formatBytes } from "../format";
import { attachments, catalog, downloads } from "../state/attachments";

function Row({ dataset }: { dataset: Dataset }) {
  const share = downloads.value[dataset.id];
  const mounted = attachments.value.some((a) => a.datasetId === dataset.id);
  return (
    <li class="dataset">
      <div class="dataset-text">
        <span class="dataset-title">{dataset.title}</span>
        <span class="dataset-about">{dataset.description}</span>
        <span class="dataset-meta">
          {dataset.format.toUpperCase()} · {dataset.rows.toLocaleString()} rows ·{" "}
          {formatBytes(dataset.size_bytes)} ·{" "}
          <a href={dataset.source} target="_blank" rel="noopener noreferrer">
            {dataset.license}
          </a>
        </span>
        {share !== undefined && (
          <progress
            class="dataset-progress"
            max={1}
            value={share}
            aria-label={`Downloading ${dataset.title}`}
          />
        )}
      </div>
      {mounted ? (
        <button
          type="button"
          class="button button-small"
          aria-label={`Unmount ${dataset.title}`}
          onClick={() => void detach(dataset.file_name)}
        >
          Unmount
        </button>
      ) : (
        <button
          type="button"
          class="button button-small button-primary"
          aria-label={`Mount ${dataset.title}`}
          disabled={share !== undefined}
          onClick={() => void mountDataset(dataset)}
        >
          {share !== undefined ? `${Math.round(share * 100)} %` : "Mount"}
        </button>
      )}
    </li>
  );
}

export function DatasetsSection() {
  useEffect(() => void loadCatalog(), []);
  const list = catalog.value;
  return (
    <section class="workspace-section" aria-labelledby="datasets-heading">
      <h3 id="datasets-heading">Datasets</h3>
      {list === null ? (
        <p class="muted">Loading the catalog…</p>
      ) : typeof list === "string" ? (
        <div class="notice notice-danger">
          <p>The catalog could not be listed. {list}</p>
          <button
            type="button"
            class="button button-small"
            onClick={() => {
              catalog.value = null;
              void loadCatalog();
            }}
          >
            Retry
          </button>
        </div>
      ) : (
        <ul class="dataset-list" aria-label="Datasets">
          {list.map((d) => (
            <Row key={d.id} dataset={d} />
          ))}
        </ul>
      )}
      <p class="muted">Mounting puts the file in /data and tells the agent its columns.</p>
    </section>
  );
}
