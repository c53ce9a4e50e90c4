// The workspace: Python's state (start, restart, the per-cell time limit), the datasets to mount,
// and the files in /data, which live in this browser, under this account.
import { useRef } from "preact/hooks";
import { addFile, eraseFiles, MAX_FILE_BYTES } from "../agent/attachments";
import { deleteFile, downloadFile, refreshFiles } from "../agent/files";
import { formatBytes } from "../format";
import { kernel } from "../python/kernel";
import { files, filesState } from "../state/files";
import { DEFAULT_TIME_LIMIT_SECONDS, timeLimitSeconds } from "../state/settings";
import { DatasetsSection } from "./datasets";
import { CloseIcon, DownloadIcon, RestartIcon, TrashIcon } from "./icons";

const PHASE_TEXT = {
  off: "Not started (starts when needed)",
  starting: "Starting…",
  ready: "Ready",
  busy: "Running a cell",
  failed: "Stopped",
} as const;

const when = (ms: number) =>
  new Date(ms).toLocaleString([], {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });

function Files() {
  const state = filesState.value;
  if (state.phase === "waiting")
    return <p class="muted">Python is starting; files appear in a moment.</p>;
  if (state.phase === "failed") {
    return (
      <div class="notice notice-danger">
        <p>Couldn't list the files: {state.reason}</p>
        <button type="button" class="button button-small" onClick={() => void refreshFiles()}>
          Retry
        </button>
      </div>
    );
  }
  if (!files.value.length) {
    return (
      <p class="muted">
        No files yet. Anything the code writes to /data is kept here, across reloads.
      </p>
    );
  }
  return (
    <ul class="file-list" aria-label="Files in /data">
      {files.value.map((f) => (
        <li class="file" key={f.path}>
          <span class="file-name">
            <span title={`/data/${f.path}`}>{f.path}</span>
            <span>
              {formatBytes(f.size)} · {when(f.modified)}
            </span>
          </span>
          <button
            type="button"
            class="icon-button"
            aria-label={`Download ${f.path}`}
            onClick={() => void downloadFile(f.path)}
          >
            <DownloadIcon />
          </button>
          <button
            type="button"
            class="icon-button"
            aria-label={`Delete ${f.path}`}
            onClick={() => {
              if (confirm(`Delete /data/${f.path}?`)) void deleteFile(f.path);
            }}
          >
            <TrashIcon />
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Adding the person's own files (or dropping them anywhere), and erasing them all. */
function FileActions() {
  const picker = useRef<HTMLInputElement>(null);
  const any = files.value.length > 0;
  return (
    <div class="file-actions">
      <input
        ref={picker}
        type="file"
        multiple
        class="visually-hidden"
        aria-label="Add files to /data"
        tabIndex={-1}
        onChange={(e) => {
          for (const file of e.currentTarget.files ?? []) void addFile(file);
          e.currentTarget.value = "";
        }}
      />
      <button type="button" class="button button-small" onClick={() => picker.current?.click()}>
        Add a file
      </button>
      <p class="muted">
        Add a file here or drop it anywhere on the page, up to {MAX_FILE_BYTES / 1024 ** 2} MB.
        Files stay in this browser: nothing you add is uploaded, and the agent only reads them by
        running code here.
      </p>
      {any && (
        <button
          type="button"
          class="button button-small button-danger"
          onClick={() => {
            if (confirm("Erase every file in /data? This cannot be undone.")) void eraseFiles();
          }}
        >
          Erase my files
        </button>
      )}
    </div>
  );
}

export function Workspace({ onClose }: { onClose: () => void }) {
  const state = kernel.state.value;
  return (
    <aside class="workspace" aria-label="Workspace">
      <div class="workspace-head">
        <h2>Workspace</h2>
        <button
          type="button"
          class="icon-button"
          aria-label="Close the workspace"
          onClick={onClose}
        >
          <CloseIcon />
        </button>
      </div>
      <div class="workspace-body">
        <section class="workspace-section" aria-labelledby="python-heading">
          <h3 id="python-heading">Python</h3>
          <p class="kernel-status" role="status">
            <span class="status-dot" data-phase={state.phase} />
            {state.phase === "failed" ? `Stopped: ${state.reason}` : PHASE_TEXT[state.phase]}
          </p>
          <label class="field">
            Time limit per cell (s)
            <input
              class="input"
              type="number"
              min={1}
              max={600}
              value={timeLimitSeconds.value}
              onChange={(e) => {
                const value = Math.round(Number(e.currentTarget.value));
                timeLimitSeconds.value =
                  value >= 1 && value <= 600 ? value : DEFAULT_TIME_LIMIT_SECONDS;
              }}
            />
          </label>
          <button
            type="button"
            class="button button-small"
            disabled={state.phase === "starting"}
            onClick={() => void kernel.restart().then(refreshFiles, () => {})}
          >
            <RestartIcon /> Restart Python
          </button>
          <p class="muted">
            {kernel.canInterrupt
              ? "A cell past its time limit is interrupted; variables are kept."
              : "A cell past its time limit stops Python; files are kept, variables are not."}
          </p>
        </section>
        <section class="workspace-section" aria-labelledby="files-heading">
          <h3 id="files-heading">Files in /data</h3>
          <Files />
          <FileActions />
        </section>
        <DatasetsSection />
      </div>
    </aside>
  );
}
