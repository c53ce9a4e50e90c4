// Chips above the composer for what the agent is told about in /data (mounted datasets, added
// files), with a way to take each out; and the page-wide drop target for the person's own files.
import { useEffect, useState } from "preact/hooks";
import { addFile, detach } from "../agent/attachments";
import { attachments } from "../state/attachments";
import { CloseIcon } from "./icons";

export function AttachmentChips() {
  const list = attachments.value;
  if (!list.length) return null;
  return (
    <ul class="attachments" aria-label="In /data for the agent">
      {list.map((a) => (
        <li key={a.path} class="chip chip-accent attachment">
          <span title={`/data/${a.path}`}>{a.path}</span>
          <button
            type="button"
            class="attachment-remove"
            aria-label={`Remove ${a.path} from /data`}
            onClick={() => void detach(a.path)}
          >
            <CloseIcon />
          </button>
        </li>
      ))}
    </ul>
  );
}

/** While a file is dragged over the page: where to drop it, and that it stays in the browser. */
export function DropZone() {
  const [over, setOver] = useState(false);
  useEffect(() => {
    let depth = 0;
    const carriesFiles = (e: DragEvent) => e.dataTransfer?.types.includes("Files") ?? false;
    const enter = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      depth += 1;
      setOver(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (!depth) setOver(false);
    };
    const overPage = (e: DragEvent) => {
      if (carriesFiles(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setOver(false);
      for (const file of e.dataTransfer?.files ?? []) void addFile(file);
    };
    addEventListener("dragenter", enter);
    addEventListener("dragleave", leave);
    addEventListener("dragover", overPage);
    addEventListener("drop", drop);
    return () => {
      removeEventListener("dragenter", enter);
      removeEventListener("dragleave", leave);
      removeEventListener("dragover", overPage);
      removeEventListener("drop", drop);
    };
  }, []);
  if (!over) return null;
  return (
    <div class="drop-zone" role="status">
      <p>
        <strong>Drop to put it in /data.</strong>
        <br />
        It stays in this browser: nothing is uploaded.
      </p>
    </div>
  );
}
